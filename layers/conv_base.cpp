#include "minidl/layers/conv_base.h"

#include <algorithm>
#include <cctype>

#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"
#include "minidl/layers/steps_view.h"

namespace minidl::layers {

namespace {

// Keras's standardize_padding: 'causal' only where the layer allows it (Conv1D).
std::string conv_padding_arg(std::string_view padding, int rank, bool allow_causal, std::string_view op) {
  std::string p(padding);
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return std::tolower(c); });
  if (allow_causal) {
    if (p == "valid" || p == "same" || p == "causal") return p;
    throw_invalid_argument("{}: padding must be 'valid', 'same' or 'causal', received padding='{}'", op, padding);
  }
  if (rank == 1 && p == "causal")
    throw_invalid_argument("{}: padding must be 'valid' or 'same', received padding='{}' (only Conv1D pads causally)",
                           op, padding);
  return normalize_padding(padding, op);
}

}  // namespace

ConvBase::ConvBase(std::string class_name, const CommonOptions& common, ConvArgs args, int rank, bool allow_causal)
    : Layer(std::move(class_name), common), args_(std::move(args)), rank_(rank) {
  const auto& a = args_;
  const auto pair_str = [this](const IntPair& p) { return dims_str(p.array()); };
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
  padding_ = conv_padding_arg(a.padding, rank_, allow_causal, Layer::class_name());
  channels_last_ = is_channels_last(a.data_format.empty() ? "channels_last" : a.data_format, Layer::class_name());
  set_activity_regularizer(a.activity_regularizer);
}

void require_input_channels(const Layer& layer, const Shape& input_shape, const std::optional<Shape>& built_shape,
                            bool channels_last) {
  const std::int64_t axis = channels_last ? input_shape.ndim() - 1 : 1;
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
  require_input_rank(input_shape);
  require_input_channels(*this, input_shape, built_input_shape_, channels_last_);
  const std::int64_t c = input_channels(input_shape);
  if (c % args_.groups != 0)
    throw_invalid_argument("layer '{}' ({}): the number of input channels must be evenly divisible by the number of "
                           "groups, received groups={}, but the input has {} channels (full input shape is {})",
                           name(), class_name(), args_.groups, c, shape_str(input_shape));
}

void ConvBase::create_weights(std::int64_t a, std::int64_t b) {
  const IntPair& k = args_.kernel_size;
  const Shape kernel_shape = rank_ == 1 ? Shape{k.second, a, b} : Shape{k.first, k.second, a, b};
  kernel_ = add_weight("kernel", kernel_shape, args_.kernel_initializer, args_.kernel_regularizer,
                       args_.kernel_constraint);
  if (args_.use_bias)
    bias_ = add_weight("bias", {args_.filters}, args_.bias_initializer, args_.bias_regularizer, args_.bias_constraint);
}

Tensor ConvBase::to_image(const Tensor& x) const {
  return rank_ == 2 ? x : steps_to_image(x, channels_last_);
}

Tensor ConvBase::from_image(const Tensor& y) const {
  return rank_ == 2 ? y : image_to_steps(y, channels_last_);
}

Tensor ConvBase::image_kernel() const {
  const Tensor& k = kernel_->value;
  if (rank_ == 2) return k;
  const Shape& s = k.shape();
  return reshape(k, {1, s[0], s[1], s[2]});
}

std::string ConvBase::dims_str(Pair p) const {
  return rank_ == 1 ? fmt::format("({},)", p[1]) : fmt::format("({}, {})", p[0], p[1]);
}

nlohmann::json ConvBase::dims_json(Pair p) const {
  return rank_ == 1 ? nlohmann::json::array({p[1]}) : nlohmann::json::array({p[0], p[1]});
}

nlohmann::json ConvBase::conv_config(const nlohmann::json& after_padding) const {
  nlohmann::json c = Layer::get_config();
  c["filters"] = args_.filters;
  c["kernel_size"] = dims_json(args_.kernel_size.array());
  c["strides"] = dims_json(args_.strides.array());
  c["padding"] = padding_;
  for (auto& [k, v] : after_padding.items()) c[k] = v;
  c["data_format"] = channels_last_ ? "channels_last" : "channels_first";
  c["dilation_rate"] = dims_json(args_.dilation_rate.array());
  config::write_weight_args(c, args_);
  return c;
}

}  // namespace minidl::layers
