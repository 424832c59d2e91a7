#pragma once
// keras.ops on symbolic tensors: each function records Keras's operation node (an OpLayer,
// op_layer.h) in the functional graph, with Keras's class name, config and argument order, so
//
//   auto x = layers::Input({4});
//   auto y = layers::Dense({.units = 3})(x);
//   auto z = ops::add(y, 1.0) * 2.0;                           // Add, Multiply
//   auto w = ops::cast(ops::not_equal(x, 0.0), "float32");    // NotEqual (a bool), Cast
//   auto u = ops::mean(z, {.axis = -1, .keepdims = true});     // Mean
//   auto model = std::make_shared<layers::Functional>(x, std::vector{z, u, w});
//
// saves a config Keras 3 loads (and loads Keras's). The operators on KerasTensor record what
// Python's record: `x / y` is TrueDivide, `2.0 - x` is Subtract(2.0, x), `-x` is Negative.
// Comparisons give Keras's bools as 0/1 floats. These names are the layers' (minidl::layers::ops),
// apart from the Tensor ops of autograd/ops (minidl::add, ...).
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "minidl/layers/keras_tensor.h"

namespace minidl::layers::ops {

// An operation's argument: a KerasTensor or a number (Keras's Python scalars).
class Arg {
 public:
  Arg(KerasTensor t) : tensor_(std::move(t)) {}
  Arg(double v) : number_(v) {}
  const KerasTensor& tensor() const { return tensor_; }
  bool is_tensor() const { return tensor_.defined(); }
  double number() const { return number_; }

 private:
  KerasTensor tensor_;
  double number_ = 0.0;
};

// Keras's `axis`/`axes` argument: None (the default: every axis), an int, or a list of ints.
class Axes {
 public:
  Axes() = default;
  Axes(std::nullptr_t) {}
  Axes(std::int64_t axis) : value_(axis) {}
  Axes(int axis) : value_(axis) {}
  Axes(std::initializer_list<std::int64_t> axes) : value_(std::vector<std::int64_t>(axes)) {}
  Axes(std::vector<std::int64_t> axes) : value_(std::move(axes)) {}
  const nlohmann::json& json() const { return value_; }

