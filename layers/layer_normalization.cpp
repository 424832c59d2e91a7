#include "minidl/layers/layer_normalization.h"

#include <algorithm>

#include "minidl/autograd/ops/layer_norm.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

LayerNormalization::LayerNormalization(const LayerNormalizationOptions& o)
    : Layer("LayerNormalization", common_options(o)), options_(o) {
  set_supports_masking(true);  // as Keras: the mask passes through unchanged
  if (o.axis.axes.empty())
    throw_invalid_argument("LayerNormalization: axis must name at least one axis, received axis=[]");
  if (!(o.epsilon >= 0))
    throw_invalid_argument("LayerNormalization: epsilon must be >= 0, received epsilon={}", o.epsilon);
}

std::vector<std::int64_t> LayerNormalization::resolved_axes(const Shape& in) const {
  std::vector<std::int64_t> out;
  for (auto a : options_.axis.axes) {
    if (a >= in.ndim() || a < -in.ndim())
      throw_out_of_range(
          "layer '{}' (LayerNormalization): axis {} is out of bounds for input shape {}; axis must be within the "
          "range of input dimensions (-{} to {})",
          name(), a, shape_str(in), in.ndim(), in.ndim() - 1);
    out.push_back(a < 0 ? a + in.ndim() : a);
  }
  std::vector<std::int64_t> sorted = out;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    throw_invalid_argument("layer '{}' (LayerNormalization): axis must not name an axis twice, received axis=[{}] "
                           "for input shape {}",
                           name(), fmt::join(options_.axis.axes, ", "), shape_str(in));
  return out;
}

Shape LayerNormalization::compute_output_shape(const Shape& in) const {
  resolved_axes(in);  // Keras checks the axes here too
  return in;
}

void LayerNormalization::check_input(const Shape& in) const {
  const auto axes = resolved_axes(in);
  for (auto a : axes)
    if (in[a] < 0)
      throw_invalid_argument("layer '{}' (LayerNormalization): the normalized axes of the input must be known, axis "
                             "{} is not in input shape {}",
                             name(), a, shape_str(in));
  if (!built_input_shape_) return;
  // gamma and beta were made for the extents the layer was built with.
  const auto built_axes = resolved_axes(*built_input_shape_);
  for (std::size_t i = 0; i < axes.size(); ++i)
    if (in[axes[i]] != (*built_input_shape_)[built_axes[i]])
      throw_invalid_argument(
          "Input 0 of layer '{}' (LayerNormalization) is incompatible with the layer: expected axis {} of input "
          "shape to have value {}, but received input with shape {}",
          name(), options_.axis.axes[i], (*built_input_shape_)[built_axes[i]], shape_str(in));
}

void LayerNormalization::build_impl(const Shape& in) {
  std::vector<std::int64_t> dims;
  for (auto a : resolved_axes(in)) dims.push_back(in[a]);
  const Shape shape(dims);
  // Keras's order: gamma first. rms_scaling always scales and never centres.
  if (options_.scale || options_.rms_scaling)
    gamma_ = add_weight("gamma", shape, options_.gamma_initializer, options_.gamma_regularizer, options_.gamma_constraint);
  if (options_.center && !options_.rms_scaling)
    beta_ = add_weight("beta", shape, options_.beta_initializer, options_.beta_regularizer, options_.beta_constraint);
}

Tensor LayerNormalization::call(const Tensor& x, bool) {
  return layer_norm(x, gamma_ ? gamma_->value : Tensor(), beta_ ? beta_->value : Tensor(), options_.axis.axes,
                    options_.epsilon, options_.rms_scaling);
}

nlohmann::json LayerNormalization::get_config() const {
  nlohmann::json c = Layer::get_config();
  // Keras's build() turns an int axis into a one-element list, which get_config then writes.
  if (options_.axis.is_list || built()) c["axis"] = options_.axis.axes;
  else c["axis"] = options_.axis.axes.front();
  c["rms_scaling"] = options_.rms_scaling;
  config::write_gamma_beta_args(c, options_);
  return c;
}

LayerNormalization LayerNormalization::from_config(const nlohmann::json& c) {
  LayerNormalizationOptions o;
  config::read_common(c, o);
  if (c.contains("axis")) o.axis = AxisArg::from_json(c["axis"]);
  o.rms_scaling = c.value("rms_scaling", o.rms_scaling);
  config::read_gamma_beta_args(c, o);
  return LayerNormalization(o);
}

}  // namespace minidl::layers
