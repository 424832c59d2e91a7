// keras.ops on KerasTensors: each call makes an OpLayer with Keras's argument layout (numbers kept
// in place, tensors as markers) and records its node.
#include "minidl/layers/ops.h"

#include "minidl/core/error.h"
#include "minidl/layers/op_layer.h"

namespace minidl::layers::ops {

namespace {

using nlohmann::json;

// Records `class_name` called with `args` (Keras's positional arguments) and `config`.
KerasTensor record(const std::string& class_name, const std::vector<Arg>& args, json config = json::object()) {
  json layout = json::array();
  std::vector<KerasTensor> tensors;
  for (const auto& a : args) {
    if (!a.is_tensor()) {
      layout.push_back(a.number());
      continue;
    }
    layout.push_back(json{{"__tensor__", tensors.size()}});
    tensors.push_back(a.tensor());
  }
  // The operation computes in its tensors' dtype (float64 graphs for gradient checks).
  const DType dtype = tensors.empty() ? DType::Float32 : tensors[0].dtype();
  auto layer = std::make_shared<OpLayer>(class_name, std::move(config), std::move(layout), json::object(),
                                         CommonOptions{.dtype = std::string(dtype_name(dtype))});
  return record_node(std::move(layer), tensors).at(0);
}

KerasTensor record_list(const std::string& class_name, const std::vector<KerasTensor>& xs, std::int64_t axis) {
  if (xs.empty()) throw_invalid_argument("{}: needs at least one tensor, received an empty list", class_name);
  json list = json::array();
  for (std::size_t i = 0; i < xs.size(); ++i) list.push_back(json{{"__tensor__", i}});
  auto layer = std::make_shared<OpLayer>(class_name, json{{"axis", axis}}, json::array({list}), json::object(),
                                         CommonOptions{.dtype = std::string(dtype_name(xs[0].dtype()))});
  return record_node(std::move(layer), xs).at(0);
}

json reduce_config(const ReduceOptions& o) { return {{"axis", o.axis.json()}, {"keepdims", o.keepdims}}; }

}  // namespace

KerasTensor add(const Arg& x1, const Arg& x2) { return record("Add", {x1, x2}); }
KerasTensor subtract(const Arg& x1, const Arg& x2) { return record("Subtract", {x1, x2}); }
KerasTensor multiply(const Arg& x1, const Arg& x2) { return record("Multiply", {x1, x2}); }
KerasTensor divide(const Arg& x1, const Arg& x2) { return record("Divide", {x1, x2}); }
KerasTensor true_divide(const Arg& x1, const Arg& x2) { return record("TrueDivide", {x1, x2}); }
KerasTensor power(const Arg& x1, const Arg& x2) { return record("Power", {x1, x2}); }
KerasTensor maximum(const Arg& x1, const Arg& x2) { return record("Maximum", {x1, x2}); }
KerasTensor minimum(const Arg& x1, const Arg& x2) { return record("Minimum", {x1, x2}); }
KerasTensor equal(const Arg& x1, const Arg& x2) { return record("Equal", {x1, x2}); }
KerasTensor not_equal(const Arg& x1, const Arg& x2) { return record("NotEqual", {x1, x2}); }
KerasTensor greater(const Arg& x1, const Arg& x2) { return record("Greater", {x1, x2}); }
KerasTensor greater_equal(const Arg& x1, const Arg& x2) { return record("GreaterEqual", {x1, x2}); }
KerasTensor less(const Arg& x1, const Arg& x2) { return record("Less", {x1, x2}); }
KerasTensor less_equal(const Arg& x1, const Arg& x2) { return record("LessEqual", {x1, x2}); }
KerasTensor logical_and(const Arg& x1, const Arg& x2) { return record("LogicalAnd", {x1, x2}); }
KerasTensor logical_or(const Arg& x1, const Arg& x2) { return record("LogicalOr", {x1, x2}); }
KerasTensor logical_not(const KerasTensor& x) { return record("LogicalNot", {x}); }
KerasTensor where(const Arg& condition, const Arg& x1, const Arg& x2) { return record("Where", {condition, x1, x2}); }
KerasTensor negative(const KerasTensor& x) { return record("Negative", {x}); }
KerasTensor exp(const KerasTensor& x) { return record("Exp", {x}); }
KerasTensor log(const KerasTensor& x) { return record("Log", {x}); }
KerasTensor sqrt(const KerasTensor& x) { return record("Sqrt", {x}); }
KerasTensor square(const KerasTensor& x) { return record("Square", {x}); }
KerasTensor abs(const KerasTensor& x) { return record("Absolute", {x}); }
KerasTensor tanh(const KerasTensor& x) { return record("Tanh", {x}); }
KerasTensor clip(const KerasTensor& x, double x_min, double x_max) {
  return record("Clip", {x}, {{"x_min", x_min}, {"x_max", x_max}});
}

KerasTensor mean(const KerasTensor& x, const ReduceOptions& o) { return record("Mean", {x}, reduce_config(o)); }
KerasTensor sum(const KerasTensor& x, const ReduceOptions& o) { return record("Sum", {x}, reduce_config(o)); }
KerasTensor max(const KerasTensor& x, const ReduceOptions& o) { return record("Max", {x}, reduce_config(o)); }
KerasTensor min(const KerasTensor& x, const ReduceOptions& o) { return record("Min", {x}, reduce_config(o)); }
KerasTensor var(const KerasTensor& x, const ReduceOptions& o) { return record("Var", {x}, reduce_config(o)); }
KerasTensor std(const KerasTensor& x, const ReduceOptions& o) { return record("Std", {x}, reduce_config(o)); }
KerasTensor any(const KerasTensor& x, const ReduceOptions& o) { return record("Any", {x}, reduce_config(o)); }
KerasTensor all(const KerasTensor& x, const ReduceOptions& o) { return record("All", {x}, reduce_config(o)); }

KerasTensor reshape(const KerasTensor& x, const std::vector<std::int64_t>& newshape) {
  return record("Reshape", {x}, {{"newshape", newshape}});
}
KerasTensor transpose(const KerasTensor& x, const Axes& axes) { return record("Transpose", {x}, {{"axes", axes.json()}}); }
KerasTensor expand_dims(const KerasTensor& x, const Axes& axis) { return record("ExpandDims", {x}, {{"axis", axis.json()}}); }
KerasTensor squeeze(const KerasTensor& x, const Axes& axis) { return record("Squeeze", {x}, {{"axis", axis.json()}}); }
KerasTensor concatenate(const std::vector<KerasTensor>& xs, std::int64_t axis) { return record_list("Concatenate", xs, axis); }
KerasTensor stack(const std::vector<KerasTensor>& xs, std::int64_t axis) { return record_list("Stack", xs, axis); }
KerasTensor matmul(const KerasTensor& x1, const KerasTensor& x2) { return record("Matmul", {x1, x2}); }

KerasTensor cast(const KerasTensor& x, const std::string& dtype) {
  static const std::vector<std::string> allowed{"bool",   "int8",   "int16",   "int32",    "int64",   "uint8",
                                                "uint16", "uint32", "float16", "bfloat16", "float32", "float64"};
  if (std::find(allowed.begin(), allowed.end(), dtype) == allowed.end())
    throw_invalid_argument("cast: unknown dtype '{}' (allowed: bool, int8/16/32/64, uint8/16/32, float16, bfloat16, "
                           "float32, float64)",
                           dtype);
  return record("Cast", {x}, {{"dtype", dtype}});
}

KerasTensor relu(const KerasTensor& x) { return record("Relu", {x}); }
KerasTensor relu6(const KerasTensor& x) { return record("Relu6", {x}); }
KerasTensor sigmoid(const KerasTensor& x) { return record("Sigmoid", {x}); }
KerasTensor hard_sigmoid(const KerasTensor& x) { return record("HardSigmoid", {x}); }
KerasTensor softplus(const KerasTensor& x) { return record("Softplus", {x}); }
KerasTensor softsign(const KerasTensor& x) { return record("Softsign", {x}); }
KerasTensor silu(const KerasTensor& x) { return record("Silu", {x}); }
KerasTensor swish(const KerasTensor& x) { return record("Silu", {x}); }
KerasTensor selu(const KerasTensor& x) { return record("Selu", {x}); }
KerasTensor gelu(const KerasTensor& x, bool approximate) { return record("Gelu", {x}, {{"approximate", approximate}}); }
KerasTensor elu(const KerasTensor& x, double alpha) { return record("Elu", {x}, {{"alpha", alpha}}); }
KerasTensor leaky_relu(const KerasTensor& x, double negative_slope) {
  return record("LeakyRelu", {x}, {{"negative_slope", negative_slope}});
}
KerasTensor softmax(const KerasTensor& x, std::int64_t axis) { return record("Softmax", {x}, {{"axis", axis}}); }
KerasTensor log_softmax(const KerasTensor& x, std::int64_t axis) { return record("LogSoftmax", {x}, {{"axis", axis}}); }

}  // namespace minidl::layers::ops

