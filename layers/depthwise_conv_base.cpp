#include "minidl/layers/depthwise_conv_base.h"

#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"

namespace minidl::layers {

namespace {

std::string pair_str(const IntPair& p) { return fmt::format("({}, {})", p.first, p.second); }

// Keras's standardize_tuple: every entry of kernel_size, strides and dilation_rate must be > 0.
void require_positive(std::string_view cls, const char* name, const IntPair& p) {
  if (p.first <= 0 || p.second <= 0)
    throw_invalid_argument("{}: the `{}` argument must be a tuple of 2 integers > 0, received {}={}", cls, name, name,
                           pair_str(p));
}

}  // namespace

DepthwiseConvBase::DepthwiseConvBase(std::string class_name, const CommonOptions& common, DepthwiseArgs args)
    : Layer(std::move(class_name), common), args_(std::move(args)) {
  const std::string& cls = Layer::class_name();
  require_positive(cls, "kernel_size", args_.kernel_size);
  require_positive(cls, "strides", args_.strides);
  require_positive(cls, "dilation_rate", args_.dilation_rate);
  padding_ = normalize_padding(args_.padding, cls);
  channels_last_ = is_channels_last(args_.data_format, cls);
  if (args_.depth_multiplier <= 0)
    throw_invalid_argument(
        "{}: invalid value for argument `depth_multiplier`: expected a strictly positive value, received "
        "depth_multiplier={}",
        cls, args_.depth_multiplier);
  set_activity_regularizer(args_.activity_regularizer);
}

void DepthwiseConvBase::check_input(const Shape& input_shape) const {
  require_rank(input_shape, 4);
  require_input_channels(*this, input_shape, built_input_shape_, channels_last_);
}

Shape DepthwiseConvBase::conv_output_shape(const Shape& in, std::int64_t channels) const {
  require_rank(in, 4);
  const Pair hw = channels_last_ ? Pair{in[1], in[2]} : Pair{in[2], in[3]}, k = args_.kernel_size.array(),
             s = args_.strides.array(), d = args_.dilation_rate.array();
  Pair out;
  for (int i = 0; i < 2; ++i) {
    out[i] = keras_conv_output_length(padding_, hw[i], k[i], s[i], d[i]);
    if (hw[i] >= 0 && out[i] <= 0)
      throw_invalid_argument(
          "layer '{}' ({}): computed output size would be zero or negative for input shape {} with kernel shape "
          "({}, {}, {}, {}), dilation_rate=({}, {}), strides=({}, {}) and padding='{}'",
          name(), class_name(), shape_str(in), k[0], k[1], input_channels(in), channels, d[0], d[1], s[0], s[1],
          padding_);
  }
  return channels_last_ ? Shape{in[0], out[0], out[1], channels} : Shape{in[0], channels, out[0], out[1]};
}

VariablePtr DepthwiseConvBase::add_depthwise_kernel(const std::string& name, std::int64_t in_channels) {
  // Keras's shape, so that its fan rule (fan_in = kh*kw*C, fan_out = kh*kw*depth_multiplier) applies.
  return add_weight(name, {args_.kernel_size.first, args_.kernel_size.second, in_channels, args_.depth_multiplier},
                    args_.depthwise_initializer, args_.depthwise_regularizer, args_.depthwise_constraint);
}

void DepthwiseConvBase::add_bias(std::int64_t size) {
  if (args_.use_bias)
    bias_ = add_weight("bias", {size}, args_.bias_initializer, args_.bias_regularizer, args_.bias_constraint);
}

Tensor DepthwiseConvBase::depthwise(const Tensor& x, const Tensor& kernel, const Tensor& bias) const {
  const auto& ks = kernel.shape();
  const Pair k = args_.kernel_size.array(), s = args_.strides.array(), d = args_.dilation_rate.array();
  const Pair hw = channels_last_ ? Pair{x.shape()[1], x.shape()[2]} : Pair{x.shape()[2], x.shape()[3]};
  return conv2d(x, reshape(kernel, {ks[0], ks[1], 1, ks[2] * ks[3]}), bias,
                {.strides = s,
                 .dilation_rate = d,
                 .padding = keras_conv_padding(padding_, hw, k, s, d),
                 .data_format = data_format(),
                 .groups = ks[2]});
}

nlohmann::json DepthwiseConvBase::depthwise_config() const {
  nlohmann::json c = Layer::get_config();
  const auto& a = args_;
  c["depth_multiplier"] = a.depth_multiplier;
  c["kernel_size"] = {a.kernel_size.first, a.kernel_size.second};
  c["strides"] = {a.strides.first, a.strides.second};
  c["padding"] = padding_;
  c["data_format"] = channels_last_ ? "channels_last" : "channels_first";
  c["dilation_rate"] = {a.dilation_rate.first, a.dilation_rate.second};
  c["activation"] = a.activation.config_value();
  c["use_bias"] = a.use_bias;
  c["depthwise_initializer"] = a.depthwise_initializer.serialize();
  c["bias_initializer"] = a.bias_initializer.serialize();
  c["depthwise_regularizer"] = a.depthwise_regularizer.serialize();
  c["bias_regularizer"] = a.bias_regularizer.serialize();
  c["activity_regularizer"] = a.activity_regularizer.serialize();
  c["depthwise_constraint"] = a.depthwise_constraint.serialize();
  c["bias_constraint"] = a.bias_constraint.serialize();
  return c;
}

}  // namespace minidl::layers
