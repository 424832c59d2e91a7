#include "minidl/layers/group_normalization.h"

#include "minidl/autograd/ops/group_norm.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

GroupNormalization::GroupNormalization(const GroupNormalizationOptions& o)
    : Layer("GroupNormalization", common_options(o)), options_(o), groups_(o.groups) {
  set_supports_masking(true);  // as Keras: the mask passes through unchanged
  if (o.groups <= 0 && o.groups != -1)
    throw_invalid_argument("GroupNormalization: received an invalid value for argument `groups`, expected a positive "
                           "integer (or `-1` for instance normalization). Received: groups={}",
                           o.groups);
  if (!(o.epsilon >= 0))
    throw_invalid_argument("GroupNormalization: epsilon must be >= 0, received epsilon={}", o.epsilon);
}

std::int64_t GroupNormalization::channel_axis(std::int64_t ndim, const Shape& in) const {
  const std::int64_t a = options_.axis;
  if (a >= ndim || a < -ndim)
    throw_out_of_range("layer '{}' (GroupNormalization): axis {} is out of bounds for input shape {}. Received: axis={}",
                       name(), a, shape_str(in), a);
  const std::int64_t resolved = a < 0 ? a + ndim : a;
  if (resolved == 0)
    throw_invalid_argument("layer '{}' (GroupNormalization): axis {} is the batch axis of input shape {}; the channel "
                           "axis must be another one (-1 for channels_last, 1 for channels_first)",
                           name(), a, shape_str(in));
  return resolved;
}

Shape GroupNormalization::compute_output_shape(const Shape& in) const {
  channel_axis(in.ndim(), in);
  return in;
}

void GroupNormalization::check_input(const Shape& in) const {
  const std::int64_t c = in[channel_axis(in.ndim(), in)];
  if (c < 0)
    throw_invalid_argument("layer '{}' (GroupNormalization): axis {} of the input should have a defined dimension but "
                           "the layer received an input with shape {}",
                           name(), options_.axis, shape_str(in));
  if (built_input_shape_) {
    const Shape& b = *built_input_shape_;
    if (in.ndim() != b.ndim() || c != b[channel_axis(b.ndim(), b)])
      throw_invalid_argument("Input 0 of layer '{}' (GroupNormalization) is incompatible with the layer: expected "
                             "ndim={} and axis {} of input shape to have value {}, but received input with shape {}",
                             name(), b.ndim(), options_.axis, b[channel_axis(b.ndim(), b)], shape_str(in));
    return;
  }
  const std::int64_t g = options_.groups == -1 ? c : options_.groups;
  if (c < g)
    throw_invalid_argument("layer '{}' (GroupNormalization): number of groups ({}) cannot be more than the number of "
                           "channels ({}). Received: groups={}, input shape {}",
                           name(), g, c, options_.groups, shape_str(in));
  if (c % g != 0)
    throw_invalid_argument("layer '{}' (GroupNormalization): number of groups ({}) must be a divisor of the number of "
                           "channels ({}). Received: groups={}, input shape {}",
                           name(), g, c, options_.groups, shape_str(in));
}

void GroupNormalization::build_impl(const Shape& in) {
  const std::int64_t c = in[channel_axis(in.ndim(), in)];
  if (options_.groups == -1) groups_ = c;
  // Keras's order: gamma first.
  if (options_.scale)
    gamma_ = add_weight("gamma", {c}, options_.gamma_initializer, options_.gamma_regularizer, options_.gamma_constraint);
  if (options_.center)
    beta_ = add_weight("beta", {c}, options_.beta_initializer, options_.beta_regularizer, options_.beta_constraint);
}

Tensor GroupNormalization::call(const Tensor& x, bool) {
  return group_norm(x, gamma_ ? gamma_->value : Tensor(), beta_ ? beta_->value : Tensor(), groups_, options_.axis,
                    options_.epsilon);
}

nlohmann::json GroupNormalization::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["groups"] = groups_;  // Keras's build() turns -1 into the channel count, which get_config then writes
  c["axis"] = options_.axis;
  config::write_gamma_beta_args(c, options_);
  return c;
}

GroupNormalization GroupNormalization::from_config(const nlohmann::json& c) {
  GroupNormalizationOptions o;
  config::read_common(c, o);
  if (c.contains("groups")) o.groups = json_int(c["groups"], "groups");
  if (c.contains("axis")) o.axis = json_int(c["axis"], "axis");
  config::read_gamma_beta_args(c, o);
  return GroupNormalization(o);
}

}  // namespace minidl::layers
