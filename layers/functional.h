#pragma once
// Keras's functional API: a model made from the graph of layer calls between Input()s and an
// output, so layers can branch, merge and be shared (residual blocks, U-Net skips):
//
//   auto x = layers::Input({28, 28, 1});
//   auto h = layers::Conv2D({.filters = 16, .kernel_size = 3, .padding = "same", .activation = "relu"})(x);
//   auto y = layers::Concatenate()({h, x});
//   auto model = std::make_shared<layers::Functional>(x, y);
//
// It is itself a Layer (so optim::Model trains it and other graphs call it); layers() lists the
// graph's layers in call order, InputLayers included, as Keras's model.layers.
//
// Several outputs (a classification head and a regression head) are given as a list:
//   auto model = std::make_shared<layers::Functional>(std::vector{a, b}, std::vector{cls, reg});
// call_outputs() returns all of them in that order; optim::Model trains such a model with one loss
// per output. A multi-output model returns no single Tensor: calling it as a plain layer
// (call_inputs, operator()) throws and points to call_outputs(). Inside another graph it is one node
// with several outputs, as Keras's `z_mean, z_log_var, z = encoder(x)`:
//   auto z = encoder->call_outputs({x});  // {z_mean, z_log_var, z}, KerasTensors of the outer graph
//
// Nodes may have several outputs and take initial_state tensors: Keras's seq2seq,
//   auto enc = layers::LSTM({.units = 16, .return_state = true}).call_with_state(enc_in);  // {out, h, c}
//   auto dec = layers::LSTM({.units = 16, .return_sequences = true}).call_with_state(dec_in, {enc[1], enc[2]})[0];
// each output goes to the nodes that read it; a state may be a model output too.
//
// keras.ops calls and operators on KerasTensors are nodes too (Keras 3's Operations: OpLayer,
// layers/ops.h): `auto z = ops::mean(layers::Dense({.units = 3})(x), {.axis = -1}) * 2.0;`. The config
// writes them as Keras does (module keras.src.ops.*, numbers among the node's args); a mask ends there.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "minidl/layers/container.h"
#include "minidl/layers/input_layer.h"

namespace minidl::layers {

struct FunctionalOptions {
  std::string name{};  // "" = automatic ("functional", "functional_1", ...)
  bool trainable = true;
};

class Functional : public Container {
 public:
  MINIDL_SHAREABLE_LAYER(Functional)
  Functional(std::vector<KerasTensor> inputs, KerasTensor output, const FunctionalOptions& options = {});
  Functional(KerasTensor input, KerasTensor output, const FunctionalOptions& options = {});
  Functional(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs, const FunctionalOptions& options = {});
  Functional(KerasTensor input, std::vector<KerasTensor> outputs, const FunctionalOptions& options = {});

  const std::vector<KerasTensor>& inputs() const { return inputs_; }
  const std::vector<KerasTensor>& outputs() const { return outputs_; }
  // The only output; throws for a model with several (use outputs()).
  const KerasTensor& output() const;
  // Keras's model.output_names: the name of the layer producing each output.
  std::vector<std::string> output_names() const;

  // Runs the graph and returns every output, in the order the model was given them.
  std::vector<Tensor> call_outputs(const std::vector<Tensor>& inputs, bool training);
  // The same with Keras's masks: `masks` holds one per input (undefined: none) or is empty; each
  // output comes with the mask its layer gave it (Model's loss weights by it).
  std::vector<Masked> call_outputs_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                          bool training);
  std::vector<Shape> compute_output_shapes_for(const std::vector<Shape>& input_shapes) const;
  // Calls the model inside another functional graph: one node, one KerasTensor per output.
  std::vector<KerasTensor> call_outputs(const std::vector<KerasTensor>& inputs);
  std::vector<KerasTensor> call_outputs(const KerasTensor& input) { return call_outputs(std::vector<KerasTensor>{input}); }

  // As a node of another graph: all outputs (several for a multi-output model), masks included.
  std::vector<Shape> build_node(const std::vector<Shape>& input_shapes, const CallArgs& args) override;
  std::vector<Shape> node_output_shapes(const std::vector<Shape>& input_shapes, const CallArgs& args) const override;
  std::vector<Masked> call_node(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                const CallArgs& args, bool training) override;
  std::string call_args_owner() const override;
  std::string several_outputs_hint() const override;

  std::optional<std::size_t> expected_input_count() const override { return inputs_.size(); }
  Tensor call_inputs(const std::vector<Tensor>& inputs, bool training) override;
  Masked call_inputs_with_masks(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                bool training) override;
  Shape build_for_inputs(const std::vector<Shape>& input_shapes) override;
  Shape compute_output_shape_for(const std::vector<Shape>& input_shapes) const override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  // Keras's functional config: layers with their inbound nodes, input_layers, output_layers.
  nlohmann::json get_config() const override;

 protected:
  // Keras's summary: with a "Connected to" column unless the graph is a plain chain.
  SummaryTable summary_table() const override;
  void check_input(const Shape& input_shape) const override;
  Tensor call(const Tensor& x, bool training) override;
  Masked call_masked(const Tensor& x, const Tensor& mask, bool training) override;

 private:
  // Checks the count and every shape after adjust_input_rank; returns the adjusted shapes.
  std::vector<Shape> check_input_shapes(const std::vector<Shape>& shapes) const;
  // The position of `node` among this graph's nodes of the same layer (Keras's node_index).
  std::size_t node_index(const Node* node) const;
  // Throws for a model with several outputs, naming `what` the caller tried.
  void require_single_output(std::string_view what) const;

  std::vector<KerasTensor> inputs_;
  std::vector<KerasTensor> outputs_;
  std::vector<std::shared_ptr<const Node>> nodes_;  // every node the outputs depend on, by id
  // A tensor of the graph: its node's position in nodes_ and its index among the node's outputs.
  struct Slot {
    std::size_t node = 0, output = 0;
  };
  std::vector<std::vector<Slot>> arg_positions_;  // per node: where its inputs are
  std::vector<std::size_t> input_positions_;       // per model input: its node in nodes_
  std::vector<Slot> output_positions_;
  std::vector<std::size_t> last_use_;  // per node: the last node reading it (nodes_.size(): kept)
};

}  // namespace minidl::layers
