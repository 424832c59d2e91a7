#pragma once
// Keras 3's operation nodes: calling a keras.ops function (or a Python operator) on KerasTensors
// records an Operation, not a Layer, in the functional graph (`ops.add(y, 1.0) * 2` is an Add and a
// Multiply node). OpLayer is one such operation: Keras's class name ("Add", "Mean", "Softmax"), its
// config (axis, keepdims, ...) and its call's arguments, where numbers sit among the tensors
// (`2 - x` is Subtract(2, x)). It computes with minidl's autograd ops, so models train through it.
//
// The operations themselves (names, modules, shapes, formulas) are the table in op_table.cpp; the C++
// functions that record them are layers/ops.h. In a functional config an OpLayer is written as Keras
// writes it (module "keras.src.ops.numpy" / ".core" / ".nn", registered_name = class name, the
// constants inside the inbound node's args) and read back by functional_config.cpp.
//
// Masks: Keras's operations make new tensors that carry no `_keras_mask`, so a mask ends at an op node
// (the layers after it see none), and so it does here.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "minidl/layers/layer.h"

namespace minidl::layers {

namespace op_table {
struct OpSpec;
}

class OpLayer : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(OpLayer)
  // `args` / `kwargs`: the call's arguments as Keras writes them in an inbound node, with the i-th
  // tensor input replaced by {"__tensor__": i} (a list of them for Concatenate's xs). `config`: the
  // operation's own keys (name excluded); missing keys take Keras's defaults. Throws naming an
  // unknown class, an unknown config key or arguments the operation does not take.
  OpLayer(const std::string& class_name, nlohmann::json config, nlohmann::json args,
          nlohmann::json kwargs = nlohmann::json::object(), const CommonOptions& common = {});

  // Keras's module: "keras.src.ops.numpy", "keras.src.ops.core" or "keras.src.ops.nn".
  const std::string& module() const;
  // {"name": ..., then the operation's keys}: Keras's Operation.get_config().
  nlohmann::json get_config() const override;
  // The inbound node {"args": [...], "kwargs": {...}} with `tensors[i]` (Keras's tensor configs) in
  // place of the i-th tensor input.
  nlohmann::json inbound_node(const std::vector<nlohmann::json>& tensors) const;
  // How many tensors a call takes (its KerasTensor arguments).
  std::size_t tensor_count() const { return tensor_count_; }
  // The dtype Keras gives the result, from its tensor arguments' ("bool" for comparisons, Cast's
  // dtype, int32 for the sum of a bool): minidl holds every result as floats (bools as 0/1) but
  // writes this name in configs.
  std::string keras_dtype(const std::vector<std::string>& input_dtypes) const;

  std::optional<std::size_t> expected_input_count() const override { return tensor_count_; }
  Tensor call_inputs(const std::vector<Tensor>& inputs, bool training) override;
  Masked call_inputs_with_masks(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                bool training) override;
  Shape build_for_inputs(const std::vector<Shape>& input_shapes) override;
  Shape compute_output_shape_for(const std::vector<Shape>& input_shapes) const override;
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  // The call's operands in the operation's parameter order, tensors taken from `inputs`, numbers
  // made into `fill(number)` (0-d tensors, or () shapes).
  template <class T, class Fill>
  std::vector<T> operands(const std::vector<T>& inputs, Fill fill) const;

  const op_table::OpSpec* spec_;
  nlohmann::json config_;     // every key of the operation, defaults filled in (get_config)
  nlohmann::json effective_;  // config_ with the keys the call gave as keyword arguments
  nlohmann::json args_, kwargs_;
  // Per parameter of the operation: where its value is in args_/kwargs_ (a JSON pointer).
  std::vector<nlohmann::json::json_pointer> bound_;
  std::size_t tensor_count_ = 0;
};

// A Keras tensor's dtype as Keras writes it: the node's OpLayer says ("bool"), others are their
// storage dtype.
std::string keras_dtype(const KerasTensor& t);

// An entry of a Keras functional config naming an operation (its module is keras.src.ops.*).
bool is_keras_operation(const nlohmann::json& entry);
// Rebuilds such an entry: the OpLayer and the tensor references ({"class_name": "__keras_tensor__",
// ...}) of its one inbound node, in the order of the layer's inputs.
struct OperationCall {
  std::shared_ptr<OpLayer> layer;
  std::vector<nlohmann::json> tensors;
};
OperationCall operation_from_config(const nlohmann::json& entry);

}  // namespace minidl::layers
