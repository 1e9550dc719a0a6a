// The backend-ops table (tests/backend_ops.h): every registered case on the
// CPU and on the CUDA device, compared result by result; and the coverage check
// that keeps the table in step with core/ops/.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test;
using namespace cudanet::test::backend_ops;

// ---------------------------------------------------------------------- registry

namespace cudanet::test::backend_ops {

namespace {
std::vector<std::pair<std::string, CaseMaker>>& makers() {
  static std::vector<std::pair<std::string, CaseMaker>> m;
  return m;
}
}  // namespace

void register_cases(std::string_view stem, CaseMaker make) { makers().emplace_back(std::string(stem), make); }

const std::vector<Case>& all_cases() {
  static const std::vector<Case> cases = [] {
    auto m = makers();
    std::sort(m.begin(), m.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Case> out;
    for (const auto& [stem, make] : m)
      for (Case c : make()) {
        c.op = stem;
        out.push_back(std::move(c));
      }
    return out;
  }();
  return cases;
}

}  // namespace cudanet::test::backend_ops

namespace {

std::vector<std::string> words(std::string_view s) {
  std::istringstream in{std::string(s)};
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// FNV-1a: a seed per case that does not depend on the standard library.
uint64_t seed_of(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
  return h;
}

bool show_successes() { return Catch::getCurrentContext().getConfig()->includeSuccessfulResults(); }

std::string algo_list(const std::vector<Algo>& algos) {
  std::string s;
  for (Algo a : algos) s += std::string(s.empty() ? "" : ",") + algo_name(a);
  return s;
}

// "y exact; dx 1e-05; grad 0-154 1e-06": runs of numbered outputs with one
// tolerance (a list of tensors) in one item.
std::string output_list(const std::vector<Output>& outputs) {
  auto split = [](const std::string& name) {  // "grad 12" -> {"grad", "12"}; "y" -> {"y", ""}
    const size_t sp = name.rfind(' ');
    const bool numbered = sp != std::string::npos && name.find_first_not_of("0123456789", sp + 1) == std::string::npos;
    return numbered ? std::pair{name.substr(0, sp), name.substr(sp + 1)} : std::pair{name, std::string()};
  };
  std::string s;
  for (size_t i = 0; i < outputs.size();) {
    const auto [prefix, first] = split(outputs[i].name);
    size_t j = i + 1;
    while (!first.empty() && j < outputs.size() && outputs[j].tol == outputs[i].tol &&
           split(outputs[j].name).first == prefix && !split(outputs[j].name).second.empty())
      ++j;
    char tol[32];
    std::snprintf(tol, sizeof tol, "%.0e", outputs[i].tol);
    const std::string name =
        j - i > 1 ? prefix + " " + first + "-" + split(outputs[j - 1].name).second : outputs[i].name;
    s += (s.empty() ? "" : "; ") + name + " " + (outputs[i].tol == 0 ? "exact" : tol);
    i = j;
  }
  return s;
}

// The case's algorithms this device can run (runnable_algos, one at a time).
std::vector<Algo> device_algos(const Case& c) {
  std::vector<Algo> out;
  for (Algo a : c.algos)
    for (Algo r : runnable_algos({a})) out.push_back(r);
  return out;
}

std::vector<Tensor> run_case(const Case& c, Device d, Algo algo) {
  Inputs in(d, seed_of(c.full_name()));
  return c.run(in, algo);
}

// (2, 0, 1) for flat index `i` of `s`.
std::string position(const Shape& s, int64_t i) {
  std::vector<int64_t> idx(static_cast<size_t>(s.ndim()));
  for (int k = s.ndim() - 1; k >= 0; --k) {
    idx[k] = s[k] ? i % s[k] : 0;
    i = s[k] ? i / s[k] : 0;
  }
  std::ostringstream o;
  o << "(";
  for (size_t k = 0; k < idx.size(); ++k) o << (k ? ", " : "") << idx[k];
  o << ")";
  return o.str();
}

// One result of the device against the CPU's: ||got - ref|| / ||ref|| in
// double (||got - ref|| where ref is all zeros; infinity on a mismatch of
// shape, dtype or device, or any non-finite value) and a sentence naming the
// worst element.
struct Comparison {
  double rel = INFINITY;
  std::string detail;
};

Comparison compare(const Tensor& got, const Tensor& ref, Device device) {
  Comparison r;
  std::ostringstream o;
  if (!ref.defined() || !got.defined()) {
    r.detail = std::string("the ") + (ref.defined() ? "device" : "CPU") + " run returned an undefined tensor";
    return r;
  }
  if (got.shape() != ref.shape() || got.dtype() != ref.dtype() || got.device() != device) {
    o << "got " << got.describe() << ", expected " << ref.describe() << " on " << device.str();
    r.detail = o.str();
    return r;
  }
  const std::vector<double> a = as_doubles(got), b = as_doubles(ref);
  double num = 0, den = 0, worst = -1;
  int64_t at = -1, differing = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(b[i]) || !std::isfinite(a[i])) {
      o << (std::isfinite(b[i]) ? "device" : "CPU") << " value not finite at " << position(ref.shape(), i) << ": cpu "
        << b[i] << ", device " << a[i];
      r.detail = o.str();
      return r;
    }
    const double d = std::abs(a[i] - b[i]);
    num += d * d;
    den += b[i] * b[i];
    differing += d != 0;
    if (d > worst) worst = d, at = static_cast<int64_t>(i);
  }
  r.rel = den == 0 ? std::sqrt(num) : std::sqrt(num / den);
  o.precision(ref.dtype() == DType::f64 ? 17 : 9);  // enough digits to tell the values apart
  o << differing << " of " << a.size() << " elements differ";
  if (differing > 0)
    o << "; worst at " << position(ref.shape(), at) << ": cpu " << b[at] << ", device " << a[at] << " (|diff| "
      << worst << ")";
  r.detail = o.str();
  return r;
}

}  // namespace

