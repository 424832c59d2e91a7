#include "minidl/layers/conv2d_transpose.h"

#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

Conv2DTranspose::Conv2DTranspose(const Conv2DTransposeOptions& o)
    : Conv2DTranspose("Conv2DTranspose", common_options(o),
                      {o.filters, o.kernel_size, o.strides, o.dilation_rate, o.padding, o.data_format, 1, o.activation,
                       o.use_bias, o.kernel_initializer, o.bias_initializer, o.kernel_regularizer, o.bias_regularizer,
                       o.activity_regularizer, o.kernel_constraint, o.bias_constraint},
                      o.output_padding, 2) {}

Conv2DTranspose::Conv2DTranspose(std::string cls, const CommonOptions& common, ConvArgs args,
                                 std::optional<IntPair> output_padding, int rank)
    : ConvBase(std::move(cls), common, std::move(args), rank) {
  if (output_padding) {
    output_padding_ = output_padding->array();
    const Pair s = args_.strides.array();
    for (int i = 2 - rank_; i < 2; ++i)
      if ((*output_padding_)[i] < 0 || (*output_padding_)[i] >= s[i])
        throw_invalid_argument(
            "{}: `output_padding` must be non-negative and strictly less than `strides` for all dimensions; at "
            "dimension {}, `output_padding` is {} but `strides` is {}. Received: output_padding={}, strides={}",
            class_name(), i - (2 - rank_), (*output_padding_)[i], s[i], dims_str(*output_padding_), dims_str(s));
  }
}

Shape Conv2DTranspose::compute_output_shape(const Shape& in) const {
  require_input_rank(in);
  const Pair hw = spatial(in), k = args_.kernel_size.array(), s = args_.strides.array(),
             d = args_.dilation_rate.array();
  Pair out;
  for (int i = 0; i < 2; ++i)
    out[i] = keras_conv_transpose_output_length(padding_, hw[i], k[i], s[i], d[i],
                                                output_padding_ ? std::optional((*output_padding_)[i]) : std::nullopt);
  return assemble(in[0], out, args_.filters);
}

void Conv2DTranspose::build_impl(const Shape& in) {
  create_weights(args_.filters, input_channels(in));
}

Tensor Conv2DTranspose::call(const Tensor& x, bool) {
  const auto geo = keras_conv_transpose_geometry(padding_, spatial(x.shape()), args_.kernel_size.array(),
                                                 args_.strides.array(), args_.dilation_rate.array(), output_padding_);
  const Tensor y = conv2d_transpose(to_image(x), image_kernel(), bias_value(),
                                    {.strides = args_.strides.array(),
                                     .dilation_rate = args_.dilation_rate.array(),
                                     .padding = geo.padding,
                                     .output_padding = geo.output_padding,
                                     .data_format = channels_last_ ? "channels_last" : "channels_first"});
  return args_.activation(from_image(y));
}

nlohmann::json Conv2DTranspose::get_config() const {
  nlohmann::json op = nullptr;
  if (output_padding_) op = dims_json(*output_padding_);
  return conv_config({{"output_padding", op}});
}

Conv2DTranspose Conv2DTranspose::from_config(const nlohmann::json& c) {
  Conv2DTransposeOptions o;
  config::read_conv_args(c, o);
  if (c.contains("output_padding") && !c["output_padding"].is_null()) o.output_padding = config::int_pair(c["output_padding"]);
  return Conv2DTranspose(o);
}

}  // namespace minidl::layers
