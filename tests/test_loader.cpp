#include <algorithm>
#include <numeric>
#include <set>

#include "io/loader.h"
#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {

// n samples of shape (1, 2, 2) whose four pixels all equal the sample's index,
// with label index % 10: a batch shows exactly which samples it holds.
Dataset indexed_dataset(int64_t n) {
  std::vector<float> px(static_cast<size_t>(n * 4));
  std::vector<int32_t> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    std::fill(px.begin() + i * 4, px.begin() + i * 4 + 4, static_cast<float>(i));
    y[i] = static_cast<int32_t>(i % 10);
  }
  Dataset d;
  d.images = Tensor::from_vector(px, {n, 1, 2, 2});
  d.labels = Tensor::from_vector(y, {n});
  return d;
}

// The sample indices of one batch, checking its labels and pixels agree.
std::vector<int32_t> samples_of(const Batch& b) {
  const std::vector<float> px = b.x.to_vector<float>();
  const std::vector<int32_t> y = b.y.to_vector<int32_t>();
  REQUIRE(b.x.dim() == 4);
  REQUIRE(b.x.size(0) == b.y.size(0));
  std::vector<int32_t> s;
  for (size_t i = 0; i < y.size(); ++i) {
    const auto idx = static_cast<int32_t>(px[i * 4]);
    REQUIRE(px[i * 4 + 3] == px[i * 4]);
    REQUIRE(y[i] == idx % 10);
    s.push_back(idx);
  }
  return s;
}

std::vector<std::vector<int32_t>> epoch_batches(DataLoader& l, int64_t epoch, int64_t skip = 0) {
  l.start_epoch(epoch);
  if (skip) l.skip(skip);
  std::vector<std::vector<int32_t>> out;
  Batch b;
  while (l.next(b)) out.push_back(samples_of(b));
  return out;
}

}  // namespace

TEST_CASE("epoch permutations are permutations, reproducible and distinct", "[loader]") {
  const std::vector<int32_t> p = epoch_permutation(1000, 42, 0);
  std::vector<int32_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int32_t> iota(1000);
  std::iota(iota.begin(), iota.end(), 0);
  REQUIRE(sorted == iota);
  REQUIRE(p != iota);
  REQUIRE(epoch_permutation(1000, 42, 0) == p);
  REQUIRE(epoch_permutation(1000, 42, 1) != p);
  REQUIRE(epoch_permutation(1000, 43, 0) != p);
  REQUIRE(epoch_permutation(1, 42, 5) == std::vector<int32_t>{0});
  REQUIRE(epoch_permutation(0, 42, 5).empty());
  // Each position sees every value about equally often over many epochs
  // (a biased shuffle would not): 4000 epochs of 4 elements, expected 1000 each,
  // binomial sd ~27, so 150 is over 5 sd.
  int counts[4][4] = {};
  for (int e = 0; e < 4000; ++e) {
    const auto q = epoch_permutation(4, 7, e);
    for (int i = 0; i < 4; ++i) ++counts[i][q[i]];
  }
  for (auto& row : counts)
    for (int c : row) CHECK(std::abs(c - 1000) < 150);
}

TEST_CASE("validation split takes the last fraction before shuffling, as Keras", "[loader]") {
  const Dataset d = indexed_dataset(10);
  TrainValSplit s = split_last(d, 0.25);  // floor(10 * 0.75) = 7
  REQUIRE(s.train.size() == 7);
  REQUIRE(s.val.size() == 3);
  REQUIRE(s.val.labels.to_vector<int32_t>() == std::vector<int32_t>{7, 8, 9});
  REQUIRE(s.val.images.to_vector<float>()[0] == 7.0f);
  REQUIRE(s.train.images.same_storage(d.images));  // a view, not a copy
  CHECK(split_last(indexed_dataset(60000), 0.1).train.size() == 54000);
  CHECK(split_last(d, 0.0).val.size() == 0);
  CHECK_THROWS_WITH(split_last(d, 1.0), Catch::Contains("[0, 1)"));
  CHECK_THROWS_WITH(split_last(indexed_dataset(1), 0.5), Catch::Contains("no training"));
  CHECK_THROWS_WITH(split_last(d, 1e-17), Catch::Contains("no validation"));
}