// ------------------------------------------------------------------------ tests

TEST_CASE("backend-ops: every op stem and entry point has cases", "[backend-ops]") {
  const auto& cases = all_cases();
  namespace fs = std::filesystem;
  const fs::path ops_dir = fs::path(CUDANET_SOURCE_DIR) / "core" / "ops";
  std::set<std::string> files, table;
  for (const auto& e : fs::directory_iterator(ops_dir))
    if (e.path().extension() == ".cpp") files.insert(e.path().stem().string());
  for (const OpEntry& op : kOps) table.insert(std::string(op.stem));
  REQUIRE_FALSE(files.empty());

  // Every problem as a sentence, so a failure lists them all at once.
  std::vector<std::string> problems;
  for (const std::string& f : files)
    if (!table.count(f)) problems.push_back("core/ops/" + f + ".cpp has no line in kOps (tests/backend_ops.h)");
  for (const std::string& t : table)
    if (!files.count(t)) problems.push_back("kOps names " + t + ", but core/ops/" + t + ".cpp does not exist");

  std::map<std::pair<std::string, std::string>, int> per_entry;
  std::set<std::string> names;
  for (const Case& c : cases) {
    const std::string who = "case " + c.op + ": " + c.full_name();
    ++per_entry[{c.op, c.entry}];
    // Sections and seeds are named by it.
    if (!names.insert(c.full_name()).second) problems.push_back(who + ": another case has this name");
    if (c.algos.empty()) problems.push_back(who + ": no algorithm");
    if (c.outputs.empty()) problems.push_back(who + ": no outputs");
    if (!c.run) problems.push_back(who + ": no run function");
    for (const Output& out : c.outputs)
      if (!(out.tol >= 0)) problems.push_back(who + ": output " + out.name + " has a negative tolerance");
  }
  for (const OpEntry& op : kOps) {
    std::ifstream f(ops_dir / (std::string(op.stem) + ".cpp"));
    std::stringstream text;
    text << f.rdbuf();
    const std::string src = text.str(), stem(op.stem);
    for (const std::string& entry : words(op.entry_points)) {
      if (per_entry[{stem, entry}] == 0)
        problems.push_back(stem + ": entry point " + entry + " has no case in tests/backend_ops/" + stem + ".cpp");
      // Still named in its stem's file: a renamed or moved entry point fails here.
      if (src.find(entry) == std::string::npos)
        problems.push_back(stem + ": entry point " + entry + " is not named in core/ops/" + stem + ".cpp");
    }
  }
  for (const auto& [key, n] : per_entry) {
    const auto& [stem, entry] = key;
    const auto* op = std::find_if(std::begin(kOps), std::end(kOps), [&](const OpEntry& o) { return o.stem == stem; });
    const auto listed = op == std::end(kOps) ? std::vector<std::string>{} : words(op->entry_points);
    if (n > 0 && std::find(listed.begin(), listed.end(), entry) == listed.end())
      problems.push_back(stem + ": " + std::to_string(n) + " cases name entry point " + entry +
                         ", which kOps does not list for " + stem);
  }

  // The table, with -s: what is compared, with which algorithms and tolerances.
  if (show_successes()) {
    std::printf("backend-ops: %zu cases\n", cases.size());
    for (const OpEntry& op : kOps) {
      int n = 0;
      for (const Case& c : cases) n += c.op == op.stem;
      std::printf("\n%.*s: %d cases\n", static_cast<int>(op.stem.size()), op.stem.data(), n);
      for (const Case& c : cases) {
        if (c.op != op.stem) continue;
        std::printf("  %-60s [%s] %s\n", c.full_name().c_str(), algo_list(c.algos).c_str(),
                    output_list(c.outputs).c_str());
      }
      if (!op.not_compared.empty())
        std::printf("  not compared: %.*s\n", static_cast<int>(op.not_compared.size()), op.not_compared.data());
    }
    std::fflush(stdout);
  }

  std::string all;
  for (const std::string& p : problems) all += "\n  " + p;
  INFO(problems.size() << " problems:" << all);
  CHECK(problems.empty());
}

