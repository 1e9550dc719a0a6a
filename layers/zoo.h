#pragma once
// The model zoo and the model description language.
//
// A description is layers joined by '-' (the language: layers/model_spec.h),
// built for an input shape (C, H, W), e.g. "conv32x3-relu-pool2-conv64x3-relu-flatten-dense10".
#include <memory>
#include <string>

#include "core/random.h"
#include "layers/model_spec.h"
#include "layers/sequential.h"

namespace cudanet {

// The Keras MNIST CNN: conv32-pool-conv64-pool-conv64-dense64-dense10, 93,322 parameters.
constexpr const char* kSeedCnn =
    "conv32x3-relu-maxpool2-conv64x3-relu-maxpool2-conv64x3-relu-flatten-dense64-relu-dense10";
// LeNet-5 (LeCun et al. 1998) with ReLU and max pooling, 'same' first conv for 28x28 inputs.
constexpr const char* kLenet5 =
    "conv6x5same-relu-maxpool2-conv16x5-relu-maxpool2-flatten-dense120-relu-dense84-relu-dense10";
// TensorFlow's beginner MLP: 128 hidden units, dropout 0.2.
constexpr const char* kMlp = "flatten-dense128-relu-dropout0.2-dense10";

// Builds a model from a zoo name (seed-cnn, lenet5, mlp) or a description. The
// whole description is read and every layer's shape checked for the input
// (C, H, W) before anything is allocated; a mistake throws ModelSpecError.
std::unique_ptr<Sequential> build_model(const std::string& name_or_description, const Shape& input,
                                        Generator& gen = default_generator());
// build_model for a classifier: also refuses, before anything is allocated, a
// model whose output is not (num_classes,) logits.
std::unique_ptr<Sequential> build_classifier(const std::string& name_or_description, const Shape& input,
                                             int num_classes, Generator& gen = default_generator());
// The description a zoo name stands for (or the string itself).
std::string model_description(const std::string& name_or_description);

std::unique_ptr<Sequential> seed_cnn(Generator& gen = default_generator());
std::unique_ptr<Sequential> lenet5(Generator& gen = default_generator());
std::unique_ptr<Sequential> mlp(Generator& gen = default_generator());

}  // namespace cudanet
