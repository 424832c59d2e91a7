#pragma once
// Keras's Conv2DTranspose, argument for argument (keras.layers.Conv2DTranspose, Keras 3 defaults).
// Kernel (kh, kw, filters, in_channels), bias (filters,); output length per spatial axis:
// valid: (n-1)*s + max(ke, s) or (n-1)*s + ke + output_padding; same: n*s or
// (n-1)*s + ke%2 + output_padding, with ke = (k-1)*d + 1.
#include "minidl/layers/conv_base.h"

namespace minidl::layers {

struct Conv2DTransposeOptions {
  std::int64_t filters = 0;
  IntPair kernel_size = 0;
  IntPair strides = 1;
  std::string padding = "valid";
  std::optional<IntPair> output_padding{};
  std::string data_format = "channels_last";
  IntPair dilation_rate = 1;
  MINIDL_LAYER_WEIGHT_OPTIONS;
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Conv2DTranspose : public ConvBase {
 public:
  MINIDL_SHAREABLE_LAYER(Conv2DTranspose)
  explicit Conv2DTranspose(const Conv2DTransposeOptions& options);
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  static Conv2DTranspose from_config(const nlohmann::json& config);

 protected:
  // For Conv1DTranspose: the same layer over an image of height 1 (see conv_base.h).
  Conv2DTranspose(std::string cls, const CommonOptions& common, ConvArgs args,
                  std::optional<IntPair> output_padding, int rank);
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::optional<Pair> output_padding_;
};

}  // namespace minidl::layers
