#pragma once
// Keras's Resizing preprocessing layer: resizes images (a batch (N, H, W, C) or one image (H, W, C);
// channels first likewise) to (height, width) with ops.image.resize's rules -- see
// autograd/ops/resize.h for the interpolations, antialias and the crop / pad to the aspect ratio.
//   layers::Resizing({.height = 64, .width = 64, .interpolation = "bicubic", .crop_to_aspect_ratio = true})
#include "minidl/layers/layer.h"

namespace minidl::layers {

struct ResizingOptions {
  std::int64_t height = 0, width = 0;  // required
  std::string interpolation = "bilinear";
  bool crop_to_aspect_ratio = false;
  bool pad_to_aspect_ratio = false;
  std::string fill_mode = "constant";
  double fill_value = 0.0;
  bool antialias = false;
  std::string data_format = "channels_last";
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Resizing : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(Resizing)
  explicit Resizing(const ResizingOptions& options);
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  static Resizing from_config(const nlohmann::json& config);

 protected:
  void check_input(const Shape& input_shape) const override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  ResizingOptions options_;
  bool channels_last_;
};

}  // namespace minidl::layers
