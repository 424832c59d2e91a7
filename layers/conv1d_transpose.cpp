#include "minidl/layers/conv1d_transpose.h"

#include "minidl/layers/layer_config.h"

namespace minidl::layers {

// As Conv1D: (1, n) pairs, the height axis passing its single row through (output_padding 0 there).
Conv1DTranspose::Conv1DTranspose(const Conv1DTransposeOptions& o)
    : Conv2DTranspose("Conv1DTranspose", common_options(o),
                      {o.filters, IntPair(1, o.kernel_size), IntPair(1, o.strides), IntPair(1, o.dilation_rate),
                       o.padding, o.data_format, 1, o.activation, o.use_bias, o.kernel_initializer,
                       o.bias_initializer, o.kernel_regularizer, o.bias_regularizer, o.activity_regularizer,
                       o.kernel_constraint, o.bias_constraint},
                      o.output_padding ? std::optional(IntPair(0, *o.output_padding)) : std::nullopt, 1) {}

Conv1DTranspose Conv1DTranspose::from_config(const nlohmann::json& c) {
  Conv1DTransposeOptions o;
  config::read_conv_args(c, o);
  if (c.contains("output_padding") && !c["output_padding"].is_null())
    o.output_padding = config::int_single(c["output_padding"], "output_padding");
  return Conv1DTranspose(o);
}

}  // namespace minidl::layers