// One section per case (run one alone with -c "<entry> <name>"): the CPU
// reference once, then the device with each algorithm it can run.
TEST_CASE("backend-ops: every op on the CUDA device matches the CPU", "[backend-ops][gpu]") {
  require_gpu();
  set_allow_tf32(false);  // the tolerances are for float32 math on both sides
  const Device gpu = Device::cuda(0);
  for (const Case& c : all_cases()) {
    DYNAMIC_SECTION(c.full_name()) {
      INFO("case " << c.op << ": " << c.full_name());
      const auto start = std::chrono::steady_clock::now();
      std::vector<Tensor> ref;
      try {
        ref = run_case(c, Device::cpu(), Algo::Default);
      } catch (const std::exception& e) {
        FAIL("the CPU run threw: " << e.what());
      }
      REQUIRE(ref.size() == c.outputs.size());
      for (Algo algo : device_algos(c)) {
        INFO("algo " << algo_name(algo));
        std::vector<Tensor> got;
        try {
          got = run_case(c, gpu, algo);
        } catch (const std::exception& e) {
          FAIL_CHECK("the device run threw: " << e.what());
          continue;
        }
        REQUIRE(got.size() == c.outputs.size());
        for (size_t k = 0; k < c.outputs.size(); ++k) {
          const Output& out = c.outputs[k];
          const Comparison r = compare(got[k], ref[k], gpu);
          INFO(out.name << ": " << r.detail);
          CHECK(r.rel <= out.tol);
        }
      }
      if (show_successes()) {
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        std::printf("backend-ops: %9.1f ms  %s [%s]\n", ms, c.full_name().c_str(),
                    algo_list(device_algos(c)).c_str());
        std::fflush(stdout);
      }
    }
  }
}
