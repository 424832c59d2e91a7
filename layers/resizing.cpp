#include "minidl/layers/resizing.h"

#include "minidl/autograd/ops/conv2d.h"
#include "minidl/autograd/ops/resize.h"
#include "minidl/core/error.h"
#include "minidl/core/kernels/resample.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

Resizing::Resizing(const ResizingOptions& o)
    : Layer("Resizing", common_options(o)), options_(o), channels_last_(is_channels_last(o.data_format, "Resizing")) {
  if (o.height < 1 || o.width < 1)
    throw_invalid_argument("Resizing: height and width must be positive, received height={}, width={}", o.height,
                           o.width);
  kernels::resize_method(o.interpolation, "Resizing");
  if (o.fill_mode != "constant")
    throw_invalid_argument("Resizing: fill_mode must be 'constant' (the only one supported), received fill_mode='{}'",
                           o.fill_mode);
  if (o.crop_to_aspect_ratio && o.pad_to_aspect_ratio)
    throw_invalid_argument(
        "Resizing: only one of pad_to_aspect_ratio and crop_to_aspect_ratio can be true, received both true");
}

void Resizing::check_input(const Shape& in) const {
  if (in.ndim() != 3 && in.ndim() != 4)
    throw_invalid_argument(
        "layer '{}' (Resizing): expected images of rank 3 (one image) or 4 (a batch), received shape {} of rank {}",
        name(), in, in.ndim());
}

Shape Resizing::compute_output_shape(const Shape& in) const {
  check_input(in);
  std::vector<std::int64_t> dims = in.dims();
  const std::size_t h = dims.size() - (channels_last_ ? 3 : 2);
  dims[h] = options_.height;
  dims[h + 1] = options_.width;
  return Shape(dims.begin(), dims.end());
}

Tensor Resizing::call(const Tensor& x, bool) {
  return resize(x, {options_.height, options_.width},
                {.interpolation = options_.interpolation,
                 .antialias = options_.antialias,
                 .crop_to_aspect_ratio = options_.crop_to_aspect_ratio,
                 .pad_to_aspect_ratio = options_.pad_to_aspect_ratio,
                 .fill_mode = options_.fill_mode,
                 .fill_value = options_.fill_value,
                 .data_format = channels_last_ ? "channels_last" : "channels_first"});
}

nlohmann::json Resizing::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["height"] = options_.height;
  c["width"] = options_.width;
  c["interpolation"] = options_.interpolation;
  c["data_format"] = channels_last_ ? "channels_last" : "channels_first";
  c["crop_to_aspect_ratio"] = options_.crop_to_aspect_ratio;
  c["pad_to_aspect_ratio"] = options_.pad_to_aspect_ratio;
  c["fill_mode"] = options_.fill_mode;
  c["fill_value"] = options_.fill_value;
  c["antialias"] = options_.antialias;
  return c;
}

Resizing Resizing::from_config(const nlohmann::json& c) {
  ResizingOptions o;
  config::read_common(c, o);
  o.height = c.at("height").get<std::int64_t>();
  o.width = c.at("width").get<std::int64_t>();
  o.interpolation = c.value("interpolation", o.interpolation);
  if (c.contains("data_format") && !c["data_format"].is_null()) o.data_format = c["data_format"].get<std::string>();
  o.crop_to_aspect_ratio = c.value("crop_to_aspect_ratio", o.crop_to_aspect_ratio);
  o.pad_to_aspect_ratio = c.value("pad_to_aspect_ratio", o.pad_to_aspect_ratio);
  o.fill_mode = c.value("fill_mode", o.fill_mode);
  o.fill_value = c.value("fill_value", o.fill_value);
  o.antialias = c.value("antialias", o.antialias);
  return Resizing(o);
}

}  // namespace minidl::layers
