#include "test_util.h"

#include "layers/layers.h"
#include "layers/zoo.h"

using namespace cudanet;
using namespace cudanet::test;

TEST_CASE("the reference model has the Keras model's 93,322 parameters", "[layers]") {
  auto m = seed_cnn();
  // Keras's summary: 320 + 18,496 + 36,928 + 36,928 + 650.
  CHECK(m->num_parameters() == 93322);
  CHECK(m->output_shape(Shape{1, 28, 28}) == Shape{10});
  auto names = m->named_parameters();
  REQUIRE(names.size() == 10);
  CHECK(names[0].first == "0.weight");
  CHECK(names[0].second.shape() == Shape{32, 1, 3, 3});
  CHECK(names[9].first == "11.bias");  // layer 11 is the last dense
  CHECK(m->name() == kSeedCnn);
  CHECK(lenet5()->output_shape(Shape{1, 28, 28}) == Shape{10});
  CHECK(mlp()->num_parameters() == 784 * 128 + 128 + 128 * 10 + 10);
}

TEST_CASE("initialisation follows Keras: Glorot-uniform kernels, zero biases", "[layers]") {
  Generator g(5);
  Conv2d conv(32, 64, 3, 1, 0, true, g);
  const double limit = std::sqrt(6.0 / (32 * 9 + 64 * 9));
  double mx = 0;
  for (float v : conv.weight.to_vector<float>()) mx = std::max(mx, double(std::abs(v)));
  CHECK(mx <= limit);
  CHECK(mx > 0.99 * limit);
  for (float v : conv.bias.to_vector<float>()) CHECK(v == 0.0f);
  CHECK(conv.weight.requires_grad());
}

TEST_CASE("model descriptions build the stacks they describe", "[layers]") {
  auto m = build_model("conv8x3s2p1-relu-avgpool2-conv4x3same-bn-tanh-flatten-dropout0.5-dense10", Shape{3, 17, 17});
  // 17 -(3x3 s2 p1)-> 9 -(avgpool2)-> 4 -(same)-> 4: 4*4*4 = 64 features.
  CHECK(m->output_shape(Shape{3, 17, 17}) == Shape{10});
  CHECK(m->num_parameters() == (8 * 3 * 9 + 8) + (4 * 8 * 9 + 4) + (4 + 4) + (64 * 10 + 10));
}

TEST_CASE("bad model descriptions say what is wrong and where", "[layers]") {
  CHECK_THROWS_WITH(build_model("conv32x3-relu-dense10", Shape{1, 28, 28}),
                    Catch::Contains("layer 3") && Catch::Contains("(32, 26, 26)") && Catch::Contains("flatten"));
  CHECK_THROWS_WITH(build_model("conv32x3-blah", Shape{1, 28, 28}),
                    Catch::Contains("unknown layer 'blah'"));
  CHECK_THROWS_WITH(build_model("conv32x30", Shape{1, 28, 28}), Catch::Contains("does not fit"));
  CHECK_THROWS_WITH(build_model("conv8x3--relu", Shape{1, 28, 28}), Catch::Contains("empty layer"));
}

TEST_CASE("a forward pass of the reference model gives finite logits of the right shape", "[layers]") {
  Generator g(1);
  auto m = seed_cnn(g);
  Tensor x = randu({3, 1, 28, 28}, 2, 0, 1);
  Tensor y = m->forward(x);
  CHECK(y.shape() == Shape{3, 10});
  for (float v : y.to_vector<float>()) CHECK(std::isfinite(v));
}

TEST_CASE("dense layer gradient matches finite differences", "[layers][grad]") {
  Generator g(3);
  Dense d(5, 4, true, g);
  Tensor w = cast(d.weight.detach(), DType::f64), b = randn({4}, 8, DType::f64);
  gradcheck([](const std::vector<Tensor>& in) { return bias_add(matmul(in[0], in[1], false, true), in[2]); },
            {randn({3, 5}, 9, DType::f64), w, b});
}
