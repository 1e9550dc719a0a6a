#include "test_util.h"

#include <functional>

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

namespace {

// A model-language refusal: a ModelSpecError whose message is one line, short,
// without a developer's "[file.cpp:12]", and contains every part of `wanted`.
void check_refused(const std::function<void()>& build, const std::vector<std::string>& wanted) {
  try {
    build();
    FAIL("accepted; expected a refusal containing '" << wanted.front() << "'");
  } catch (const ModelSpecError& e) {
    const std::string m = e.what();
    INFO(m);
    CHECK(m.find('\n') == std::string::npos);
    CHECK(m.size() < 400);
    CHECK(m.find(".cpp:") == std::string::npos);
    CHECK(m.find(".h:") == std::string::npos);
    for (const std::string& w : wanted) CHECK_THAT(m, Catch::Contains(w));
  }
}

void check_refused(const std::string& description, const std::vector<std::string>& wanted) {
  check_refused([&] { build_model(description, Shape{1, 28, 28}); }, wanted);
}

}  // namespace

TEST_CASE("model language: a description of 100,000 characters is refused in one line", "[layers][zoo]") {
  // The std::regex reader overflowed the stack on this (SIGSEGV).
  std::string longest = "flatten-dense10";
  while (longest.size() < 100000) longest += "-relu";
  check_refused(longest, {"'flatten-dense10-relu-relu", "(100000 characters)", "longer than the limit of 4096"});
  check_refused(std::string(100000, '9'), {"(100000 characters)", "longer than the limit"});
  // At the limit, ~800 layers still read in one pass.
  std::string at_limit = "flatten-dense10";
  while (at_limit.size() + 5 <= kMaxModelDescription) at_limit += "-relu";
  const ModelSpec spec = plan_model(at_limit, Shape{1, 28, 28});
  CHECK(spec.layers.size() == 2 + (at_limit.size() - 15) / 5);
  CHECK(spec.output() == Shape{10});
}

TEST_CASE("model language: numbers beyond int are refused naming the token and the bounds", "[layers][zoo]") {
  // Read with strtol and cast to int, dense4294967306 used to build dense10.
  check_refused("flatten-dense4294967306",
                {"layer 2: 'dense4294967306': the unit count 4294967306 is out of range [1, 2147483647]"});
  check_refused("conv32x99999999999-relu-flatten-dense10",
                {"layer 1: 'conv32x99999999999': the kernel size 99999999999 is out of range [1, 2147483647]"});
  check_refused("conv4294967297x3", {"'conv4294967297x3': the filter count 4294967297 is out of range"});
  check_refused("conv8x3s2147483648", {"the stride 2147483648 is out of range [1, 2147483647]"});
  check_refused("conv8x3p2147483648", {"the padding 2147483648 is out of range [0, 2147483647]"});
  check_refused("maxpool0", {"'maxpool0': the window size 0 is out of range [1, 2147483647]"});
  check_refused("conv0x3", {"the filter count 0 is out of range [1, 2147483647]"});
  // 309 digits print as their count, not in full.
  check_refused("flatten-dense" + std::string(309, '9'),
                {"the unit count of 309 digits is out of range [1, 2147483647]"});
  check_refused("leakyrelu" + std::string(400, '9'), {"the slope of 400 digits is too large"});
  check_refused("flatten-dropout0.99999999999999999999", {"the probability rounds to 1"});
  // Sizes that arrive beyond int were cast to int as well.
  check_refused("conv4x3p1000000-flatten-dense10",
                {"layer 3: 'dense10': the input has 16000416002704 features; this layer takes at most 2147483647"});
  check_refused([] { build_model("flatten-dense10", Shape{1, 0, 28}); }, {"'dense10': the input (0,) has no features"});
}

