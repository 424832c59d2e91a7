#include "minidl/layers/conv2d.h"

#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

Conv2D::Conv2D(const Conv2DOptions& o)
    : ConvBase("Conv2D", common_options(o),
               {o.filters, o.kernel_size, o.strides, o.dilation_rate, o.padding, o.data_format, o.groups, o.activation,
                o.use_bias, o.kernel_initializer, o.bias_initializer, o.kernel_regularizer, o.bias_regularizer,
                o.activity_regularizer, o.kernel_constraint, o.bias_constraint}) {}

Shape Conv2D::compute_output_shape(const Shape& in) const {
  require_rank(in, 4);
  const Pair hw = spatial(in), k = args_.kernel_size.array(), s = args_.strides.array(),
             d = args_.dilation_rate.array();
  Pair out;
  for (int i = 0; i < 2; ++i) {
    out[i] = keras_conv_output_length(padding_, hw[i], k[i], s[i], d[i]);
    if (hw[i] >= 0 && out[i] <= 0)
      throw_invalid_argument(
          "layer '{}' (Conv2D): computed output size would be zero or negative for input shape {} with "
          "kernel_size=({}, {}), padding='{}' and dilation_rate=({}, {})",
          name(), shape_str(in), k[0], k[1], padding_, d[0], d[1]);
  }
  return assemble(in[0], out, args_.filters);
}

void Conv2D::build_impl(const Shape& in) {
  compute_output_shape(in);  // refuses inputs smaller than the kernel under 'valid'
  create_weights({args_.kernel_size.first, args_.kernel_size.second, input_channels(in) / args_.groups, args_.filters});
}

Tensor Conv2D::call(const Tensor& x, bool) {
  const Pair k = args_.kernel_size.array(), s = args_.strides.array(), d = args_.dilation_rate.array();
  const Tensor y = conv2d(x, kernel_->value, bias_value(),
                          {.strides = s,
                           .dilation_rate = d,
                           .padding = keras_conv_padding(padding_, spatial(x.shape()), k, s, d),
                           .data_format = channels_last_ ? "channels_last" : "channels_first",
                           .groups = args_.groups});
  return args_.activation(y);
}

nlohmann::json Conv2D::get_config() const { return conv_config(nlohmann::json::object()); }

Conv2D Conv2D::from_config(const nlohmann::json& c) {
  Conv2DOptions o;
  config::read_conv_args(c, o);
  o.groups = json_int_or(c, "groups", 1);
  return Conv2D(o);
}

}  // namespace minidl::layers