 private:
  nlohmann::json value_ = nullptr;
};

struct ReduceOptions {
  Axes axis{};
  bool keepdims = false;
};

// ---- numpy: elementwise, NumPy broadcasting (Keras's broadcast rules on unknown extents) ----
KerasTensor add(const Arg& x1, const Arg& x2);
KerasTensor subtract(const Arg& x1, const Arg& x2);
KerasTensor multiply(const Arg& x1, const Arg& x2);
KerasTensor divide(const Arg& x1, const Arg& x2);       // Divide
KerasTensor true_divide(const Arg& x1, const Arg& x2);  // TrueDivide (Python's `/`)
KerasTensor power(const Arg& x1, const Arg& x2);
KerasTensor maximum(const Arg& x1, const Arg& x2);
KerasTensor minimum(const Arg& x1, const Arg& x2);
KerasTensor equal(const Arg& x1, const Arg& x2);  // bool results: 1/0
KerasTensor not_equal(const Arg& x1, const Arg& x2);
KerasTensor greater(const Arg& x1, const Arg& x2);
KerasTensor greater_equal(const Arg& x1, const Arg& x2);
KerasTensor less(const Arg& x1, const Arg& x2);
KerasTensor less_equal(const Arg& x1, const Arg& x2);
KerasTensor logical_and(const Arg& x1, const Arg& x2);
KerasTensor logical_or(const Arg& x1, const Arg& x2);
KerasTensor logical_not(const KerasTensor& x);
KerasTensor where(const Arg& condition, const Arg& x1, const Arg& x2);
KerasTensor negative(const KerasTensor& x);
KerasTensor exp(const KerasTensor& x);
KerasTensor log(const KerasTensor& x);
KerasTensor sqrt(const KerasTensor& x);
KerasTensor square(const KerasTensor& x);
KerasTensor abs(const KerasTensor& x);  // Absolute
KerasTensor tanh(const KerasTensor& x);
KerasTensor clip(const KerasTensor& x, double x_min, double x_max);

// ---- numpy: reductions ----
KerasTensor mean(const KerasTensor& x, const ReduceOptions& options = {});
KerasTensor sum(const KerasTensor& x, const ReduceOptions& options = {});
KerasTensor max(const KerasTensor& x, const ReduceOptions& options = {});
KerasTensor min(const KerasTensor& x, const ReduceOptions& options = {});
KerasTensor var(const KerasTensor& x, const ReduceOptions& options = {});
KerasTensor std(const KerasTensor& x, const ReduceOptions& options = {});
KerasTensor any(const KerasTensor& x, const ReduceOptions& options = {});  // bools
KerasTensor all(const KerasTensor& x, const ReduceOptions& options = {});

// ---- numpy: shapes (the batch axis included, as in Keras) ----
KerasTensor reshape(const KerasTensor& x, const std::vector<std::int64_t>& newshape);  // one -1 allowed
KerasTensor transpose(const KerasTensor& x, const Axes& axes = {});                   // None: reversed
KerasTensor expand_dims(const KerasTensor& x, const Axes& axis);
KerasTensor squeeze(const KerasTensor& x, const Axes& axis = {});  // None: every axis of extent 1
KerasTensor concatenate(const std::vector<KerasTensor>& xs, std::int64_t axis = 0);
KerasTensor stack(const std::vector<KerasTensor>& xs, std::int64_t axis = 0);
KerasTensor matmul(const KerasTensor& x1, const KerasTensor& x2);  // operands of rank >= 2

// ---- core ----
// "float32", "float64", "bool" (x != 0 as 1/0) or an int type (truncated toward zero; no gradient).
KerasTensor cast(const KerasTensor& x, const std::string& dtype);

// ---- nn ----
KerasTensor relu(const KerasTensor& x);
KerasTensor relu6(const KerasTensor& x);
KerasTensor sigmoid(const KerasTensor& x);
KerasTensor hard_sigmoid(const KerasTensor& x);
KerasTensor softplus(const KerasTensor& x);
KerasTensor softsign(const KerasTensor& x);
KerasTensor silu(const KerasTensor& x);  // records Silu, as ops.swish does
KerasTensor swish(const KerasTensor& x);
KerasTensor selu(const KerasTensor& x);
KerasTensor gelu(const KerasTensor& x, bool approximate = true);  // Keras's ops default
KerasTensor elu(const KerasTensor& x, double alpha = 1.0);
KerasTensor leaky_relu(const KerasTensor& x, double negative_slope = 0.2);
KerasTensor softmax(const KerasTensor& x, std::int64_t axis = -1);
KerasTensor log_softmax(const KerasTensor& x, std::int64_t axis = -1);

}  // namespace minidl::layers::ops

namespace minidl::layers {

// Python's operators on KerasTensors (a number on either side).
KerasTensor operator+(const ops::Arg& x1, const KerasTensor& x2);
KerasTensor operator+(const KerasTensor& x1, double x2);
KerasTensor operator-(const ops::Arg& x1, const KerasTensor& x2);
KerasTensor operator-(const KerasTensor& x1, double x2);
KerasTensor operator*(const ops::Arg& x1, const KerasTensor& x2);
KerasTensor operator*(const KerasTensor& x1, double x2);
KerasTensor operator/(const ops::Arg& x1, const KerasTensor& x2);
KerasTensor operator/(const KerasTensor& x1, double x2);
KerasTensor operator-(const KerasTensor& x);
// A number on the left is Python's reflected comparison: `2.0 < x` records Greater(x, 2.0).
KerasTensor operator<(const KerasTensor& x1, const KerasTensor& x2);
KerasTensor operator<(const KerasTensor& x1, double x2);
KerasTensor operator<(double x1, const KerasTensor& x2);
KerasTensor operator>(const KerasTensor& x1, const KerasTensor& x2);
KerasTensor operator>(const KerasTensor& x1, double x2);
KerasTensor operator>(double x1, const KerasTensor& x2);

}  // namespace minidl::layers
