#include "layers/model_spec.h"

#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "core/ops.h"

namespace cudanet {

namespace {

constexpr int64_t kIntMax = INT_MAX;  // the layers take int sizes
constexpr size_t kQuoted = 60;        // characters of a description or token shown in a message

[[noreturn]] void fail(const std::string& message) { throw ModelSpecError(message); }

// `s` as it may appear inside one line of a message: control and non-ASCII
// bytes escaped, a long text cut with its length said.
std::string quote(std::string_view s) {
  std::string q = "'";
  for (size_t i = 0; i < s.size() && i < kQuoted; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      q += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      q += hex;
    }
  }
  if (s.size() > kQuoted) return detail::cat(q, "...' (", s.size(), " characters)");
  return q + "'";
}

// A number as written, or its length when it is too long to read.
std::string number_text(std::string_view digits) {
  if (digits.size() <= 20) return std::string(digits);
  return detail::cat("of ", digits.size(), " digits");
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A cursor over one token.
struct Scan {
  std::string_view s;
  size_t i = 0;

  bool done() const { return i == s.size(); }
  bool digit_at(size_t j) const { return j < s.size() && is_digit(s[j]); }
  bool eat(std::string_view word) {
    if (!s.substr(i).starts_with(word)) return false;
    i += word.size();
    return true;
  }
  // `word` only when a digit follows it: "s2" is a stride, the "s" of "same" is not.
  bool eat_before_digit(std::string_view word) { return digit_at(i + word.size()) && eat(word); }
  std::string_view digits() {
    const size_t from = i;
    while (digit_at(i)) ++i;
    return s.substr(from, i - from);
  }
  std::string_view rest() const { return s.substr(i); }
};

// Parses a LayerSpec from one token; `at` starts each message ("model description
// '...', layer 3: 'dense4294967306': ").
class TokenParser {
 public:
  TokenParser(std::string_view token, std::string at) : token_(token), at_(std::move(at)) {}

  // False when the token is not a layer of the language.
  bool parse(LayerSpec& l) {
    static constexpr std::pair<std::string_view, LayerKind> kWords[] = {
        {"relu", LayerKind::Relu},       {"sigmoid", LayerKind::Sigmoid},  {"tanh", LayerKind::Tanh},
        {"flatten", LayerKind::Flatten}, {"bn", LayerKind::BatchNorm}};
    l.token = std::string(token_);
    for (const auto& [word, kind] : kWords)
      if (token_ == word) {
        l.kind = kind;
        return true;
      }
    return conv(l) || pool(l) || dense(l) || dropout(l) || leaky_relu(l);
  }

 private:
  // conv<OUT>x<K>[s<S>][p<P>|same]
  bool conv(LayerSpec& l) {
    Scan c{token_};
    if (!c.eat("conv")) return false;
    const std::string_view out = c.digits();
    if (out.empty() || !c.eat("x")) return false;
    const std::string_view k = c.digits();
    if (k.empty()) return false;
    const std::string_view s = c.eat_before_digit("s") ? c.digits() : std::string_view{};
    const std::string_view p = c.eat_before_digit("p") ? c.digits() : std::string_view{};
    const bool same = p.empty() && c.eat("same");
    if (!c.done()) return false;
    l.kind = LayerKind::Conv;
    l.out = to_int(out, 1, "the filter count");
    l.kernel = to_int(k, 1, "the kernel size");
    l.stride = s.empty() ? 1 : to_int(s, 1, "the stride");
    if (same && l.kernel % 2 == 0) fail(at_ + "'same' padding needs an odd kernel");
    l.padding = same ? same_padding(l.kernel) : p.empty() ? 0 : to_int(p, 0, "the padding");
    return true;
  }

  // [max|avg]pool<K>[s<S>][p<P>]
  bool pool(LayerSpec& l) {
    Scan c{token_};
    const bool avg = c.eat("avg");
    if (!avg) c.eat("max");
    if (!c.eat("pool")) return false;
    const std::string_view k = c.digits();
    if (k.empty()) return false;
    const std::string_view s = c.eat_before_digit("s") ? c.digits() : std::string_view{};
    const std::string_view p = c.eat_before_digit("p") ? c.digits() : std::string_view{};
    if (!c.done()) return false;
    l.kind = avg ? LayerKind::AvgPool : LayerKind::MaxPool;
    l.kernel = to_int(k, 1, "the window size");
    l.stride = s.empty() ? l.kernel : to_int(s, 1, "the stride");
    l.padding = p.empty() ? 0 : to_int(p, 0, "the padding");
    return true;
  }

  // dense<N>
  bool dense(LayerSpec& l) {
    Scan c{token_};
    if (!c.eat("dense")) return false;
    const std::string_view n = c.digits();
    if (n.empty() || !c.done()) return false;
    l.kind = LayerKind::Dense;
    l.out = to_int(n, 1, "the unit count");
    return true;
  }

  // dropout<P>, P one of 0, .D+, 0.D+
  bool dropout(LayerSpec& l) {
    Scan c{token_};
    if (!c.eat("dropout")) return false;
    const std::string_view p = c.rest();
    if (p != "0") {
      c.eat("0");
      if (!c.eat(".") || c.digits().empty() || !c.done()) return false;
    }
    l.kind = LayerKind::Dropout;
    l.value = to_double(p);
    if (l.value >= 1) fail(at_ + "the probability rounds to 1; it must be below 1");
    return true;
  }

  // leakyrelu[<SLOPE>], SLOPE one of D+, D*.D+
  bool leaky_relu(LayerSpec& l) {
    Scan c{token_};
    if (!c.eat("leakyrelu")) return false;
    const std::string_view slope = c.rest();
    l.kind = LayerKind::LeakyRelu;
    l.value = 0.01;  // Keras's and PyTorch's default
    if (slope.empty()) return true;
    c.digits();
    if (c.eat(".") && c.digits().empty()) return false;
    if (!c.done()) return false;
    l.value = to_double(slope);
    if (!std::isfinite(l.value)) fail(at_ + "the slope " + number_text(slope) + " is too large");
    return true;
  }

  int to_int(std::string_view digits, int64_t low, const char* what) const {
    int64_t v = 0;
    for (char d : digits) {
      v = v * 10 + (d - '0');
      if (v > kIntMax) break;
    }
    if (v < low || v > kIntMax)
      fail(detail::cat(at_, what, " ", number_text(digits), " is out of range [", low, ", ", kIntMax, "]"));
    return static_cast<int>(v);
  }

  // As the language has always read its decimals (strtod in the "C" locale).
  static double to_double(std::string_view text) { return std::strtod(std::string(text).c_str(), nullptr); }

  std::string_view token_;
  std::string at_;
};

constexpr const char* kGrammar =
    "conv<OUT>x<K>[s<S>][p<P>|same], [max|avg]pool<K>[s<S>][p<P>], dense<N>, relu, leakyrelu[<SLOPE>], sigmoid, "
    "tanh, flatten, dropout<P> or bn";

std::string description_text(const std::string& d) { return "model description " + quote(d); }

// ------------------------------------------------------------------ shapes
// The checks of one layer against the shape that arrives, with `at` naming the
// description, the layer and the token. Every product is checked for overflow.
struct Planner {
  std::string at;

  // The elements of a tensor of `dims`, or a refusal naming it.
  int64_t elements(const std::vector<int64_t>& dims, const char* what) const {
    int64_t n = 1;
    for (int64_t d : dims)
      if (__builtin_mul_overflow(n, d, &n))
        fail(at + what + " " + Shape(dims).str() + " would have more elements than a 64-bit count holds");
    return n;
  }
  // A size the layers take as int: the input's channels or features.
  int count(int64_t n, const char* what, const Shape& in) const {
    if (n < 1) fail(detail::cat(at, "the input ", in.str(), " has no ", what));
    if (n > kIntMax) fail(detail::cat(at, "the input has ", n, " ", what, "; this layer takes at most ", kIntMax));
    return static_cast<int>(n);
  }
  void need_chw(const Shape& in, const char* what) const {
    if (in.ndim() != 3) fail(at + what + " needs an input (C, H, W), but the previous layers produce " + in.str());
  }
  // The output height or width of a window of l.kernel over `n` pixels padded on both sides.
  int64_t out_size(int64_t n, const LayerSpec& l, const char* what, const Shape& in) const {
    int64_t padded;  // n + 2 * padding, in 64 bits: the padding alone may be 2^31 - 1
    if (__builtin_add_overflow(n, 2 * int64_t(l.padding), &padded))
      fail(at + "the padded input " + in.str() + " is too large to count");
    if (padded < l.kernel)
      fail(detail::cat(at, what, " ", l.kernel, "x", l.kernel, " does not fit input ", in.str(),
                       l.padding ? detail::cat(" padded by ", l.padding) : std::string()));
    return (padded - l.kernel) / l.stride + 1;
  }

  void plan(LayerSpec& l, const Shape& in) const {
    switch (l.kind) {
      case LayerKind::Conv: {
        need_chw(in, "a convolution");
        l.in = count(in[0], "channels", in);
        const std::vector<int64_t> out{l.out, out_size(in[1], l, "kernel", in), out_size(in[2], l, "kernel", in)};
        elements(out, "its output");
        l.output = Shape(out);
        // The weights and the bias: out * in * k * k + out.
        if (__builtin_add_overflow(elements({l.out, l.in, l.kernel, l.kernel}, "its weights"), l.out, &l.parameters))
          fail(at + "its parameters would be more than a 64-bit count holds");
        return;
      }
      case LayerKind::MaxPool:
      case LayerKind::AvgPool: {
        need_chw(in, "pooling");
        const std::vector<int64_t> out{in[0], out_size(in[1], l, "window", in), out_size(in[2], l, "window", in)};
        elements(out, "its output");
        l.output = Shape(out);
        return;
      }
      case LayerKind::Dense:
        if (in.ndim() != 1)
          fail(at + "dense needs a flat input (F), but the previous layers produce " + in.str() +
               "; add 'flatten' before it");
        l.in = count(in[0], "features", in);
        l.output = Shape{l.out};
        l.parameters = elements({l.out, l.in}, "its weights") + l.out;  // < 2^62 + 2^31
        return;
      case LayerKind::BatchNorm:
        l.in = count(in[0], "channels", in);
        l.output = in;
        l.parameters = 2 * int64_t(l.in);
        return;
      case LayerKind::Flatten: l.output = Shape{in.numel()}; return;  // in was counted when planned
      default: l.output = in; return;
    }
  }
};

std::string layer_text(const std::string& d, int index) {
  return detail::cat(description_text(d), ", layer ", index, ": ");
}

}  // namespace

std::vector<LayerSpec> parse_model(const std::string& d) {
  if (d.empty()) fail("empty model description");
  if (d.size() > kMaxModelDescription)
    fail(detail::cat(description_text(d), " is longer than the limit of ", kMaxModelDescription, " characters"));
  std::vector<LayerSpec> layers;
  size_t start = 0;
  for (int index = 1; start <= d.size(); ++index) {
    size_t end = d.find('-', start);
    if (end == std::string::npos) end = d.size();
    const std::string_view token(d.data() + start, end - start);
    if (token.empty()) fail(detail::cat(description_text(d), ": empty layer at position ", index));
    LayerSpec l;
    if (!TokenParser(token, layer_text(d, index) + quote(token) + ": ").parse(l))
      fail(detail::cat(layer_text(d, index), "unknown layer ", quote(token), " (expected ", kGrammar, ")"));
    layers.push_back(std::move(l));
    start = end + 1;
  }
  return layers;
}

ModelSpec plan_model(const std::string& d, const Shape& input) {
  if (input.ndim() != 3) fail("model input must be (C, H, W), got " + input.str());
  ModelSpec m{d, input, parse_model(d), 0};
  Shape shape = input;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    LayerSpec& l = m.layers[i];
    const Planner p{layer_text(d, static_cast<int>(i + 1)) + quote(l.token) + ": "};
    p.plan(l, shape);
    if (__builtin_add_overflow(m.parameters, l.parameters, &m.parameters))
      fail(description_text(d) + " has more parameters than a 64-bit count holds");
    shape = l.output;
  }
  return m;
}

void require_class_logits(const ModelSpec& m, int num_classes) {
  const Shape& out = m.output();
  if (out == Shape{num_classes}) return;
  const std::string end = detail::cat(out.ndim() == 1 ? "dense" : "flatten-dense", num_classes);
  fail(detail::cat(description_text(m.description), " produces ", out.str(), " for an input ", m.input.str(),
                   ", but a classifier of ", num_classes, " classes needs logits (", num_classes, ",): end it with ",
                   end));
}

}  // namespace cudanet
