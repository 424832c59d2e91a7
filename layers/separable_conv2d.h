#pragma once
// Keras's SeparableConv2D (keras.layers.SeparableConv2D, Keras 3 defaults): the depthwise step of
// DepthwiseConv2D (strides, padding and dilation apply there), then a 1x1 pointwise convolution to
// `filters` channels, then bias, then activation, as Keras orders them. Weights, in Keras's order:
// depthwise_kernel (kh, kw, in_channels, depth_multiplier), pointwise_kernel (1, 1, in_channels *
// depth_multiplier, filters), bias (filters,).
#include "minidl/layers/depthwise_conv_base.h"

namespace minidl::layers {

struct SeparableConv2DOptions {
  std::int64_t filters = 0;
  IntPair kernel_size = 0;
  IntPair strides = 1;
  std::string padding = "valid";
  std::string data_format = "channels_last";
  IntPair dilation_rate = 1;
  std::int64_t depth_multiplier = 1;
  ActivationArg activation = "linear";
  bool use_bias = true;
  initializers::Initializer depthwise_initializer = "glorot_uniform";
  initializers::Initializer pointwise_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer depthwise_regularizer{};
  regularizers::Regularizer pointwise_regularizer{};
  regularizers::Regularizer bias_regularizer{};
  regularizers::Regularizer activity_regularizer{};
  constraints::Constraint depthwise_constraint{};
  constraints::Constraint pointwise_constraint{};
  constraints::Constraint bias_constraint{};
  MINIDL_LAYER_COMMON_OPTIONS;
};

class SeparableConv2D : public DepthwiseConvBase {
 public:
  MINIDL_SHAREABLE_LAYER(SeparableConv2D)
  explicit SeparableConv2D(const SeparableConv2DOptions& options);
  const VariablePtr& depthwise_kernel() const { return depthwise_kernel_; }
  const VariablePtr& pointwise_kernel() const { return pointwise_kernel_; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  static SeparableConv2D from_config(const nlohmann::json& config);

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::int64_t filters_;
  initializers::Initializer pointwise_initializer_;
  regularizers::Regularizer pointwise_regularizer_;
  constraints::Constraint pointwise_constraint_;
  VariablePtr depthwise_kernel_, pointwise_kernel_;
};

}  // namespace minidl::layers
