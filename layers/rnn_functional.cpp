// SimpleRNN, LSTM and GRU as functional-graph nodes (Keras's `layer(x, initial_state=[...])` with
// return_state): the node reads the sequence then its initial_state and gives the output then, with
// return_state, the final states. Keras's RNN.compute_mask: the output keeps the input's mask with
// return_sequences, the states carry none.
#include "minidl/core/error.h"
#include "minidl/layers/rnn_base.h"

namespace minidl::layers {

std::vector<KerasTensor> RNNBase::call_with_state(const KerasTensor& x, const std::vector<KerasTensor>& initial_state) & {
  return record_node(shared_for_graph(), with_initial_state(x, initial_state),
                     CallArgs::initial_state(initial_state.size()));
}

std::vector<KerasTensor> RNNBase::call_with_state(const KerasTensor& x, const std::vector<KerasTensor>& initial_state) && {
  return record_node(std::move(*this).shared_for_graph(), with_initial_state(x, initial_state),
                     CallArgs::initial_state(initial_state.size()));
}

std::vector<Shape> RNNBase::node_output_shapes(const std::vector<Shape>& input_shapes, const CallArgs& args) const {
  check_call_args(call_args_owner(), args, {"initial_state"});
  const std::size_t state_inputs = args.count("initial_state");
  if (input_shapes.size() != 1 + state_inputs)
    throw_invalid_argument(
        "layer '{}' ({}) takes one sequence tensor (the initial states go in call_with_state(x, initial_state)), "
        "received {} tensors",
        name(), class_name(), input_shapes.size());
  const Shape& x = input_shapes[0];
  check_input(x);
  check_initial_state(x, std::vector<Shape>(input_shapes.begin() + 1, input_shapes.end()));
  std::vector<Shape> out{compute_output_shape(x)};
  if (args_.return_state)
    for (std::int64_t i = 0; i < state_count_; ++i) out.push_back(Shape{x[0], args_.units});
  return out;
}

std::vector<Shape> RNNBase::build_node(const std::vector<Shape>& input_shapes, const CallArgs& args) {
  check_call_args(call_args_owner(), args, {"initial_state"});
  if (input_shapes.size() == 1 + args.count("initial_state")) build_for_inputs({input_shapes[0]});  // checks the sequence, builds
  return node_output_shapes(input_shapes, args);
}

std::vector<Masked> RNNBase::call_node(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                       const CallArgs& args, bool training) {
  check_call_args(call_args_owner(), args, {"initial_state"});
  const std::size_t state_inputs = args.count("initial_state");
  if (inputs.size() != 1 + state_inputs || (!masks.empty() && masks.size() != inputs.size()))
    throw_invalid_argument("layer '{}' ({}): a node call needs the sequence, {} initial state(s) and one mask each (or "
                           "none), received {} tensors and {} masks",
                           name(), class_name(), state_inputs, inputs.size(), masks.size());
  const Tensor mask = masks.empty() ? Tensor() : masks[0];
  RNNOutput r = call_with_state(inputs[0], training, std::vector<Tensor>(inputs.begin() + 1, inputs.end()), mask);
  const Tensor x = inputs[0].dtype() == dtype() ? inputs[0] : inputs[0].to(dtype());
  std::vector<Masked> out{{std::move(r.output), compute_mask(x, as_mask(mask, x, *this))}};
  if (args_.return_state)
    for (auto& s : r.states) out.push_back({std::move(s), Tensor()});
  std::vector<Tensor> values;  // Keras regularizes every output of the call, the states too
  for (const auto& o : out) values.push_back(o.value);
  record_activity_loss(values);
  return out;
}

}  // namespace minidl::layers
