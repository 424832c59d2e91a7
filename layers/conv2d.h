#pragma once
// Keras's Conv2D (keras.layers.Conv2D): kernel (kh, kw, in_channels / groups, filters), bias
// (filters,); 'same' pads so that out = ceil(n / s) with the odd pixel at the bottom/right.
#include "minidl/layers/conv_base.h"

namespace minidl::layers {

struct Conv2DOptions {
  std::int64_t filters = 0;
  IntPair kernel_size = 0;
  IntPair strides = 1;
  std::string padding = "valid";
  std::string data_format = "channels_last";
  IntPair dilation_rate = 1;
  std::int64_t groups = 1;
  MINIDL_LAYER_WEIGHT_OPTIONS;
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Conv2D : public ConvBase {
 public:
  MINIDL_SHAREABLE_LAYER(Conv2D)
  explicit Conv2D(const Conv2DOptions& options);
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  static Conv2D from_config(const nlohmann::json& config);

 protected:
  // For Conv1D: the same layer over an image of height 1 (see conv_base.h), 'causal' allowed.
  Conv2D(std::string cls, const CommonOptions& common, ConvArgs args, int rank);
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  Padding4 image_padding(Pair input_hw) const;
};

}  // namespace minidl::layers
