#pragma once
// A layer called on a list of tensors only: the merge layers, Concatenate and Dot. None has weights:
// building validates the shapes (compute_output_shape_for) and marks the layer built; the one-tensor
// forms throw Keras's "should be called on a list" error.
#include <optional>
#include <string>
#include <vector>

#include "minidl/layers/layer.h"

namespace minidl::layers {

class ListLayer : public Layer {
 public:
  Shape build_for_inputs(const std::vector<Shape>& input_shapes) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::optional<std::size_t> expected_input_count() const override { return std::nullopt; }

 protected:
  ListLayer(std::string class_name, const CommonOptions& common) : Layer(std::move(class_name), common) {}
  Tensor call(const Tensor& x, bool training) override;
  // What a call takes, for that error: "a list of inputs" (Dot: "a list of 2 inputs").
  virtual std::string expected_list() const { return "a list of inputs"; }
  // build_for_inputs on the tensors' shapes: validates, builds, returns the output shape.
  Shape build_for_tensors(const std::vector<Tensor>& inputs);
  // The inputs in the layer's dtype.
  std::vector<Tensor> in_layer_dtype(const std::vector<Tensor>& inputs) const;
};

}  // namespace minidl::layers
