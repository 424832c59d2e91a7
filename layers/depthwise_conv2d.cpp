#include "minidl/layers/depthwise_conv2d.h"

namespace minidl::layers {

DepthwiseConv2D::DepthwiseConv2D(const DepthwiseConv2DOptions& o)
    : DepthwiseConvBase("DepthwiseConv2D", common_options(o), depthwise_args(o)) {}

Shape DepthwiseConv2D::compute_output_shape(const Shape& in) const {
  require_rank(in, 4);
  const std::int64_t c = input_channels(in);
  return conv_output_shape(in, c < 0 ? -1 : c * args_.depth_multiplier);
}

void DepthwiseConv2D::build_impl(const Shape& in) {
  compute_output_shape(in);  // refuses inputs smaller than the kernel under 'valid', as Keras's build
  const std::int64_t c = input_channels(in);
  kernel_ = add_depthwise_kernel("kernel", c);
  add_bias(c * args_.depth_multiplier);
}

Tensor DepthwiseConv2D::call(const Tensor& x, bool) {
  return args_.activation(depthwise(x, kernel_->value, bias_value()));
}

nlohmann::json DepthwiseConv2D::get_config() const { return depthwise_config(); }

DepthwiseConv2D DepthwiseConv2D::from_config(const nlohmann::json& c) {
  DepthwiseConv2DOptions o;
  config::read_depthwise_args(c, o);
  return DepthwiseConv2D(o);
}

}  // namespace minidl::layers
