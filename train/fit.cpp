#include "train/fit.h"

#include <chrono>
#include <cmath>
#include <string>

#include "core/autograd.h"
#include "core/ops.h"
#include "dist/data_parallel.h"
#include "io/loader.h"
#include "optim/clip.h"
#include "optim/schedule.h"

namespace cudanet {

namespace {

using Clock = std::chrono::steady_clock;

// Device-side running sums of one pass: the summed loss and the confusion
// matrix. Updated inside the step without a host sync; read when reported.
struct RunningMetrics {
  Tensor loss_sum;   // () float32
  Tensor confusion;  // (K, K) int32
  Tensor ranks;      // (K,) int32: the true class's rank among the logits (top-k accuracy)

  RunningMetrics(Device d, int k)
      : loss_sum(Tensor::zeros(Shape{}, DType::f32, d)),
        confusion(Tensor::zeros({k, k}, DType::i32, d)),
        ranks(Tensor::zeros({k}, DType::i32, d)) {}
  void reset() {
    fill_(loss_sum, 0.0);
    fill_(confusion, 0.0);
    fill_(ranks, 0.0);
  }
  // loss is the batch mean: weight it by the batch size so the epoch mean is exact.
  void add(const Tensor& loss, const Tensor& logits, const Tensor& labels) {
    axpy_(loss_sum, loss.detach(), static_cast<double>(labels.size(0)));
    confusion_update_(confusion, logits.detach(), labels);
    label_rank_update_(ranks, logits.detach(), labels);
  }
  // Every rank's sums, on every rank: the pass over all ranks' batches.
  void all_reduce(Communicator& comm) {
    comm.all_reduce_(loss_sum);
    comm.all_reduce_(confusion);
    comm.all_reduce_(ranks);
  }
  // The one read-back: it also surfaces a label that was out of range on CUDA
  // (cross_entropy raises a device flag instead of synchronising per step).
  Metrics read() const {
    Metrics m = Metrics::from_confusion(confusion, loss_sum.item(), ranks);
    check_label_flag(loss_sum.device());
    return m;
  }
};

LoaderOptions loader_options(const FitOptions& o, Device d, bool shuffle) {
  LoaderOptions lo;
  lo.batch_size = o.batch_size;
  lo.shuffle = shuffle;
  lo.seed = o.seed;
  lo.drop_last = shuffle && o.drop_last;
  lo.device = d;
  lo.device_resident = o.device_resident;
  if (o.comm) lo.rank = o.comm->rank(), lo.world = o.comm->size();
  return lo;
}

// o.should_stop, agreed over the ranks when distributed (one host all-reduce):
// a stop that any rank sees stops every rank after the same step.
bool stop_requested(const FitOptions& o) {
  const bool stop = o.should_stop && o.should_stop();
  return o.comm ? o.comm->any(stop) : stop;
}

Metrics run_eval(Module& model, const LossFn& loss_fn, DataLoader& loader, int num_classes, Communicator* comm) {
  const bool was_training = model.training();
  model.eval();
  NoGradGuard no_grad;
  RunningMetrics rm(loader.device(), num_classes);
  loader.start_epoch(0);
  Batch b;
  while (loader.next(b)) {
    if (b.y.size(0) == 0) continue;  // a rank with no rows of the last global batch
    Tensor logits = model(b.x);
    rm.add(loss_fn(logits, b.y), logits, b.y);
  }
  model.train(was_training);
  if (comm) rm.all_reduce(*comm);
  return rm.read();
}

// The running loss read back is NaN or infinite: stop (TerminateOnNaN).
void check_finite_loss(double loss_sum, const TrainPosition& at) {
  if (std::isfinite(loss_sum)) return;
  throw NonFiniteLossError("the training loss became " + std::string(std::isnan(loss_sum) ? "NaN" : "infinite") +
                               " in epoch " + std::to_string(at.epoch + 1) + " (found after batch " +
                               std::to_string(at.batch) + ", step " + std::to_string(at.global_step) +
                               "): training stopped",
                           at);
}

}  // namespace

LossFn cross_entropy_loss() {
  return [](const Tensor& logits, const Tensor& labels) { return cross_entropy(logits, labels); };
}

std::vector<EpochStats> fit(Module& model, Optimizer& opt, const LossFn& loss_fn, const Dataset& train,
                            const Dataset& val, const FitOptions& o) {
  CUDANET_CHECK(train.size() > 0, "fit: the training set is empty");
  CUDANET_CHECK(o.epochs >= 1 && o.batch_size >= 1, "fit: epochs and batch size must be positive");
  CUDANET_CHECK(val.size() == 0 || val.num_classes == train.num_classes, "fit: the validation set has ",
                val.num_classes, " classes, the training set ", train.num_classes);
  const Device d = model.device();
  const std::vector<Tensor> params = model.parameters();
  DataLoader loader(train, loader_options(o, d, o.shuffle));
  std::unique_ptr<DataLoader> val_loader;
  if (val.size() > 0) val_loader = std::make_unique<DataLoader>(val, loader_options(o, d, false));
  RunningMetrics rm(d, train.num_classes);
  std::unique_ptr<DataParallel> dp;  // broadcasts rank 0's state now
  if (o.comm) dp = std::make_unique<DataParallel>(*o.comm, model, opt);
  std::vector<EpochStats> history;
  TrainPosition pos = o.resume;
  const int64_t steps = loader.num_batches();
  std::vector<EpochStats> all = o.history;  // the whole run's epochs, as the callbacks see them
  const double constant_lr = opt.lr();
  TrainState state{model, opt, all};
  state.has_validation = val.size() > 0;
  state.base_lr = o.schedule ? o.schedule->base_lr() : constant_lr;
  const bool set_lr = o.schedule || !o.callbacks.empty();
  for (const auto& cb : o.callbacks) cb->on_train_begin(state);
  CUDANET_CHECK(pos.epoch >= 0 && pos.batch >= 0 && pos.batch <= steps && pos.global_step >= pos.batch,
                "fit: cannot resume at batch ", pos.batch, " of epoch ", pos.epoch + 1, " (global step ",
                pos.global_step, "): an epoch has ", steps, " batches");

  for (int epoch = pos.epoch; epoch < o.epochs; ++epoch) {
    model.train();
    rm.reset();
    loader.start_epoch(epoch);
    if (epoch == o.resume.epoch && o.resume.batch > 0) loader.skip(o.resume.batch);
    int64_t done = epoch == o.resume.epoch ? o.resume.batch : 0;
    int64_t images = 0;
    const auto t0 = Clock::now();
    auto last_check = t0;
    Batch b;
    while (loader.next(b)) {
      if (set_lr) opt.set_lr((o.schedule ? o.schedule->lr(pos.global_step) : constant_lr) * state.lr_scale);
      opt.zero_grad();
      const int64_t rows = b.y.size(0);  // 0 on a rank with no rows of the last global batch
      Tensor logits, loss;
      if (rows > 0) {
        logits = model(b.x);
        loss = loss_fn(logits, b.y);
        loss.backward();
      }
      if (dp) dp->reduce_gradients(rows, b.global_rows);
      if (o.clip_norm > 0) clip_grad_norm_(params, o.clip_norm);
      opt.step();
      if (rows > 0) {
        NoGradGuard no_grad;
        rm.add(loss, logits, b.y);
      }
      ++done, ++pos.global_step;
      images += b.global_rows;
      pos.epoch = epoch, pos.batch = done;
      if (o.on_step) o.on_step(pos);
      if (o.on_progress && o.progress_due && o.progress_due()) {
        const Metrics m = rm.read();
        if (o.terminate_on_nan) check_finite_loss(m.loss, pos), last_check = Clock::now();
        o.on_progress(epoch, done, steps, m.loss, m.accuracy);
      } else if (o.terminate_on_nan &&
                 std::chrono::duration<double>(Clock::now() - last_check).count() >= kNanCheckSeconds) {
        check_finite_loss(rm.loss_sum.item(), pos);
        last_check = Clock::now();
      }
      if (stop_requested(o)) {
        if (o.stopped_at) *o.stopped_at = pos;
        return history;
      }
    }
    if (dp) {
      dp->broadcast_buffers();
      rm.all_reduce(*o.comm);
    }
    const Metrics m = rm.read();  // the end-of-epoch sync
    if (o.terminate_on_nan) check_finite_loss(m.loss, pos);
    EpochStats s;
    s.epoch = epoch + 1;
    s.loss = m.loss;
    s.accuracy = m.accuracy;
    s.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    s.images_per_second = s.seconds > 0 ? images / s.seconds : 0;
    if (val_loader) {
      const Metrics v = run_eval(model, loss_fn, *val_loader, val.num_classes, o.comm);
      s.has_val = true;
      s.val_loss = v.loss;
      s.val_accuracy = v.accuracy;
    }
    s.lr = opt.lr();
    pos = {epoch + 1, 0, pos.global_step};
    history.push_back(s);
    all.push_back(s);
    if (o.on_epoch_end) o.on_epoch_end(s);
    for (const auto& cb : o.callbacks) cb->on_epoch_end(s, state);
    // A stop asked for at the epoch's end (by on_epoch_end or a signal) stops here,
    // before any step of the next epoch.
    if (stop_requested(o)) {
      if (o.stopped_at) *o.stopped_at = pos;
      return history;
    }
    if (o.comm ? o.comm->any(state.stop) : state.stop) break;  // a callback's stop (early stopping)
  }
  for (const auto& cb : o.callbacks) cb->on_train_end(state);
  return history;
}

int64_t steps_per_epoch(const Dataset& train, const FitOptions& o) {
  return DataLoader::num_batches(train.size(), loader_options(o, Device::cpu(), o.shuffle));
}

Metrics evaluate(Module& model, const LossFn& loss_fn, const Dataset& data, int batch_size, Communicator* comm) {
  CUDANET_CHECK(data.size() > 0, "evaluate: the dataset is empty");
  FitOptions o;
  o.batch_size = batch_size;
  o.comm = comm;
  DataLoader loader(data, loader_options(o, model.device(), false));
  return run_eval(model, loss_fn, loader, data.num_classes, comm);
}

Tensor predict(Module& model, const Tensor& images, int batch_size) {
  CUDANET_CHECK(images.dim() == 4, "predict: images must be (N, C, H, W), got ", images.describe());
  const bool was_training = model.training();
  model.eval();
  NoGradGuard no_grad;
  const int64_t n = images.size(0);
  Tensor out = Tensor::empty({n}, DType::i32);
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(n, start + batch_size);
    Tensor x = rows_view(images, start, end).to(model.device());
    Tensor cls = argmax(model(x), 1).to(Device::cpu());
    copy_bytes(out.data<int32_t>() + start, Device::cpu(), cls.data_ptr(), Device::cpu(), cls.nbytes());
  }
  model.train(was_training);
  return out;
}

Tensor predict_probabilities(Module& model, const Tensor& images, int batch_size) {
  CUDANET_CHECK(images.dim() == 4, "predict_probabilities: images must be (N, C, H, W), got ", images.describe());
  CUDANET_CHECK(batch_size >= 1, "predict_probabilities: batch size ", batch_size, " is not positive");
  const bool was_training = model.training();
  model.eval();
  NoGradGuard no_grad;
  const int64_t n = images.size(0);
  Tensor out = Tensor::empty({0, 0});  // (N, K), allocated when the first batch tells K
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(n, start + batch_size);
    Tensor x = rows_view(images, start, end).to(model.device());
    Tensor p = softmax(model(x)).to(Device::cpu());  // (B, K)
    if (start == 0) out = Tensor::empty({n, p.size(1)}, p.dtype());
    copy_bytes(static_cast<char*>(out.data_ptr()) + start * p.size(1) * dtype_size(p.dtype()), Device::cpu(),
               p.data_ptr(), Device::cpu(), p.nbytes());
  }
  model.train(was_training);
  return out;
}

}  // namespace cudanet