TEST_CASE("model language: every shape product is checked before anything is allocated", "[layers][zoo]") {
  // conv32x99999999999 used to allocate a (32, 1, K, K) weight before checking K.
  check_refused("conv32x2147483647",
                {"'conv32x2147483647': kernel 2147483647x2147483647 does not fit input (1, 28, 28)"});
  // Fits once padded, but (2^31 - 1) filters of 1 x K x K overflow a 64-bit count.
  check_refused("conv2147483647x2147483647p1073741823",
                {"its weights (2147483647, 1, 2147483647, 2147483647) would have more elements than a 64-bit count "
                 "holds"});
  // A padded output of about 2^32 x 2^32 pixels.
  check_refused("conv8x1p2147483647",
                {"'conv8x1p2147483647': its output (8, 4294967322, 4294967322) would have more elements"});
  check_refused("avgpool1p2147483647", {"its output (1, 4294967322, 4294967322) would have more elements"});
  // plan_model refuses the same, and allocates nothing to find out.
  CHECK_THROWS_AS(plan_model("conv8x1p2147483647", Shape{1, 28, 28}), ModelSpecError);
  CHECK_THROWS_WITH(Shape({int64_t(1) << 32, int64_t(1) << 32}).numel(), Catch::Contains("more elements than int64"));
}

TEST_CASE("model language: a classifier must end in class logits, checked at build time", "[layers][zoo]") {
  const auto classifier = [](const std::string& d) { return [d] { build_classifier(d, Shape{1, 28, 28}, 10); }; };
  check_refused(classifier("conv10x3-flatten"),
                {"model description 'conv10x3-flatten' produces (6760,) for an input (1, 28, 28)",
                 "classes needs logits (10,): end it with dense10"});
  check_refused(classifier("flatten"), {"'flatten' produces (784,)", "logits (10,)"});
  check_refused(classifier("conv4x3"), {"'conv4x3' produces (4, 26, 26)", "logits (10,): end it with flatten-dense10"});
  check_refused(classifier("flatten-dense4"), {"produces (4,)", "logits (10,)"});
  CHECK(build_classifier("seed-cnn", Shape{1, 28, 28}, 10)->num_parameters() == 93322);
}

TEST_CASE("model language: malformed tokens are unknown layers, with the grammar", "[layers][zoo]") {
  for (const char* bad : {"conv3x3s", "conv3x3p", "conv3x3sames", "conv3x3p1same", "convx3", "conv3x", "pool",
                          "minpool2", "dense", "dense1.5", "dropout1", "dropout0.", "dropout.", "leakyrelu.",
                          "leakyrelu1.", "relu6", "Relu", " relu", "dense\x01"}) {
    INFO(bad);
    check_refused(std::string("flatten-") + bad, {"layer 2: unknown layer '", "(expected conv<OUT>x<K>"});
  }
  check_refused("flatten-\x01\xff", {"unknown layer '\\x01\\xff'"});
  check_refused("relu-", {"empty layer at position 2"});
  check_refused("", {"empty model description"});
  check_refused("conv4x2same", {"'same' padding needs an odd kernel"});
}

