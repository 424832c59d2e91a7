#include "minidl/layers/upsampling2d.h"

#include <algorithm>
#include <cctype>

#include "minidl/autograd/ops/conv2d.h"
#include "minidl/autograd/ops/upsampling2d.h"
#include "minidl/core/error.h"
#include "minidl/core/kernels/resample.h"

namespace minidl::layers {

UpSampling2D::UpSampling2D(const UpSampling2DOptions& o)
    : Layer("UpSampling2D", common_options(o)), options_(o), channels_last_(is_channels_last(o.data_format, "UpSampling2D")) {
  if (o.size.first < 1 || o.size.second < 1)
    throw_invalid_argument("UpSampling2D: size must be >= 1, received size=({}, {})", o.size.first, o.size.second);
  // Keras lower-cases the name ("Bilinear" works) and keeps it so in get_config.
  std::transform(options_.interpolation.begin(), options_.interpolation.end(), options_.interpolation.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  kernels::resize_method(options_.interpolation, "UpSampling2D");
}

Shape UpSampling2D::compute_output_shape(const Shape& in) const {
  require_rank(in, 4);
  const int h = channels_last_ ? 1 : 2;
  std::vector<std::int64_t> dims = in.dims();
  if (dims[h] >= 0) dims[h] *= options_.size.first;
  if (dims[h + 1] >= 0) dims[h + 1] *= options_.size.second;
  return Shape(dims.begin(), dims.end());
}

Tensor UpSampling2D::call(const Tensor& x, bool) {
  return upsampling2d(x, options_.size.array(), channels_last_ ? "channels_last" : "channels_first",
                      options_.interpolation);
}

nlohmann::json UpSampling2D::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["size"] = {options_.size.first, options_.size.second};
  c["data_format"] = channels_last_ ? "channels_last" : "channels_first";
  c["interpolation"] = options_.interpolation;
  return c;
}

}  // namespace minidl::layers
