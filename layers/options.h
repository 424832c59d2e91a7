#pragma once
// Pieces shared by the layers' option structs.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "minidl/core/shape.h"

namespace minidl::layers {

// A Keras argument that takes one int (used for both axes) or two: `.strides = 2`, `.kernel_size = {3, 5}`.
struct IntPair {
  std::int64_t first = 0, second = 0;
  IntPair() = default;
  IntPair(std::int64_t both) : first(both), second(both) {}
  IntPair(std::int64_t a, std::int64_t b) : first(a), second(b) {}
  std::array<std::int64_t, 2> array() const { return {first, second}; }
  friend bool operator==(const IntPair&, const IntPair&) = default;
};

// Keras's keyword arguments every layer takes. They come last in every options struct, because
// designated initializers must follow declaration order:
//   layers::Dense({.units = 10, .activation = "relu", .name = "head"})
#define MINIDL_LAYER_COMMON_OPTIONS                                                               \
  std::string name{};         /* "" = automatic: snake_case class name numbered like Keras */    \
  bool trainable = true;                                                                          \
  std::string dtype = "float32"; /* or "float64" (gradient checks) */                            \
  std::optional<Shape> input_shape{} /* without the batch axis; lets Sequential build up front */

// The arguments of the layers that own a kernel and a bias (Dense, Conv2D, Conv2DTranspose), with
// Keras's defaults, in Keras's order. Expanding it needs layers/activation_arg.h and layers/layer.h.
#define MINIDL_LAYER_WEIGHT_OPTIONS                                      \
  ActivationArg activation = "linear";                                   \
  bool use_bias = true;                                                  \
  initializers::Initializer kernel_initializer = "glorot_uniform";       \
  initializers::Initializer bias_initializer = "zeros";                  \
  regularizers::Regularizer kernel_regularizer{};                        \
  regularizers::Regularizer bias_regularizer{};                          \
  regularizers::Regularizer activity_regularizer{};                      \
  constraints::Constraint kernel_constraint{};                           \
  constraints::Constraint bias_constraint{}

struct CommonOptions {
  std::string name{};
  bool trainable = true;
  std::string dtype = "float32";
  std::optional<Shape> input_shape{};
};

template <class Options>
CommonOptions common_options(const Options& o) {
  return {o.name, o.trainable, o.dtype, o.input_shape};
}

// `to` with the common fields of `from`: for a layer built on another layer's options struct.
template <class To, class From>
To with_common_options(To to, const From& from) {
  to.name = from.name;
  to.trainable = from.trainable;
  to.dtype = from.dtype;
  to.input_shape = from.input_shape;
  return to;
}

}  // namespace minidl::layers
