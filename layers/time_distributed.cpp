#include "minidl/layers/time_distributed.h"

#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"
#include "minidl/layers/batch_normalization.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

namespace {

// (batch, ...): the shape one timestep's slice has.
Shape step_shape(const Shape& in) {
  std::vector<std::int64_t> d{in[0]};
  d.insert(d.end(), in.dims().begin() + 2, in.dims().end());
  return Shape(d.begin(), d.end());
}

// Whether a training call of `layer` reads statistics across its batch (the fold would mix steps).
bool has_batch_statistics(const Layer& layer) {
  if (dynamic_cast<const BatchNormalization*>(&layer)) return true;
  if (const auto* c = dynamic_cast<const Container*>(&layer))
    for (const auto& l : c->layers())
      if (has_batch_statistics(*l)) return true;
  return false;
}

}  // namespace

TimeDistributed::TimeDistributed(std::shared_ptr<Layer> layer, const TimeDistributedOptions& options)
    : Container("TimeDistributed", common_options(options)) {
  if (!layer) throw_invalid_argument("Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. Received: null");
  layers_ = {std::move(layer)};
  layers_[0]->set_path_prefix(path() + "/");
  set_supports_masking(true);
}

TimeDistributed TimeDistributed::from_config(const nlohmann::json& c, std::shared_ptr<Layer> layer) {
  TimeDistributedOptions o;
  config::read_common(c, o);
  return TimeDistributed(std::move(layer), o);
}

nlohmann::json TimeDistributed::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["layer"] = serialize_layer(*layers_[0]);
  return c;
}

void TimeDistributed::check_input(const Shape& in) const {
  if (in.ndim() < 3)
    throw_invalid_argument("`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, "
                           "received: {} (layer '{}')",
                           shape_str(in), name());
}

Shape TimeDistributed::compute_output_shape(const Shape& in) const {
  check_input(in);
  const Shape child = layers_[0]->compute_output_shape(step_shape(in));
  std::vector<std::int64_t> d{child[0], in[1]};
  d.insert(d.end(), child.dims().begin() + 1, child.dims().end());
  return Shape(d.begin(), d.end());
}

void TimeDistributed::build_impl(const Shape& in) { layers_[0]->build(step_shape(in)); }

Tensor TimeDistributed::call(const Tensor& x, bool training) { return call_masked(x, Tensor(), training).value; }

Masked TimeDistributed::call_masked(const Tensor& x, const Tensor& mask, bool training) {
  Layer& layer = *layers_[0];
  const std::int64_t batch = x.shape()[0], steps = x.shape()[1];
  Tensor y;
  if (training && has_batch_statistics(layer)) {
    std::vector<Tensor> outputs;
    for (std::int64_t t = 0; t < steps; ++t) outputs.push_back(layer(reshape(slice(x, 1, t, t + 1), step_shape(x.shape())), training));
    y = stack(outputs, 1);
  } else {
    std::vector<std::int64_t> fold{batch * steps};
    fold.insert(fold.end(), x.shape().dims().begin() + 2, x.shape().dims().end());
    const Tensor folded = layer(reshape(x, Shape(fold.begin(), fold.end())), training);
    std::vector<std::int64_t> out{batch, steps};
    out.insert(out.end(), folded.shape().dims().begin() + 1, folded.shape().dims().end());
    y = reshape(folded, Shape(out.begin(), out.end()));
  }
  return {y, mask};
}

SummaryTable TimeDistributed::summary_table() const {
  return {sequential_summary_columns(),
          {{fmt::format("{} ({})", layers_[0]->name(), layers_[0]->class_name()), "?", param_count_cell(*layers_[0])}}};
}

}  // namespace minidl::layers