TEST_CASE("the loader keeps or drops the last partial batch and sees every sample once", "[loader]") {
  const Dataset d = indexed_dataset(10);
  LoaderOptions o;
  o.batch_size = 4;
  o.seed = 3;
  DataLoader keep(d, o);
  REQUIRE(keep.num_batches() == 3);
  const auto batches = epoch_batches(keep, 0);
  REQUIRE(batches.size() == 3);
  REQUIRE(batches[2].size() == 2);  // Keras keeps the partial batch
  std::multiset<int32_t> seen;
  for (const auto& b : batches) seen.insert(b.begin(), b.end());
  std::multiset<int32_t> all;
  for (int i = 0; i < 10; ++i) all.insert(i);
  REQUIRE(seen == all);
  // The epoch's order is the published permutation.
  const std::vector<int32_t> perm = epoch_permutation(10, 3, 0);
  REQUIRE(batches[0] == std::vector<int32_t>(perm.begin(), perm.begin() + 4));

  o.drop_last = true;
  DataLoader drop(d, o);
  REQUIRE(drop.num_batches() == 2);
  const auto dropped = epoch_batches(drop, 0);
  REQUIRE(dropped.size() == 2);
  REQUIRE(dropped[0] == batches[0]);
  REQUIRE(dropped[1] == batches[1]);

  o.shuffle = false;
  o.drop_last = false;
  DataLoader plain(d, o);
  REQUIRE(epoch_batches(plain, 5)[0] == std::vector<int32_t>{0, 1, 2, 3});
  o.batch_size = 64;  // larger than the dataset: one batch of everything
  DataLoader big(d, o);
  REQUIRE(epoch_batches(big, 0) == std::vector<std::vector<int32_t>>{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}});
}

TEST_CASE("the shuffle depends only on seed and epoch, and resumes mid-epoch", "[loader]") {
  const Dataset d = indexed_dataset(23);
  LoaderOptions o;
  o.batch_size = 5;
  o.seed = 11;
  DataLoader a(d, o), b(d, o);
  const auto e0 = epoch_batches(a, 0), e1 = epoch_batches(a, 1);
  REQUIRE(e0 != e1);
  REQUIRE(epoch_batches(b, 1) == e1);  // a fresh loader, straight to epoch 1
  REQUIRE(epoch_batches(b, 0) == e0);
  const auto resumed = epoch_batches(b, 1, 2);
  REQUIRE(resumed == std::vector<std::vector<int32_t>>(e1.begin() + 2, e1.end()));
  o.seed = 12;
  DataLoader c(d, o);
  REQUIRE(epoch_batches(c, 0) != e0);
}

TEST_CASE("the loader reuses its batch buffers", "[loader]") {
  LoaderOptions o;
  o.batch_size = 4;
  DataLoader l(indexed_dataset(12), o);
  l.start_epoch(0);
  Batch b;
  REQUIRE(l.next(b));
  void* x0 = b.x.data_ptr();
  void* y0 = b.y.data_ptr();
  while (l.next(b)) {
    REQUIRE(b.x.data_ptr() == x0);
    REQUIRE(b.y.data_ptr() == y0);
  }
  CHECK_THROWS_WITH(DataLoader(indexed_dataset(3), LoaderOptions{0}), Catch::Contains("batch size"));
}

TEST_CASE("device batches equal CPU batches, resident and prefetched", "[loader][gpu]") {
  require_gpu();
  // 1000 samples of 28x28 in batches of 64: 15 full batches and a partial one of 40.
  const int64_t n = 1000;
  Dataset d;
  d.images = randu({n, 1, 28, 28}, 5, 0.0, 1.0);
  std::vector<int32_t> y(n);
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<int32_t>(i % 10);
  d.labels = Tensor::from_vector(y, {n});
  LoaderOptions o;
  o.batch_size = 64;
  o.seed = 9;
  DataLoader cpu(d, o);
  for (bool resident : {true, false}) {
    o.device = Device::cuda();
    o.device_resident = resident;
    DataLoader gpu(d, o);
    REQUIRE(gpu.device_resident() == resident);
    for (int64_t epoch : {0, 1}) {
      INFO((resident ? "resident" : "prefetch") << " epoch " << epoch);
      cpu.start_epoch(epoch);
      gpu.start_epoch(epoch);
      Batch bc, bg;
      int64_t count = 0;
      while (cpu.next(bc)) {
        REQUIRE(gpu.next(bg));
        REQUIRE(bg.x.device() == Device::cuda());
        // Work on the batch on the compute stream, as a training step would, while the next one is copied.
        Tensor doubled = scale(bg.x, 2.0);
        REQUIRE(rel_err(doubled, scale(bc.x, 2.0)) == 0.0);
        REQUIRE(bg.y.to_vector<int32_t>() == bc.y.to_vector<int32_t>());
        ++count;
      }
      REQUIRE_FALSE(gpu.next(bg));
      REQUIRE(count == 16);
      REQUIRE(bc.x.size(0) == 40);
    }
    // Resume mid-epoch on the device too.
    cpu.start_epoch(1);
    cpu.skip(7);
    gpu.start_epoch(1);
    gpu.skip(7);
    Batch bc, bg;
    while (cpu.next(bc)) {
      REQUIRE(gpu.next(bg));
      REQUIRE(rel_err(bg.x, bc.x) == 0.0);
    }
  }
}
