// Turns a CUDA source into C++ for the emulated device, at build time:
//   k<<<grid, block, smem, stream>>>(args)
//     -> ::cudaemu::launcher("k", __FILE__, __LINE__, __PRETTY_FUNCTION__, [=](auto&&... a) { k(a...); },
//                            grid, block, smem, stream)(args)
//   __shared__ T name[N];          -> static T name[N]; ::cudaemu::shared_declared(&name, sizeof(name));
//   extern __shared__ T name[];    -> T* name = ::cudaemu::dynamic_shared<T>();
// Every edit stays on its line and the output starts with a #line directive, so
// diagnostics, __FILE__ and __LINE__ name the original source. Why a rewrite and
// not a launch macro: the kernels stay plain CUDA, a new kernel needs no
// convention to run on the emulator, and nvcc never sees a difference.
//
// Usage: cudaemu_rewrite IN OUT
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Edit {
  size_t pos, len;
  std::string text;
};

// The source with comments and the contents of string and character literals
// blanked, so the searches below only see code. Same length as the source.
std::string code_only(const std::string& s) {
  std::string m = s;
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, 2, "//") == 0) {
      while (i < s.size() && s[i] != '\n') m[i++] = ' ';
    } else if (s.compare(i, 2, "/*") == 0) {
      const size_t end = s.find("*/", i + 2);
      const size_t stop = end == std::string::npos ? s.size() : end + 2;
      for (; i < stop; ++i)
        if (s[i] != '\n') m[i] = ' ';
    } else if (s[i] == '"' || s[i] == '\'') {
      const char q = s[i++];
      while (i < s.size() && s[i] != q) {
        if (s[i] == '\\') m[i++] = ' ';
        if (i < s.size()) m[i++] = ' ';
      }
      ++i;
    } else {
      ++i;
    }
  }
  return m;
}

bool ident(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

size_t line_of(const std::string& s, size_t pos) {
  size_t n = 1;
  for (size_t i = 0; i < pos; ++i) n += s[i] == '\n';
  return n;
}

[[noreturn]] void fail(const std::string& file, const std::string& s, size_t pos, const std::string& what) {
  throw std::runtime_error(file + ":" + std::to_string(line_of(s, pos)) + ": cudaemu_rewrite: " + what);
}

// Start of the kernel expression that ends just before `end`: a qualified name
// with optional template arguments (`ns::kernel<T, 4>`).
size_t kernel_start(const std::string& m, size_t end) {
  size_t i = end;
  if (i > 0 && m[i - 1] == '>') {
    int depth = 0;
    do {
      --i;
      if (m[i] == '>') ++depth;
      if (m[i] == '<') --depth;
    } while (i > 0 && depth > 0);
    while (i > 0 && std::isspace(static_cast<unsigned char>(m[i - 1]))) --i;
  }
  while (i > 0 && (ident(m[i - 1]) || m[i - 1] == ':')) --i;
  return i;
}

void rewrite_launches(const std::string& file, const std::string& s, const std::string& m, std::vector<Edit>& out) {
  for (size_t open = m.find("<<<"); open != std::string::npos; open = m.find("<<<", open + 3)) {
    size_t end = open;
    while (end > 0 && std::isspace(static_cast<unsigned char>(m[end - 1]))) --end;
    const size_t start = kernel_start(m, end);
    if (start == end) fail(file, s, open, "no kernel name before <<<");
    int depth = 0;
    size_t close = open + 3;
    for (; close + 2 < m.size(); ++close) {
      if (m[close] == '(' || m[close] == '[') ++depth;
      if (m[close] == ')' || m[close] == ']') --depth;
      if (depth == 0 && m.compare(close, 3, ">>>") == 0) break;
    }
    if (close + 2 >= m.size()) fail(file, s, open, "no >>> closing the launch configuration");
    std::string name = s.substr(start, end - start);
    for (char& c : name)
      if (c == '\n' || c == '"' || c == '\\') c = ' ';
    out.push_back({start, 0, "::cudaemu::launcher(\"" + name + "\", __FILE__, __LINE__, __PRETTY_FUNCTION__, [=](auto&&... cudaemu_a) { "});
    out.push_back({open, 3, "(cudaemu_a...); }, "});
    out.push_back({close, 3, ")"});
  }
}

void rewrite_shared(const std::string& file, const std::string& s, const std::string& m, std::vector<Edit>& out) {
  const std::string key = "__shared__";
  for (size_t at = m.find(key); at != std::string::npos; at = m.find(key, at + key.size())) {
    if ((at > 0 && ident(m[at - 1])) || ident(m[at + key.size()])) continue;
    const size_t semi = m.find(';', at);
    if (semi == std::string::npos) fail(file, s, at, "__shared__ declaration without ';'");
    // The declaration without __align__(...), to find the type and the name.
    std::string decl = m.substr(at + key.size(), semi - at - key.size());
    for (size_t a = decl.find("__align__"); a != std::string::npos; a = decl.find("__align__")) {
      const size_t rp = decl.find(')', a);
      decl.erase(a, rp == std::string::npos ? std::string::npos : rp + 1 - a);
    }
    if (decl.find(',') != std::string::npos && decl.find('<') == std::string::npos)
      fail(file, s, at, "one variable per __shared__ declaration, please");
    if (decl.find('=') != std::string::npos) fail(file, s, at, "__shared__ variables cannot be initialised");
    const size_t bracket = decl.find('[');
    size_t name_end = bracket == std::string::npos ? decl.size() : bracket;
    while (name_end > 0 && !ident(decl[name_end - 1])) --name_end;
    size_t name_begin = name_end;
    while (name_begin > 0 && ident(decl[name_begin - 1])) --name_begin;
    const std::string name = decl.substr(name_begin, name_end - name_begin);
    if (name.empty()) fail(file, s, at, "cannot find the name of this __shared__ variable");

    size_t ext = at;
    while (ext > 0 && std::isspace(static_cast<unsigned char>(m[ext - 1]))) --ext;
    if (ext >= 6 && m.compare(ext - 6, 6, "extern") == 0) {
      if (decl.find("[]") == std::string::npos) fail(file, s, at, "extern __shared__ must be an unsized array");
      const std::string type = decl.substr(0, name_begin);
      out.push_back({ext - 6, semi + 1 - (ext - 6),
                     type + "* " + name + " = ::cudaemu::dynamic_shared<" + type + ">();"});
    } else {
      out.push_back({at, key.size(), "static"});
      out.push_back({semi + 1, 0, " ::cudaemu::shared_declared(&" + name + ", sizeof(" + name + "));"});
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: cudaemu_rewrite IN OUT\n";
    return 2;
  }
  const std::string in = argv[1], out_path = argv[2];
  std::ifstream f(in, std::ios::binary);
  if (!f) {
    std::cerr << in << ": cannot open\n";
    return 1;
  }
  std::stringstream buf;
  buf << f.rdbuf();
  const std::string s = buf.str(), m = code_only(s);
  std::vector<Edit> edits;
  try {
    rewrite_launches(in, s, m, edits);
    rewrite_shared(in, s, m, edits);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  // Apply back to front so earlier positions stay valid; at one position the
  // later-recorded insertion goes first.
  std::stable_sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.pos > b.pos; });
  std::string r = s;
  for (const Edit& e : edits) r.replace(e.pos, e.len, e.text);
  std::ofstream o(out_path, std::ios::binary | std::ios::trunc);
  o << "#line 1 \"" << in << "\"\n" << r;
  if (!o) {
    std::cerr << out_path << ": cannot write\n";
    return 1;
  }
  return 0;
}
