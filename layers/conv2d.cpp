#include "minidl/layers/conv2d.h"

#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

Conv2D::Conv2D(const Conv2DOptions& o)
    : ConvBase("Conv2D", common_options(o),
               {o.filters, o.kernel_size, o.strides, o.dilation_rate, o.padding, o.data_format, o.groups, o.activation,
                o.use_bias, o.kernel_initializer, o.bias_initializer, o.kernel_regularizer, o.bias_regularizer,
                o.activity_regularizer, o.kernel_constraint, o.bias_constraint}) {}

Conv2D::Conv2D(std::string cls, const CommonOptions& common, ConvArgs args, int rank)
    : ConvBase(std::move(cls), common, std::move(args), rank, /*allow_causal=*/rank == 1) {}

Shape Conv2D::compute_output_shape(const Shape& in) const {
  require_input_rank(in);
  const Pair hw = spatial(in), k = args_.kernel_size.array(), s = args_.strides.array(),
             d = args_.dilation_rate.array();
  // Causal padding adds (k-1)*d zeros, all on the left: the lengths of 'same'.
  const std::string_view length_rule = padding_ == "causal" ? std::string_view("same") : std::string_view(padding_);
  Pair out;
  for (int i = 0; i < 2; ++i) {
    out[i] = keras_conv_output_length(length_rule, hw[i], k[i], s[i], d[i]);
    if (hw[i] >= 0 && out[i] <= 0)
      throw_invalid_argument(
          "layer '{}' ({}): computed output size would be zero or negative for input shape {} with "
          "kernel_size={}, padding='{}' and dilation_rate={}",
          name(), class_name(), shape_str(in), dims_str(k), padding_, dims_str(d));
  }
  return assemble(in[0], out, args_.filters);
}

void Conv2D::build_impl(const Shape& in) {
  compute_output_shape(in);  // refuses inputs smaller than the kernel under 'valid'
  create_weights(input_channels(in) / args_.groups, args_.filters);
}

Padding4 Conv2D::image_padding(Pair hw) const {
  const Pair k = args_.kernel_size.array(), s = args_.strides.array(), d = args_.dilation_rate.array();
  // Keras's Conv1D pads dilation * (kernel_size - 1) zeros before the sequence, none after.
  if (padding_ == "causal") return {0, 0, (k[1] - 1) * d[1], 0};
  return keras_conv_padding(padding_, hw, k, s, d);
}

Tensor Conv2D::call(const Tensor& x, bool) {
  const Tensor y = conv2d(to_image(x), image_kernel(), bias_value(),
                          {.strides = args_.strides.array(),
                           .dilation_rate = args_.dilation_rate.array(),
                           .padding = image_padding(spatial(x.shape())),
                           .data_format = channels_last_ ? "channels_last" : "channels_first",
                           .groups = args_.groups});
  return args_.activation(from_image(y));
}

nlohmann::json Conv2D::get_config() const { return conv_config({{"groups", args_.groups}}); }

Conv2D Conv2D::from_config(const nlohmann::json& c) {
  Conv2DOptions o;
  config::read_conv_args(c, o);
  return Conv2D(o);
}

}  // namespace minidl::layers
