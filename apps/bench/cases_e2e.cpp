// End-to-end: training steps of the reference model (zero_grad, forward,
// cross-entropy, backward, Adam) on data already on the device, per device and
// algorithm choice, at batch 64 and 512. Reports images/s and steps/s.
//
// Gate: the first kGateSteps losses on CUDA must match a CPU run from the same
// initialisation on the same batches (the first checks the forward pass, the
// later ones the backward pass and the optimizer too).
#include <algorithm>
#include <cmath>
#include <string>

#include "apps/bench/cases.h"
#include "apps/bench/e2e_trainer.h"
#include "apps/bench/reference_model.h"
#ifdef CUDANET_WITH_CUDA
#include "apps/bench/cuda_timing.h"
#endif

namespace cudanet::bench {

namespace {

constexpr int kGateSteps = 3;

struct AlgoChoice {
  const char* name;
  Algo conv, gemm, pool;
};
// ReLU, bias, loss and Adam have only hand-written CUDA kernels: the same in every choice.
const AlgoChoice kChoices[] = {{"native", Algo::Native, Algo::Native, Algo::Native},
                               {"vendor", Algo::Cudnn, Algo::Cublas, Algo::Cudnn},
                               {"auto", Algo::Auto, Algo::Auto, Algo::Auto}};

// Sets the global algorithm of each family for one case and restores it after.
class AlgoScope {
 public:
  explicit AlgoScope(const AlgoChoice& c)
      : conv_(default_algo(OpFamily::Conv)), gemm_(default_algo(OpFamily::Gemm)), pool_(default_algo(OpFamily::Pool)) {
    set_default_algo(OpFamily::Conv, c.conv);
    set_default_algo(OpFamily::Gemm, c.gemm);
    set_default_algo(OpFamily::Pool, c.pool);
  }
  ~AlgoScope() {
    set_default_algo(OpFamily::Conv, conv_);
    set_default_algo(OpFamily::Gemm, gemm_);
    set_default_algo(OpFamily::Pool, pool_);
  }
  AlgoScope(const AlgoScope&) = delete;
  AlgoScope& operator=(const AlgoScope&) = delete;

 private:
  Algo conv_, gemm_, pool_;
};

Result base(const std::string& name, const std::string& group, const std::string& algo, const char* device, int batch,
            const std::vector<std::string>& tags) {
  Result r;
  r.name = name, r.group = group, r.algo = algo, r.device = device, r.tags = tags;
  r.unit = Unit::Image;
  r.work = batch;
  r.batch = batch;
  r.flops = batch * ref_train_flops_per_image();
  return r;
}

void finish(Result& r) {
  summarize(r);
  r.steps_per_s = 1e3 / r.median_ms;
}

Result run_cpu(Result r, int batch, const Options& opts) {
  Trainer t(Device::cpu(), batch, e2e_batches(batch, opts));
  // A CPU step is synchronous: each one is timed on its own.
  r.ms = cpu_time([&] { t.step(); }, opts);
  finish(r);
  return r;
}

#ifdef CUDANET_WITH_CUDA
Result run_cuda(Result r, const AlgoChoice& choice, int batch, const Options& opts) {
  if (!cuda_available()) {
    r.note = "no GPU: " + cuda_unavailable_reason();
    return r;
  }
  AlgoScope scope(choice);
  const Dataset data = e2e_batches(batch, opts);
  Trainer ref(Device::cpu(), batch, data), dev(Device::cuda(0), batch, data);
  double worst = 0;
  for (int i = 0; i < kGateSteps; ++i) {
    const double a = dev.step().item(), b = ref.step().item();
    worst = std::max(worst, std::isfinite(a) ? std::abs(a - b) / std::abs(b) : INFINITY);
  }
  r.err = worst;
  // Losses after a few Adam steps: float32 differences in summation order
  // grow through three updates to ~1e-5; TF32 to ~1e-3.
  r.tol = allow_tf32() ? 2e-2 : 1e-3;
  if (!(worst <= r.tol)) {
    r.status = Status::Wrong;
    r.note = "loss differs from the CPU run by " + std::to_string(worst);
    return r;
  }
  // Windows of e2e_steps steps between two events: the steps issue device work
  // only, so the window measures the device's throughput, launch gaps included.
  const int steps = std::max(1, opts.e2e_steps);
  auto window = [&] {
    for (int i = 0; i < steps; ++i) dev.step();
  };
  for (int i = 0; i < opts.warmup; ++i) window();
  const int n = planned_runs(cuda_window_ms(window), opts);
  for (int i = 0; i < n; ++i) r.ms.push_back(cuda_window_ms(window) / steps);
  finish(r);
  return r;
}
#endif

}  // namespace

void register_e2e_cases() {
  for (int batch : kRefBatches) {
    const std::string b = batch_label(batch);
    const std::string cpu_name = "e2e.train.cpu." + b;
    add_case({cpu_name, cpu_name, "cpu", false, {"e2e"}, [=](const Options& o) {
                return run_cpu(base(cpu_name, cpu_name, "cpu", "cpu", batch, {"e2e"}), batch, o);
              }});
    for (const AlgoChoice& c : kChoices) {
      const std::string name = std::string("e2e.train.cuda.") + c.name + "." + b;
      const std::string group = "e2e.train.cuda." + b;
      const std::vector<std::string> tags{"reference", "e2e"};
      add_case({name, group, c.name, true, tags, [=]([[maybe_unused]] const Options& o) {
                  Result r = base(name, group, c.name, "cuda", batch, tags);
#ifdef CUDANET_WITH_CUDA
                  return run_cuda(r, c, batch, o);
#else
                  r.note = "no GPU: " + cuda_unavailable_reason();
                  return r;
#endif
                }});
    }
  }
}

}  // namespace cudanet::bench