namespace minidl::layers {

KerasTensor operator+(const ops::Arg& x1, const KerasTensor& x2) { return ops::add(x1, x2); }
KerasTensor operator+(const KerasTensor& x1, double x2) { return ops::add(x1, x2); }
KerasTensor operator-(const ops::Arg& x1, const KerasTensor& x2) { return ops::subtract(x1, x2); }
KerasTensor operator-(const KerasTensor& x1, double x2) { return ops::subtract(x1, x2); }
KerasTensor operator*(const ops::Arg& x1, const KerasTensor& x2) { return ops::multiply(x1, x2); }
KerasTensor operator*(const KerasTensor& x1, double x2) { return ops::multiply(x1, x2); }
KerasTensor operator/(const ops::Arg& x1, const KerasTensor& x2) { return ops::true_divide(x1, x2); }
KerasTensor operator/(const KerasTensor& x1, double x2) { return ops::true_divide(x1, x2); }
KerasTensor operator-(const KerasTensor& x) { return ops::negative(x); }
KerasTensor operator<(const KerasTensor& x1, const KerasTensor& x2) { return ops::less(x1, x2); }
KerasTensor operator<(const KerasTensor& x1, double x2) { return ops::less(x1, x2); }
KerasTensor operator<(double x1, const KerasTensor& x2) { return ops::greater(x2, x1); }
KerasTensor operator>(const KerasTensor& x1, const KerasTensor& x2) { return ops::greater(x1, x2); }
KerasTensor operator>(const KerasTensor& x1, double x2) { return ops::greater(x1, x2); }
KerasTensor operator>(double x1, const KerasTensor& x2) { return ops::less(x2, x1); }

}  // namespace minidl::layers
