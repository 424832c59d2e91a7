#include "minidl/layers/sequential.h"

#include <algorithm>
#include <cstdio>

#include "minidl/core/error.h"
#include "minidl/layers/input_layer.h"
#include "minidl/layers/summary.h"

namespace minidl::layers {

namespace {

Shape with_batch(const Shape& s) {
  std::vector<std::int64_t> d{-1};
  d.insert(d.end(), s.begin(), s.end());
  return Shape(d);
}

}  // namespace

Sequential::Sequential(const SequentialOptions& options) : Container("Sequential", common_options(options)) {}

Sequential::Sequential(std::vector<std::shared_ptr<Layer>> layers, const SequentialOptions& options)
    : Sequential(options) {
  for (auto& l : layers) add(std::move(l));
}

void Sequential::add(std::shared_ptr<Layer> layer) {
  if (!layer) throw_invalid_argument("Sequential.add: received a null layer");
  for (const auto& existing : layers_)
    if (existing->name() == layer->name())
      throw_invalid_argument("Sequential.add: all layers added to a Sequential model should have unique names; '{}' is "
                             "already in model '{}'",
                             layer->name(), name());
  if (built()) throw_invalid_argument("Sequential.add: model '{}' is already built; add layers before using it", name());
  layer->set_path_prefix(path() + "/");
  layers_.push_back(std::move(layer));
  // Like Keras: with a known input shape the model (and so every weight) is built right away.
  if (auto shape = input_shape_without_batch()) {
    Shape s = with_batch(*shape);
    for (auto& l : layers_) {
      l->build(s);
      s = l->compute_output_shape(s);
    }
  }
}

std::optional<Shape> Sequential::input_shape_without_batch() const {
  if (declared_input_shape()) return declared_input_shape();
  if (!layers_.empty()) return layers_.front()->declared_input_shape();
  return std::nullopt;
}

Shape Sequential::adjusted(const Shape& shape) const {
  if (auto in = input_shape_without_batch()) return adjust_input_rank(with_batch(*in), shape);
  if (built_input_shape_) return adjust_input_rank(*built_input_shape_, shape);
  return shape;
}

void Sequential::build_impl(const Shape& input_shape) {
  Shape s = adjusted(input_shape);
  for (auto& l : layers_) {
    l->build(s);
    s = l->compute_output_shape(s);
  }
}

Tensor Sequential::call(const Tensor& x, bool training) { return call_masked(x, Tensor(), training).value; }

// Each layer receives the mask its predecessor's output carries (Keras's _keras_mask); the model's
// output keeps the last one's.
Masked Sequential::call_masked(const Tensor& x, const Tensor& mask, bool training) {
  if (layers_.empty()) throw_invalid_argument("Sequential model '{}' has no layers; add some first", name());
  const Shape shape = adjusted(x.shape());
  Masked h{shape == x.shape() ? x : x.reshape(shape), mask};
  for (auto& l : layers_) h = l->call_with_mask(h.value, h.mask, training);
  return h;
}

Shape Sequential::compute_output_shape(const Shape& input_shape) const {
  Shape s = adjusted(input_shape);
  for (const auto& l : layers_) s = l->compute_output_shape(s);
  return s;
}

nlohmann::json Sequential::get_config() const {
  nlohmann::json config = Layer::get_config();
  nlohmann::json layers = nlohmann::json::array();
  if (auto shape = input_shape_without_batch()) {
    nlohmann::json batch_shape = nlohmann::json::array({nullptr});
    for (auto d : *shape) batch_shape.push_back(d);
    layers.push_back({{"module", "keras.layers"},
                      {"class_name", "InputLayer"},
                      {"config", {{"batch_shape", batch_shape}, {"dtype", std::string(dtype_name(dtype()))},
                                  {"sparse", false}, {"ragged", false}, {"name", "input_layer"},
                                  {"optional", false}}},
                      {"registered_name", nullptr}});
  }
  for (const auto& l : layers_) layers.push_back(serialize_layer(*l));
  config["layers"] = layers;
  return config;
}

SummaryTable Sequential::summary_table() const {
  std::vector<std::vector<std::string>> rows;
  std::optional<Shape> shape;
  if (auto in = input_shape_without_batch()) shape = with_batch(*in);
  else if (built_input_shape_) shape = built_input_shape_;
  for (const auto& l : layers_) {
    std::string out = "?";
    if (shape) {
      shape = l->compute_output_shape(*shape);
      out = shape_str(*shape);
    }
    rows.push_back({fmt::format("{} ({})", l->name(), l->class_name()), out, param_count_cell(*l)});
  }
  return {sequential_summary_columns(), rows};
}

}  // namespace minidl::layers
