#include "minidl/layers/conv1d.h"

#include "minidl/layers/layer_config.h"

namespace minidl::layers {

// The arguments are held as (1, n) pairs: the image's height axis has a 1-wide kernel, stride 1,
// dilation 1 and no padding, so it passes the single row through.
Conv1D::Conv1D(const Conv1DOptions& o)
    : Conv2D("Conv1D", common_options(o),
             {o.filters, IntPair(1, o.kernel_size), IntPair(1, o.strides), IntPair(1, o.dilation_rate), o.padding,
              o.data_format, o.groups, o.activation, o.use_bias, o.kernel_initializer, o.bias_initializer,
              o.kernel_regularizer, o.bias_regularizer, o.activity_regularizer, o.kernel_constraint, o.bias_constraint},
             1) {}

Conv1D Conv1D::from_config(const nlohmann::json& c) {
  Conv1DOptions o;
  config::read_conv_args(c, o);
  return Conv1D(o);
}

}  // namespace minidl::layers
