#pragma once
// Keras's DepthwiseConv2D (keras.layers.DepthwiseConv2D, Keras 3 defaults): every input channel
// convolved with its own depth_multiplier filters. Weights: kernel (kh, kw, in_channels,
// depth_multiplier), bias (in_channels * depth_multiplier,); output channel c * depth_multiplier + m
// comes from input channel c. Computed as conv2d with groups = in_channels (depthwise_conv_base.h).
#include "minidl/layers/depthwise_conv_base.h"

namespace minidl::layers {

struct DepthwiseConv2DOptions {
  IntPair kernel_size = 0;
  IntPair strides = 1;
  std::string padding = "valid";
  std::int64_t depth_multiplier = 1;
  std::string data_format = "channels_last";
  IntPair dilation_rate = 1;
  ActivationArg activation = "linear";
  bool use_bias = true;
  initializers::Initializer depthwise_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer depthwise_regularizer{};
  regularizers::Regularizer bias_regularizer{};
  regularizers::Regularizer activity_regularizer{};
  constraints::Constraint depthwise_constraint{};
  constraints::Constraint bias_constraint{};
  MINIDL_LAYER_COMMON_OPTIONS;
};

class DepthwiseConv2D : public DepthwiseConvBase {
 public:
  MINIDL_SHAREABLE_LAYER(DepthwiseConv2D)
  explicit DepthwiseConv2D(const DepthwiseConv2DOptions& options);
  const VariablePtr& kernel() const { return kernel_; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  static DepthwiseConv2D from_config(const nlohmann::json& config);

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  VariablePtr kernel_;
};

}  // namespace minidl::layers
