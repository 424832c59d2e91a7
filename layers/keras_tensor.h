#pragma once
// The functional API's symbolic tensor. Calling a layer on KerasTensors computes nothing: it
// builds the layer for their shapes and records a Node (the layer and its inputs), whose output
// is a new KerasTensor. layers::Functional then runs the recorded graph on real tensors.
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
  explicit KerasTensor(std::shared_ptr<const Node> node) : node_(std::move(node)) {}

  const Shape& shape() const;  // the batch axis (and any unknown extent) is -1
  DType dtype() const;
  const std::shared_ptr<const Node>& node() const { return node_; }
  bool defined() const { return node_ != nullptr; }

 private:
  std::shared_ptr<const Node> node_;
};

// One call of a layer on symbolic inputs. Nodes are numbered in creation order, so every node's
// inputs have smaller ids than the node: sorting by id is a topological order.
struct Node {
  std::shared_ptr<Layer> layer;
  std::vector<KerasTensor> inputs;  // empty for an InputLayer's node
  Shape output_shape;
  DType output_dtype = DType::Float32;
  std::uint64_t id = 0;
};

// Ids for new nodes: increasing, thread-safe.
std::uint64_t next_node_id();

}  // namespace minidl::layers
