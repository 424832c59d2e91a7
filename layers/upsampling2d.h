#pragma once
// Keras's UpSampling2D: repeats (nearest) or interpolates (bilinear, bicubic, lanczos3, lanczos5) rows
// and columns by integer factors.
#include "minidl/layers/layer.h"

namespace minidl::layers {

struct UpSampling2DOptions {
  IntPair size = 2;
  std::string data_format = "channels_last";
  std::string interpolation = "nearest";  // or "bilinear", "bicubic", "lanczos3", "lanczos5"
  MINIDL_LAYER_COMMON_OPTIONS;
};

class UpSampling2D : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(UpSampling2D)
  explicit UpSampling2D(const UpSampling2DOptions& options = {});
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 protected:
  void check_input(const Shape& input_shape) const override { require_rank(input_shape, 4); }
  Tensor call(const Tensor& x, bool training) override;

 private:
  UpSampling2DOptions options_;
  bool channels_last_;
};

}  // namespace minidl::layers
