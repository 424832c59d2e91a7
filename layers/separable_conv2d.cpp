#include "minidl/layers/separable_conv2d.h"

#include "minidl/core/error.h"

namespace minidl::layers {

SeparableConv2D::SeparableConv2D(const SeparableConv2DOptions& o)
    : DepthwiseConvBase("SeparableConv2D", common_options(o), depthwise_args(o)),
      filters_(o.filters),
      pointwise_initializer_(o.pointwise_initializer),
      pointwise_regularizer_(o.pointwise_regularizer),
      pointwise_constraint_(o.pointwise_constraint) {
  if (filters_ <= 0)
    throw_invalid_argument(
        "SeparableConv2D: invalid value for argument `filters`: expected a strictly positive value, received "
        "filters={}",
        filters_);
}

Shape SeparableConv2D::compute_output_shape(const Shape& in) const { return conv_output_shape(in, filters_); }

void SeparableConv2D::build_impl(const Shape& in) {
  compute_output_shape(in);
  const std::int64_t c = input_channels(in);
  depthwise_kernel_ = add_depthwise_kernel("depthwise_kernel", c);
  pointwise_kernel_ = add_weight("pointwise_kernel", {1, 1, c * args_.depth_multiplier, filters_},
                                 pointwise_initializer_, pointwise_regularizer_, pointwise_constraint_);
  add_bias(filters_);
}

Tensor SeparableConv2D::call(const Tensor& x, bool) {
  const Tensor mid = depthwise(x, depthwise_kernel_->value, Tensor());
  // Stride 1, no padding: conv2d takes its GEMM-only path, the depthwise output read as a matrix.
  const Tensor y = conv2d(mid, pointwise_kernel_->value, bias_value(), {.data_format = data_format()});
  return args_.activation(y);
}

nlohmann::json SeparableConv2D::get_config() const {
  nlohmann::json c = depthwise_config();
  c["filters"] = filters_;
  c["pointwise_initializer"] = pointwise_initializer_.serialize();
  c["pointwise_regularizer"] = pointwise_regularizer_.serialize();
  c["pointwise_constraint"] = pointwise_constraint_.serialize();
  return c;
}

SeparableConv2D SeparableConv2D::from_config(const nlohmann::json& c) {
  SeparableConv2DOptions o;
  config::read_depthwise_args(c, o);
  o.filters = json_int(c.at("filters"), "filters");
  if (c.contains("pointwise_initializer") && !c["pointwise_initializer"].is_null())
    o.pointwise_initializer = initializers::Initializer::from_config(c["pointwise_initializer"]);
  if (c.contains("pointwise_regularizer"))
    o.pointwise_regularizer = regularizers::Regularizer::from_config(c["pointwise_regularizer"]);
  if (c.contains("pointwise_constraint"))
    o.pointwise_constraint = constraints::Constraint::from_config(c["pointwise_constraint"]);
  return SeparableConv2D(o);
}

}  // namespace minidl::layers
