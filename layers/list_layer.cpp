#include "minidl/layers/list_layer.h"

#include "minidl/core/error.h"

namespace minidl::layers {

Shape ListLayer::build_for_inputs(const std::vector<Shape>& input_shapes) {
  Shape out = compute_output_shape_for(input_shapes);
  ensure_built(input_shapes[0]);  // no weights: marks the layer built
  return out;
}

Shape ListLayer::compute_output_shape(const Shape& input_shape) const {
  throw_invalid_argument("A `{}` layer ('{}') should be called on {}. Received: input_shape={} (not a list of shapes)",
                         class_name(), name(), expected_list(), shape_str(input_shape));
}

Tensor ListLayer::call(const Tensor& x, bool) {
  compute_output_shape(x.shape());  // throws
  return x;
}

Shape ListLayer::build_for_tensors(const std::vector<Tensor>& inputs) {
  std::vector<Shape> shapes;
  for (const auto& t : inputs) shapes.push_back(t.shape());
  return build_for_inputs(shapes);
}

std::vector<Tensor> ListLayer::in_layer_dtype(const std::vector<Tensor>& inputs) const {
  std::vector<Tensor> out;
  for (const auto& t : inputs) out.push_back(t.dtype() == dtype() ? t : t.to(dtype()));
  return out;
}

}  // namespace minidl::layers
