#include "minidl/layers/conv_base.h"

#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

namespace {
std::string pair_str(const IntPair& p) { return fmt::format("({}, {})", p.first, p.second); }
}  // namespace

ConvBase::ConvBase(std::string class_name, const CommonOptions& common, ConvArgs args)
    : Layer(std::move(class_name), common), args_(std::move(args)) {
  const auto& a = args_;
  if (a.filters <= 0)
    throw_invalid_argument("{}: invalid value for argument `filters`: expected a strictly positive value, received "
                           "filters={}",
                           Layer::class_name(), a.filters);
  if (a.kernel_size.first <= 0 || a.kernel_size.second <= 0)
    throw_invalid_argument("{}: the argument `kernel_size` must be strictly positive, received kernel_size={}",
                           Layer::class_name(), pair_str(a.kernel_size));
  if (a.strides.first <= 0 || a.strides.second <= 0)
    throw_invalid_argument("{}: the argument `strides` must be strictly positive, received strides={}",
                           Layer::class_name(), pair_str(a.strides));
  if (a.dilation_rate.first <= 0 || a.dilation_rate.second <= 0)
    throw_invalid_argument("{}: the argument `dilation_rate` must be strictly positive, received dilation_rate={}",
                           Layer::class_name(), pair_str(a.dilation_rate));
  if (std::max(a.strides.first, a.strides.second) > 1 && std::max(a.dilation_rate.first, a.dilation_rate.second) > 1)
    throw_invalid_argument("{}: `strides > 1` not supported in conjunction with `dilation_rate > 1`, received "
                           "strides={} and dilation_rate={}",
                           Layer::class_name(), pair_str(a.strides), pair_str(a.dilation_rate));
  if (a.groups <= 0)
    throw_invalid_argument("{}: the number of groups must be a positive integer, received groups={}",
                           Layer::class_name(), a.groups);
  if (a.filters % a.groups != 0)
    throw_invalid_argument("{}: the number of filters must be evenly divisible by the number of groups, received "
                           "groups={}, filters={}",
                           Layer::class_name(), a.groups, a.filters);
  padding_ = normalize_padding(a.padding, Layer::class_name());
  channels_last_ = is_channels_last(a.data_format.empty() ? "channels_last" : a.data_format, Layer::class_name());
  set_activity_regularizer(a.activity_regularizer);
}

void require_input_channels(const Layer& layer, const Shape& input_shape, const std::optional<Shape>& built_shape,
                            bool channels_last) {
  const std::size_t axis = channels_last ? 3 : 1;
  const std::int64_t c = input_shape[axis];
  if (c < 0)
    throw_invalid_argument("layer '{}' ({}): the channel dimension of the inputs must be known, received shape {}",
                           layer.name(), layer.class_name(), shape_str(input_shape));
  if (built_shape && c != (*built_shape)[axis])
    throw_invalid_argument(
        "Input 0 of layer '{}' ({}) is incompatible with the layer: expected axis {} of input shape to have value {}, "
        "but received input with shape {}",
        layer.name(), layer.class_name(), channels_last ? -1 : 1, (*built_shape)[axis], shape_str(input_shape));
}

void ConvBase::check_input(const Shape& input_shape) const {
  require_rank(input_shape, 4);
  require_input_channels(*this, input_shape, built_input_shape_, channels_last_);
  const std::int64_t c = input_channels(input_shape);
  if (c % args_.groups != 0)
    throw_invalid_argument("layer '{}' ({}): the number of input channels must be evenly divisible by the number of "
                           "groups, received groups={}, but the input has {} channels (full input shape is {})",
                           name(), class_name(), args_.groups, c, shape_str(input_shape));
}

void ConvBase::create_weights(const Shape& kernel_shape) {
  kernel_ = add_weight("kernel", kernel_shape, args_.kernel_initializer, args_.kernel_regularizer,
                       args_.kernel_constraint);
  if (args_.use_bias)
    bias_ = add_weight("bias", {args_.filters}, args_.bias_initializer, args_.bias_regularizer, args_.bias_constraint);
}

nlohmann::json ConvBase::conv_config(const nlohmann::json& after_padding) const {
  nlohmann::json c = Layer::get_config();
  c["filters"] = args_.filters;
  c["kernel_size"] = {args_.kernel_size.first, args_.kernel_size.second};
  c["strides"] = {args_.strides.first, args_.strides.second};
  c["padding"] = padding_;
  for (auto& [k, v] : after_padding.items()) c[k] = v;
  c["data_format"] = channels_last_ ? "channels_last" : "channels_first";
  c["dilation_rate"] = {args_.dilation_rate.first, args_.dilation_rate.second};
  if (class_name() == "Conv2D") c["groups"] = args_.groups;
  config::write_weight_args(c, args_);
  return c;
}

}  // namespace minidl::layers
