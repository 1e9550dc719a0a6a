// The registry and the gate-then-time path of every op case: a CUDA result is
// compared with the CPU backend's on the same inputs, and only a correct one is
// timed; a wrong kernel is reported with its error, never with a speed.
#include <algorithm>
#include <time.h>

#include <cstring>
#include <random>

#include "apps/bench/bench.h"
#include "core/device.h"
#include "core/random.h"
#include "core/storage.h"
#include "kernels/cpu/matmul.h"
#ifdef CUDANET_WITH_CUDA
#include "apps/bench/cuda_timing.h"
#endif

namespace cudanet::bench {

const char* status_name(Status s) {
  switch (s) {
    case Status::Ok: return "ok";
    case Status::Wrong: return "WRONG";
    case Status::Skipped: return "skipped";
    case Status::Failed: return "FAILED";
  }
  return "?";
}

std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}

void add_case(Case c) { registry().push_back(std::move(c)); }

double median(std::vector<double> v) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

namespace {
std::vector<double> host_doubles(const Tensor& t) {
  Tensor h = t.device().is_cpu() ? t : t.to(Device::cpu());
  std::vector<double> out(static_cast<size_t>(h.numel()));
  if (h.dtype() == DType::f32) {
    const float* p = h.data<float>();
    std::copy(p, p + out.size(), out.begin());
  } else {
    const double* p = h.data<double>();
    std::copy(p, p + out.size(), out.begin());
  }
  return out;
}
}  // namespace

double rel_err(const Tensor& out, const Tensor& ref) {
  if (out.shape() != ref.shape()) return INFINITY;
  const std::vector<double> a = host_doubles(out), b = host_doubles(ref);
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i])) return INFINITY;  // NaN poison: an element never written
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

namespace {
double now_ms(clockid_t clock) {
  timespec t{};
  clock_gettime(clock, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}
}  // namespace

std::vector<double> cpu_time(const std::function<void()>& fn, const Options& opts) {
  const clockid_t clock = opts.cpu_clock ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC;
  for (int i = 0; i < opts.warmup; ++i) fn();
  std::vector<double> ms;
  const double begin = now_ms(CLOCK_MONOTONIC);
  for (int i = 0; i < opts.repeats; ++i) {
    const double t0 = now_ms(clock);
    fn();
    ms.push_back(now_ms(clock) - t0);
    if (static_cast<int>(ms.size()) >= kMinRepeats && now_ms(CLOCK_MONOTONIC) - begin > opts.max_seconds * 1e3) break;
  }
  return ms;
}

int planned_runs(double first_ms, const Options& opts) {
  const int most = std::max(1, opts.repeats), least = std::min(kMinRepeats, most);
  if (!(first_ms > 0)) return most;
  return static_cast<int>(std::clamp(opts.max_seconds * 1e3 / first_ms, double(least), double(most)));
}

void summarize(Result& r) {
  if (r.ms.empty()) return;
  r.median_ms = median(r.ms);
  r.min_ms = *std::min_element(r.ms.begin(), r.ms.end());
  const double per_s = r.work / (r.median_ms * 1e-3);
  r.rate = r.unit == Unit::Image ? per_s : per_s / 1e9;
  r.status = Status::Ok;
}

Tensor random_tensor(const Shape& shape, uint64_t seed) {
  Tensor t = Tensor::empty(shape, DType::f32, Device::cpu());
  Generator g(seed);
  normal_(t, 0.0, 1.0, g);
  return t;
}

Tensor random_labels(int64_t n, int classes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> pick(0, classes - 1);
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (auto& x : v) x = pick(rng);
  return Tensor::from_vector(v, Shape{n});
}

Ceilings measure_cpu_ceilings(const Options& opts) {
  Ceilings c;
  const int64_t bytes = 256LL << 20;
  std::vector<char> src(static_cast<size_t>(bytes), 1), dst(static_cast<size_t>(bytes));
  const double copy_ms = median(cpu_time([&] { std::memcpy(dst.data(), src.data(), src.size()); }, opts));
  c.bandwidth_gbs = 2.0 * bytes / (copy_ms * 1e-3) / 1e9;
  c.bandwidth_source = "memcpy, 256 MiB, one thread, read + write";

  // The CPU backend's own large GEMM: what its convolutions (im2col + GEMM) can reach.
  const int64_t n = 1024;
  Tensor a = random_tensor({n, n}, 1), b = random_tensor({n, n}, 2);
  Tensor y = Tensor::empty({n, n});
  MatmulParams p;
  p.m = p.n = p.k = n;
  const double gemm_ms = median(cpu_time([&] { cpu::matmul_forward(y, a, b, p); }, opts));
  c.fp32_gflops = 2.0 * n * n * n / (gemm_ms * 1e-3) / 1e9;
  c.fp32_source = "cudanet CPU matmul (Eigen) 1024^3";
  return c;
}

// ---- op cases ------------------------------------------------------------------

namespace {

std::string join_name(std::initializer_list<std::string> parts) {
  std::string s;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!s.empty()) s += '.';
    s += p;
  }
  return s;
}

