#pragma once
// The functional API's symbolic tensor. Calling a layer on KerasTensors computes nothing: it
// builds the layer for their shapes and records a Node (the layer and its inputs), whose output
// is a new KerasTensor. layers::Functional then runs the recorded graph on real tensors.
//
// A node usually has one output. An RNN called with return_state (RNNBase::call_with_state on
// KerasTensors) has several: the output, then the states; each is a KerasTensor naming its node
// and its position there (Keras's keras_history [layer, node_index, tensor_index]).
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "minidl/core/shape.h"
#include "minidl/core/tensor.h"

namespace minidl::layers {

class Layer;
struct Node;

class KerasTensor {
 public:
  KerasTensor() = default;
  explicit KerasTensor(std::shared_ptr<const Node> node, std::size_t index = 0)
      : node_(std::move(node)), index_(index) {}

  const Shape& shape() const;  // the batch axis (and any unknown extent) is -1
  DType dtype() const;
  const std::shared_ptr<const Node>& node() const { return node_; }
  // Which of the node's outputs this is (Keras's tensor_index): 0 but for an RNN's states.
  std::size_t index() const { return index_; }
  bool defined() const { return node_ != nullptr; }

 private:
  std::shared_ptr<const Node> node_;
  std::size_t index_ = 0;
};

// A node's call arguments besides its positional inputs (Keras's call kwargs): groups of keyword
// tensors, which follow the positional tensors in Node::inputs in this order (("initial_state", 2)
// for an RNN, ("key", 1), ("attention_mask", 1) for MultiHeadAttention), and plain values
// (use_causal_mask, return_attention_scores, training). Layers read them in build_node /
// node_output_shapes / call_node; a layer refuses any it does not take (check_call_args).
struct CallArgs {
  std::vector<std::pair<std::string, std::size_t>> tensors;
  nlohmann::json values = nlohmann::json::object();

  // An RNN's call with `n` initial states (none: no keyword at all).
  static CallArgs initial_state(std::size_t n);
  bool empty() const { return tensors.empty() && values.empty(); }
  std::size_t tensor_count() const;  // every keyword tensor
  std::size_t count(std::string_view name) const;  // the group's size, 0 when absent
  // Where the group `name` starts among a node's `inputs` inputs; nullopt when absent.
  std::optional<std::size_t> offset(std::string_view name, std::size_t inputs) const;
  // A plain value, or nullopt when the call did not give it (or gave null).
  std::optional<bool> flag(std::string_view name) const;
};

// Throws unless every keyword group and value of `args` is among `accepted`: `who` ("layer 'dense'
// (Dense)") takes no such keyword. The error names the keyword and what was received.
void check_call_args(std::string_view who, const CallArgs& args, std::initializer_list<std::string_view> accepted = {});

// One call of a layer on symbolic inputs. Nodes are numbered in creation order, so every node's
// inputs have smaller ids than the node: sorting by id is a topological order.
struct Node {
  std::shared_ptr<Layer> layer;
  std::vector<KerasTensor> inputs;  // empty for an InputLayer's node
  std::vector<Shape> output_shapes;  // one per output (one for all but RNNs with return_state)
  DType output_dtype = DType::Float32;  // every output's
  // The call's keyword arguments: the last call_args.tensor_count() inputs are its keyword tensors
  // (an RNN's initial_state, MultiHeadAttention's key and attention_mask). Layers take them through
  // Layer::build_node / call_node.
  CallArgs call_args;
  std::uint64_t id = 0;

  const Shape& output_shape() const { return output_shapes.at(0); }
  std::size_t output_count() const { return output_shapes.size(); }
};

// Records a call of `layer` on `inputs` (the last of them the keyword tensors of `args`): builds it
// through Layer::build_node and returns one KerasTensor per output. Layer::operator() on
// KerasTensors is this with one output; RNNBase::call_with_state uses it for the states.
std::vector<KerasTensor> record_node(std::shared_ptr<Layer> layer, const std::vector<KerasTensor>& inputs,
                                     const CallArgs& args = {});

// A node's inputs for a call with initial_state: the sequence, then the states (RNNs, Bidirectional).
std::vector<KerasTensor> with_initial_state(const KerasTensor& x, const std::vector<KerasTensor>& initial_state);

// Ids for new nodes: increasing, thread-safe.
std::uint64_t next_node_id();

}  // namespace minidl::layers
