#pragma once
// What DepthwiseConv2D and SeparableConv2D share (Keras's BaseDepthwiseConv / BaseSeparableConv):
// the depthwise step's arguments with Keras's checks, the input checks, the output shape, the bias
// and the depthwise convolution itself. That is conv2d with groups = input channels: Keras's kernel
// (kh, kw, C, depth_multiplier) read as (kh, kw, 1, C * depth_multiplier) is the same memory, so
// output channel c * depth_multiplier + m is input channel c convolved with kernel[..., c, m], as
// in Keras (its JAX backend does exactly this reshape).
#include <string>

#include "minidl/layers/conv_base.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

struct DepthwiseArgs {
  std::int64_t depth_multiplier = 1;
  IntPair kernel_size, strides, dilation_rate;
  std::string padding, data_format;
  ActivationArg activation;
  bool use_bias = true;
  initializers::Initializer depthwise_initializer, bias_initializer;
  regularizers::Regularizer depthwise_regularizer, bias_regularizer, activity_regularizer;
  constraints::Constraint depthwise_constraint, bias_constraint;
};

// The shared arguments from either options struct (DepthwiseConv2DOptions, SeparableConv2DOptions).
template <class Options>
DepthwiseArgs depthwise_args(const Options& o) {
  return {o.depth_multiplier, o.kernel_size, o.strides, o.dilation_rate, o.padding, o.data_format,
          o.activation, o.use_bias, o.depthwise_initializer, o.bias_initializer, o.depthwise_regularizer,
          o.bias_regularizer, o.activity_regularizer, o.depthwise_constraint, o.bias_constraint};
}

class DepthwiseConvBase : public Layer {
 public:
  const VariablePtr& bias() const { return bias_; }  // null when use_bias is false
  bool channels_last() const { return channels_last_; }
  const std::string& padding() const { return padding_; }
  std::int64_t depth_multiplier() const { return args_.depth_multiplier; }

 protected:
  // Unlike Conv2D, Keras allows strides > 1 together with dilation_rate > 1 here.
  DepthwiseConvBase(std::string class_name, const CommonOptions& common, DepthwiseArgs args);
  void check_input(const Shape& input_shape) const override;
  std::int64_t input_channels(const Shape& s) const { return s[channels_last_ ? 3 : 1]; }
  // Keras's compute_conv_output_shape with `channels` outputs; refuses an empty 'valid' output,
  // naming the kernel shape Keras names, (kh, kw, input channels, `channels`).
  Shape conv_output_shape(const Shape& input_shape, std::int64_t channels) const;
  // (kh, kw, in_channels, depth_multiplier) with the depthwise initializer, regularizer and constraint.
  VariablePtr add_depthwise_kernel(const std::string& name, std::int64_t in_channels);
  void add_bias(std::int64_t size);
  Tensor bias_value() const { return bias_ ? bias_->value : Tensor(); }
  // The depthwise step (plus `bias` when defined) in the layer's data_format: conv2d's direct
  // depthwise loops take either layout, so channels_first data is never permuted.
  Tensor depthwise(const Tensor& x, const Tensor& kernel, const Tensor& bias) const;
  const char* data_format() const { return channels_last_ ? "channels_last" : "channels_first"; }
  // Keras's config keys of the depthwise arguments (the subclass adds its own).
  nlohmann::json depthwise_config() const;

  DepthwiseArgs args_;
  std::string padding_;
  bool channels_last_ = true;
  VariablePtr bias_;
};

namespace config {

// The keys DepthwiseConv2D and SeparableConv2D share, into their options structs.
template <class Options>
void read_depthwise_args(const nlohmann::json& c, Options& o) {
  read_common(c, o);
  o.kernel_size = int_pair(c.at("kernel_size"));
  if (c.contains("strides")) o.strides = int_pair(c["strides"]);
  o.padding = c.value("padding", o.padding);
  if (c.contains("data_format") && !c["data_format"].is_null()) o.data_format = c["data_format"].get<std::string>();
  if (c.contains("dilation_rate")) o.dilation_rate = int_pair(c["dilation_rate"]);
  if (c.contains("depth_multiplier")) o.depth_multiplier = json_int(c["depth_multiplier"], "depth_multiplier");
  if (c.contains("activation")) o.activation = ActivationArg::from_config(c["activation"]);
  o.use_bias = c.value("use_bias", true);
  auto init = [&c](const char* key, initializers::Initializer& target) {
    if (c.contains(key) && !c[key].is_null()) target = initializers::Initializer::from_config(c[key]);
  };
  init("depthwise_initializer", o.depthwise_initializer);
  init("bias_initializer", o.bias_initializer);
  for (auto [key, target] : {std::pair{"depthwise_regularizer", &o.depthwise_regularizer},
                             std::pair{"bias_regularizer", &o.bias_regularizer},
                             std::pair{"activity_regularizer", &o.activity_regularizer}})
    if (c.contains(key)) *target = regularizers::Regularizer::from_config(c[key]);
  for (auto [key, target] : {std::pair{"depthwise_constraint", &o.depthwise_constraint},
                             std::pair{"bias_constraint", &o.bias_constraint}})
    if (c.contains(key)) *target = constraints::Constraint::from_config(c[key]);
}

}  // namespace config

}  // namespace minidl::layers
