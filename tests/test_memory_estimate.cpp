// The memory a training run will need, estimated from the model's plan before
// anything is allocated (issue 17: flatten-dense1800000-dense10 was killed by
// the kernel with no message).
#include "cli_test_util.h"

#include <limits>

#include "train/memory_estimate.h"

using namespace cudanet;
using namespace cudanet::test;

TEST_CASE("the training memory estimate counts parameters, optimizer state and activations", "[train]") {
  // conv4x3 on (1, 6, 6): (4, 4, 4), 40 parameters; relu and flatten keep 64 values;
  // dense10: 650 parameters. Computed by hand:
  const ModelSpec spec = plan_model("conv4x3-relu-flatten-dense10", Shape{1, 6, 6});
  REQUIRE(spec.parameters == 690);
  const MemoryEstimate e = estimate_training_memory(spec, 8, optimizer_slots("adam"));
  CHECK(e.parameters == 690 * 4 * 2);  // weights and gradients
  CHECK(e.optimizer == 690 * 4 * 2);   // Adam's m and v
  // Per sample: the input (36) and each output twice (value, gradient): 36 + 2 * (64 + 64 + 64 + 10);
  // plus the convolution's im2col buffer, 1*3*3 values for each of its 16 positions.
  CHECK(e.activations == (36 + 2 * (64 + 64 + 64 + 10) + 9 * 16) * 8 * 4);
  CHECK(e.total() == e.parameters + e.optimizer + e.activations);
  CHECK(optimizer_slots("sgd") == 1);
  CHECK(optimizer_slots("rmsprop") == 3);
  CHECK(bytes_text(512) == "512 B");
  CHECK(bytes_text(3 << 20) == "3.0 MiB");
  CHECK(bytes_text(int64_t{5} << 30) == "5.00 GiB");
  // A plan far beyond any machine saturates rather than overflows.
  const ModelSpec huge = plan_model("flatten-dense2000000000-dense2000000000", Shape{1, 28, 28});
  INFO("parameters " << huge.parameters);
  const MemoryEstimate h = estimate_training_memory(huge, 1 << 20, 3);
  CHECK(h.parameters > (int64_t{1} << 60));
  CHECK(h.total() == std::numeric_limits<int64_t>::max());
}

TEST_CASE("cli: a model too large for the machine is refused with the estimate before training", "[cli]") {
  const std::string dir = tiny_dataset("cli-too-large", 20);
  const Run r = run("--device cpu --epochs 1 --model flatten-dense100000000-dense10 --data " + dir);
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(lines(r.out) == 1);
  CHECK_THAT(r.out, Catch::StartsWith("cudanet-train: error: the model flatten-dense100000000-dense10 needs about ") &&
                        Catch::Contains("GiB (parameters and gradients") && Catch::Contains("optimizer state") &&
                        Catch::Contains("to train, but the host has ") && Catch::Contains("available"));
  CHECK_THAT(r.out, !Catch::Contains("epoch 1/1"));
}
