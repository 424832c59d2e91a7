#pragma once
// The functional API's symbolic tensor. Calling a layer on KerasTensors computes nothing: it
// builds the layer for their shapes and records a Node (the layer and its inputs), whose output
// is a new KerasTensor. layers::Functional then runs the recorded graph on real tensors.
//
// A node usually has one output. An RNN called with return_state (RNNBase::call_with_state on
// KerasTensors) has several: the output, then the states; each is a KerasTensor naming its node
// and its position there (Keras's keras_history [layer, node_index, tensor_index]).
#include <cstdint>
#include <memory>
#include <vector>

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

// One call of a layer on symbolic inputs. Nodes are numbered in creation order, so every node's
// inputs have smaller ids than the node: sorting by id is a topological order.
struct Node {
  std::shared_ptr<Layer> layer;
  std::vector<KerasTensor> inputs;  // empty for an InputLayer's node
  std::vector<Shape> output_shapes;  // one per output (one for all but RNNs with return_state)
  DType output_dtype = DType::Float32;  // every output's
  // How many of the inputs, at the end, are the call's initial_state (an RNN's; Keras's kwargs):
  // layers take them through Layer::build_node / call_node.
  std::size_t state_inputs = 0;
  std::uint64_t id = 0;

  const Shape& output_shape() const { return output_shapes.at(0); }
  std::size_t output_count() const { return output_shapes.size(); }
};

// Records a call of `layer` on `inputs` (the last `state_inputs` of them its initial_state): builds
// it through Layer::build_node and returns one KerasTensor per output. Layer::operator() on
// KerasTensors is this with one output; RNNBase::call_with_state uses it for the states.
std::vector<KerasTensor> record_node(std::shared_ptr<Layer> layer, const std::vector<KerasTensor>& inputs,
                                     std::size_t state_inputs = 0);

// A node's inputs for a call with initial_state: the sequence, then the states (RNNs, Bidirectional).
std::vector<KerasTensor> with_initial_state(const KerasTensor& x, const std::vector<KerasTensor>& initial_state);

// Ids for new nodes: increasing, thread-safe.
std::uint64_t next_node_id();

}  // namespace minidl::layers