std::string algo_label(Algo a) { return algo_name(a); }

Result base_result(const OpSpec& spec, const std::string& name, const std::string& algo, const char* device,
                   const std::vector<std::string>& tags) {
  Result r;
  r.name = name;
  r.group = join_name({spec.op, spec.pass, spec.shape});
  r.algo = algo;
  r.device = device;
  r.tags = tags;
  r.unit = spec.unit;
  r.work = spec.work;
  r.flops = spec.unit == Unit::Flop ? spec.work : 0;
  r.tol = spec.tol;
  return r;
}

Result run_cpu_op(const OpSpec& spec, Result r, const Options& opts) {
  const std::vector<Tensor> in = spec.inputs();
  Bound b = spec.bind(in, Algo::Native);
  r.ms = cpu_time(b.run, opts);
  summarize(r);
  return r;
}

#ifdef CUDANET_WITH_CUDA
// The CPU outputs of the last group checked: the native and vendor cases of a
// group run one after the other and share them.
struct ReferenceCache {
  std::string group;
  std::vector<Tensor> outputs;
};

const std::vector<Tensor>& reference(const OpSpec& spec, const std::string& group, const std::vector<Tensor>& in) {
  static ReferenceCache cache;
  if (cache.group != group) {
    cache.outputs.clear();
    Bound b = spec.bind(in, Algo::Native);
    b.run();
    cache.outputs = b.outputs;
    cache.group = group;
  }
  return cache.outputs;
}

Result run_cuda_op(const OpSpec& spec, Algo algo, Result r, const Options& opts) {
  if (!cuda_available()) {
    r.note = "no GPU: " + cuda_unavailable_reason();
    return r;
  }
  const std::vector<Tensor> host = spec.inputs();
  const std::vector<Tensor>& ref = reference(spec, r.group, host);
  std::vector<Tensor> dev;
  for (const Tensor& t : host) dev.push_back(t.to(Device::cuda(0)));
  // Outputs start as NaN, so an element a kernel never writes fails the gate.
  set_poison_allocations(true);
  Bound b;
  try {
    b = spec.bind(dev, algo);
  } catch (...) {
    set_poison_allocations(false);
    throw;
  }
  set_poison_allocations(false);
  b.run();
  cuda_sync();
  double err = 0;
  for (size_t i = 0; i < ref.size(); ++i) err = std::max(err, rel_err(b.outputs[i], ref[i]));
  r.err = err;
  if (!(err <= spec.tol)) {
    r.status = Status::Wrong;
    r.note = "relative error " + std::to_string(err) + " above tolerance " + std::to_string(spec.tol);
    return r;
  }
  r.ms = cuda_time(b.run, opts);
  summarize(r);
  return r;
}
#endif

}  // namespace

void add_op_cases(const OpSpec& spec, const std::vector<Algo>& cuda_algos, const std::vector<std::string>& tags,
                  bool with_cpu) {
  const std::string group = join_name({spec.op, spec.pass, spec.shape});
  if (with_cpu) {
    const std::string name = join_name({"cpu", spec.op, spec.pass, spec.shape});
    add_case({name, group, "cpu", false, {},
              [spec, name](const Options& o) { return run_cpu_op(spec, base_result(spec, name, "cpu", "cpu", {}), o); }});
  }
  for (Algo a : cuda_algos) {
    const std::string name = join_name({spec.op, spec.pass, algo_label(a), spec.shape});
    add_case({name, group, algo_label(a), true, tags, [spec, name, a, tags]([[maybe_unused]] const Options& o) {
                Result r = base_result(spec, name, algo_label(a), "cuda", tags);
#ifdef CUDANET_WITH_CUDA
                return run_cuda_op(spec, a, r, o);
#else
                r.note = "no GPU: " + cuda_unavailable_reason();
                return r;
#endif
              }});
  }
}

}  // namespace cudanet::bench
