#include "minidl/layers/input_layer.h"

#include "minidl/core/error.h"

namespace minidl::layers {

namespace {

Shape batch_shape_of(const InputOptions& o) {
  if (o.batch_shape && (o.shape || o.batch_size))
    throw_invalid_argument("Input: give either batch_shape or shape (and batch_size), not both; received "
                           "batch_shape={}",
                           shape_str(*o.batch_shape));
  if (o.batch_shape) {
    if (o.batch_shape->ndim() == 0) throw_invalid_argument("Input: batch_shape must include the batch axis, received ()");
    return *o.batch_shape;
  }
  if (!o.shape) throw_invalid_argument("Input: a shape is required (without the batch axis), e.g. Input({{28, 28, 1}})");
  std::vector<std::int64_t> d{o.batch_size.value_or(-1)};
  d.insert(d.end(), o.shape->begin(), o.shape->end());
  return Shape(d);
}

}  // namespace

InputLayer::InputLayer(const InputOptions& o)
    : Layer("InputLayer", CommonOptions{.name = o.name, .trainable = true, .dtype = o.dtype}),
      batch_shape_(batch_shape_of(o)) {
  for (std::int64_t i = 0; i < batch_shape_.ndim(); ++i)
    if (batch_shape_[i] < -1 || batch_shape_[i] == 0)
      throw_invalid_argument("Input '{}': every extent must be positive or unknown (-1), received shape {}", name(),
                             shape_str(batch_shape_));
  build(batch_shape_);
}

void InputLayer::check_input(const Shape& input_shape) const {
  bool ok = input_shape.ndim() == batch_shape_.ndim();
  for (std::int64_t i = 0; ok && i < input_shape.ndim(); ++i)
    ok = batch_shape_[i] < 0 || input_shape[i] < 0 || batch_shape_[i] == input_shape[i];
  if (!ok)
    throw_invalid_argument("Input '{}' expects shape {}, received a tensor of shape {}", name(), shape_str(batch_shape_),
                           shape_str(input_shape));
}

nlohmann::json InputLayer::get_config() const {
  nlohmann::json batch_shape = nlohmann::json::array();
  for (auto d : batch_shape_) batch_shape.push_back(d < 0 ? nlohmann::json(nullptr) : nlohmann::json(d));
  return {{"batch_shape", batch_shape}, {"dtype", std::string(dtype_name(dtype()))}, {"sparse", false},
          {"ragged", false}, {"name", name()}, {"optional", false}};
}

Shape adjust_input_rank(const Shape& reference, const Shape& shape) {
  if (shape.ndim() == reference.ndim() + 1 && shape[shape.ndim() - 1] == 1) return Shape(shape.begin(), shape.end() - 1);
  if (shape.ndim() + 1 == reference.ndim() && reference[reference.ndim() - 1] == 1) {
    std::vector<std::int64_t> dims(shape.begin(), shape.end());
    dims.push_back(1);
    return Shape(dims);
  }
  return shape;
}

KerasTensor Input(const InputOptions& options) {
  auto layer = std::make_shared<InputLayer>(options);
  auto node = std::make_shared<Node>();
  node->output_shapes = {layer->batch_shape()};
  node->output_dtype = layer->dtype();
  node->id = next_node_id();
  node->layer = std::move(layer);
  return KerasTensor(std::move(node));
}

KerasTensor Input(std::initializer_list<std::int64_t> shape) { return Input(InputOptions{.shape = Shape(shape)}); }

}  // namespace minidl::layers
