// KerasTensor and the symbolic side of Layer: calling a layer on KerasTensors records a node.
#include "minidl/layers/keras_tensor.h"

#include <algorithm>
#include <atomic>

#include "minidl/core/error.h"
#include "minidl/layers/layer.h"

namespace minidl::layers {

namespace {

void require_defined(const KerasTensor& t, const Layer& layer) {
  if (!t.defined())
    throw_invalid_argument("layer '{}' ({}) was called on an empty KerasTensor; make inputs with layers::Input",
                           layer.name(), layer.class_name());
}

KerasTensor record_node(std::shared_ptr<Layer> layer, const std::vector<KerasTensor>& inputs) {
  std::vector<Shape> shapes;
  for (const auto& t : inputs) {
    require_defined(t, *layer);
    shapes.push_back(t.shape());
  }
  auto node = std::make_shared<Node>();
  node->output_shape = layer->build_for_inputs(shapes);
  node->output_dtype = layer->dtype();
  node->inputs = inputs;
  node->id = next_node_id();
  node->layer = std::move(layer);
  return KerasTensor(std::move(node));
}

}  // namespace

std::uint64_t next_node_id() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

const Shape& KerasTensor::shape() const {
  if (!node_) throw_invalid_argument("KerasTensor::shape: the tensor is empty; make inputs with layers::Input");
  return node_->output_shape;
}

DType KerasTensor::dtype() const {
  if (!node_) throw_invalid_argument("KerasTensor::dtype: the tensor is empty; make inputs with layers::Input");
  return node_->output_dtype;
}

KerasTensor Layer::operator()(const KerasTensor& x) & { return (*this)(std::vector<KerasTensor>{x}); }
KerasTensor Layer::operator()(const KerasTensor& x) && { return std::move(*this)(std::vector<KerasTensor>{x}); }

KerasTensor Layer::operator()(const std::vector<KerasTensor>& inputs) & {
  auto self = weak_from_this().lock();
  if (!self)
    throw_invalid_argument(
        "layer '{}' ({}) was called on a KerasTensor but is not held by a std::shared_ptr, so the functional graph "
        "cannot keep it: create it with std::make_shared (or call a temporary: {}({{...}})(x))",
        name_, class_name_, class_name_);
  return record_node(std::move(self), inputs);
}

KerasTensor Layer::operator()(const std::vector<KerasTensor>& inputs) && {
  auto self = weak_from_this().lock();
  if (!self) self = std::move(*this).moved_to_shared();
  return record_node(std::move(self), inputs);
}

std::shared_ptr<Layer> Layer::moved_to_shared() && {
  throw_invalid_argument(
      "layer '{}' ({}) cannot be moved into the functional graph: create it with std::make_shared, or add "
      "MINIDL_SHAREABLE_LAYER({}) to its class",
      name_, class_name_, class_name_);
}

void Layer::check_input_count(std::size_t received) const {
  const auto expected = expected_input_count();
  if (expected && *expected != received)
    throw_invalid_argument("Layer \"{}\" expects {} input(s), but it received {} input tensors.", name_, *expected,
                           received);
}

Shape Layer::compute_output_shape_for(const std::vector<Shape>& input_shapes) const {
  check_input_count(input_shapes.size());
  return compute_output_shape(input_shapes[0]);
}

void Layer::ensure_built(const Shape& input_shape) {
  std::lock_guard<std::mutex> lock(*state_mutex_);
  if (!built_) build(input_shape);
}

Shape Layer::build_for_inputs(const std::vector<Shape>& input_shapes) {
  if (input_shapes.size() == 1) {
    std::lock_guard<std::mutex> lock(*state_mutex_);
    check_input(input_shapes[0]);
    if (!built_) build(input_shapes[0]);
  }
  return compute_output_shape_for(input_shapes);
}

Tensor Layer::call_inputs(const std::vector<Tensor>& inputs, bool training) {
  check_input_count(inputs.size());
  return (*this)(inputs[0], training);
}

Masked Layer::call_inputs_with_masks(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks, bool training) {
  check_input_count(inputs.size());
  if (!masks.empty() && masks.size() != inputs.size())
    throw_invalid_argument("layer '{}' ({}): received {} input tensors but {} masks; give one mask per input (or none)",
                           name_, class_name_, inputs.size(), masks.size());
  if (expected_input_count() == std::size_t{1}) return call_with_mask(inputs[0], masks.empty() ? Tensor() : masks[0], training);
  // A layer taking several tensors drops their masks, as Keras does when supports_masking is false;
  // compute_mask takes one mask, so such a layer claiming support is refused rather than guessed at.
  if (supports_masking_ && std::any_of(masks.begin(), masks.end(), [](const Tensor& m) { return m.defined(); }))
    throw_invalid_argument("layer '{}' ({}): supports_masking with several input tensors is not supported by minidl "
                           "(override call_inputs_with_masks)",
                           name_, class_name_);
  return {call_inputs(inputs, training), Tensor()};
}

}  // namespace minidl::layers
