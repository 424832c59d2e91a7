#pragma once
// The Keras operations OpLayer knows (op_layer.h): per class name its module, call parameters,
// config keys with Keras's defaults, output shape rule (Keras's compute_output_spec) and formula
// on minidl's autograd ops. Internal to layers/.
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "minidl/core/shape.h"
#include "minidl/core/tensor.h"

namespace minidl::layers::op_table {

// How Keras types the result from its arguments' dtypes (OpLayer::keras_dtype).
enum class ResultDType {
  Same,   // the arguments' result type (Add, Reshape, Max)
  Bool,   // comparisons and logical ops
  Float,  // the result type, made float32 if it is not a float (Exp, Mean, TrueDivide, nn ops)
  Cast,   // the config's dtype
  Sum,    // the result type, int32 for bools (Sum)
};

// `operands`: one per call parameter (a number as a 0-d tensor / shape ()), or for an operation
// taking a list (Concatenate's xs) the list's tensors. `config`: every key, defaults filled in.
// `name` is the node's, for error messages.
using ShapeFn = std::function<Shape(const std::vector<Shape>& operands, const nlohmann::json& config, const std::string& name)>;
using ComputeFn = std::function<Tensor(const std::vector<Tensor>& operands, const nlohmann::json& config)>;

struct OpSpec {
  std::string class_name;  // "Add"
  std::string module;      // "keras.src.ops.numpy"
  std::vector<std::string> params;  // Keras's call parameters; {"xs"}: one list of tensors
  nlohmann::json defaults;          // the config's keys (name excluded) and Keras's defaults
  ResultDType result = ResultDType::Same;
  ShapeFn shape;
  ComputeFn compute;
  bool takes_list() const { return params.size() == 1 && params[0] == "xs"; }
};

// The operation named `class_name`, or nullptr.
const OpSpec* find(const std::string& class_name);
// Every class name, sorted.
std::vector<std::string> names();

}  // namespace minidl::layers::op_table
