#pragma once
// The model description language, read and checked before anything is built.
//
// A description is layers joined by '-' (digits are ASCII, numbers decimal):
//   conv<OUT>x<K>[s<STRIDE>][p<PAD>|same]   Conv2d (valid padding by default)
//   [max|avg]pool<K>[s<S>][p<P>]            pooling, stride K unless given
//   relu | leakyrelu[<SLOPE>] | sigmoid | tanh
//   flatten | dense<N> | dropout<P> | bn
// plan_model turns every token into a LayerSpec with its output shape and
// parameter count, so a description that is malformed, out of range or does not
// fit the input is refused before a single weight is allocated. The reader is
// one left-to-right scan (no regex, no recursion): a long input costs time,
// never stack, and it is refused beyond kMaxModelDescription anyway.
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/shape.h"

namespace cudanet {

// A mistake in a model description. The message is complete for the person who
// wrote it (the description, the layer, the token, the bound) and, unlike the
// checks' errors, carries no source location.
class ModelSpecError : public Error {
 public:
  using Error::Error;
};

// Far beyond any real model (the zoo's longest is 93 characters).
constexpr size_t kMaxModelDescription = 4096;

enum class LayerKind { Conv, MaxPool, AvgPool, Dense, Dropout, Relu, LeakyRelu, Sigmoid, Tanh, Flatten, BatchNorm };

struct LayerSpec {
  LayerKind kind = LayerKind::Relu;
  std::string token;                        // as written
  int in = 0;                               // conv: input channels; dense: input features; bn: channels
  int out = 0;                              // conv: filters; dense: units
  int kernel = 0, stride = 0, padding = 0;  // conv and pooling
  double value = 0;                         // dropout: probability; leakyrelu: slope
  Shape output;                             // per sample: (C, H, W) or (F)
  int64_t parameters = 0;                   // trainable elements
};

struct ModelSpec {
  std::string description;
  Shape input;  // (C, H, W)
  std::vector<LayerSpec> layers;
  int64_t parameters = 0;

  const Shape& output() const { return layers.back().output; }
};

// The layers a description names, without shapes: the syntax and the ranges of
// the numbers. Throws ModelSpecError.
std::vector<LayerSpec> parse_model(const std::string& description);

// parse_model, then every layer's shape for the input (C, H, W), with every
// product checked for overflow. Throws ModelSpecError.
ModelSpec plan_model(const std::string& description, const Shape& input);

// Refuses a model whose output is not (num_classes,) logits, naming the shape it
// produces. Throws ModelSpecError.
void require_class_logits(const ModelSpec& spec, int num_classes);

}  // namespace cudanet