// The same stacks built layer by layer with the same generator: the language
// must keep building exactly these (names, shapes, initial values), so training
// numbers do not change.
TEST_CASE("model language: valid descriptions build the stacks they always built", "[layers][zoo]") {
  struct Case {
    std::string description;
    Shape input;
    int64_t parameters;
    std::function<void(Sequential&, Generator&)> by_hand;
  };
  const std::vector<Case> cases = {
      {kSeedCnn, Shape{1, 28, 28}, 93322,
       [](Sequential& m, Generator& g) {
         m.emplace<Conv2d>(1, 32, 3, 1, 0, true, g).emplace<ReLU>().emplace<MaxPool2d>(2);
         m.emplace<Conv2d>(32, 64, 3, 1, 0, true, g).emplace<ReLU>().emplace<MaxPool2d>(2);
         m.emplace<Conv2d>(64, 64, 3, 1, 0, true, g).emplace<ReLU>().emplace<Flatten>();
         m.emplace<Dense>(576, 64, true, g).emplace<ReLU>().emplace<Dense>(64, 10, true, g);
       }},
      {kLenet5, Shape{1, 28, 28}, 61706,
       [](Sequential& m, Generator& g) {
         m.emplace<Conv2d>(1, 6, 5, 1, 2, true, g).emplace<ReLU>().emplace<MaxPool2d>(2);
         m.emplace<Conv2d>(6, 16, 5, 1, 0, true, g).emplace<ReLU>().emplace<MaxPool2d>(2).emplace<Flatten>();
         m.emplace<Dense>(400, 120, true, g).emplace<ReLU>().emplace<Dense>(120, 84, true, g).emplace<ReLU>();
         m.emplace<Dense>(84, 10, true, g);
       }},
      {kMlp, Shape{1, 28, 28}, 101770,
       [](Sequential& m, Generator& g) {
         m.emplace<Flatten>().emplace<Dense>(784, 128, true, g).emplace<ReLU>().emplace<Dropout>(0.2);
         m.emplace<Dense>(128, 10, true, g);
       }},
      {"conv8x3s2p1-relu-avgpool2-conv4x3same-bn-tanh-flatten-dropout0.5-dense10", Shape{3, 17, 17}, 1174,
       [](Sequential& m, Generator& g) {
         m.emplace<Conv2d>(3, 8, 3, 2, 1, true, g).emplace<ReLU>().emplace<AvgPool2d>(2);
         m.emplace<Conv2d>(8, 4, 3, 1, 1, true, g).emplace<BatchNorm2d>(4).emplace<Tanh>().emplace<Flatten>();
         m.emplace<Dropout>(0.5).emplace<Dense>(64, 10, true, g);
       }},
      {"conv4x5p2-leakyrelu-pool3s2-conv6x3s1p0-leakyrelu0.2-maxpool2s1p1-flatten-dense7-sigmoid-dropout.25-dense3",
       Shape{2, 20, 20}, 3145,
       [](Sequential& m, Generator& g) {
         m.emplace<Conv2d>(2, 4, 5, 1, 2, true, g).emplace<LeakyReLU>(0.01).emplace<MaxPool2d>(3, 2);
         m.emplace<Conv2d>(4, 6, 3, 1, 0, true, g).emplace<LeakyReLU>(0.2).emplace<MaxPool2d>(2, 1, 1);
         m.emplace<Flatten>().emplace<Dense>(384, 7, true, g).emplace<Sigmoid>().emplace<Dropout>(0.25);
         m.emplace<Dense>(7, 3, true, g);
       }},
      {"conv2x1-avgpool2p1-flatten-bn-dropout0-dense010-leakyrelu.5-leakyrelu3-tanh", Shape{1, 9, 9}, 614,
       [](Sequential& m, Generator& g) {
         m.emplace<Conv2d>(1, 2, 1, 1, 0, true, g).emplace<AvgPool2d>(2, 2, 1).emplace<Flatten>();
         m.emplace<BatchNorm2d>(50).emplace<Dropout>(0.0).emplace<Dense>(50, 10, true, g);
         m.emplace<LeakyReLU>(0.5).emplace<LeakyReLU>(3.0).emplace<Tanh>();
       }},
      {"bn-conv3x3s2same-relu-flatten-dense4", Shape{2, 7, 7}, 4 + 57 + 196,
       [](Sequential& m, Generator& g) {
         m.emplace<BatchNorm2d>(2).emplace<Conv2d>(2, 3, 3, 2, 1, true, g).emplace<ReLU>().emplace<Flatten>();
         m.emplace<Dense>(48, 4, true, g);
       }},
      {"conv5x2s3p1-maxpool1-avgpool2s1-relu-leakyrelu12.5-flatten-dense1", Shape{3, 11, 13}, 126,
       [](Sequential& m, Generator& g) {
         m.emplace<Conv2d>(3, 5, 2, 3, 1, true, g).emplace<MaxPool2d>(1).emplace<AvgPool2d>(2, 1).emplace<ReLU>();
         m.emplace<LeakyReLU>(12.5).emplace<Flatten>().emplace<Dense>(60, 1, true, g);
       }},
  };
  for (const Case& c : cases) {
    INFO(c.description);
    Generator g1(7), g2(7);
    auto built = build_model(c.description, c.input, g1);
    Sequential expected;
    c.by_hand(expected, g2);
    CHECK(built->name() == expected.name());
    CHECK(built->num_parameters() == c.parameters);
    CHECK(plan_model(model_description(c.description), c.input).parameters == c.parameters);
    CHECK(built->output_shape(c.input) == expected.output_shape(c.input));
    const NamedTensors got = built->named_parameters(), want = expected.named_parameters();
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].first == want[i].first);
      REQUIRE(got[i].second.shape() == want[i].second.shape());
      CHECK(got[i].second.to_vector<float>() == want[i].second.to_vector<float>());
    }
    CHECK(built->named_buffers().size() == expected.named_buffers().size());
  }
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
