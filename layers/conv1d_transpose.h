#pragma once
// Keras's Conv1DTranspose (keras.layers.Conv1DTranspose, Keras 3 defaults): input (batch, steps,
// channels), or (batch, channels, steps) with channels_first; kernel (kernel_size, filters,
// in_channels), bias (filters,); padding 'valid' or 'same' (no 'causal', as in Keras). Output
// length as Conv2DTranspose's per axis. Runs as a Conv2DTranspose over an image of height 1.
#include "minidl/layers/conv2d_transpose.h"

namespace minidl::layers {

// Single ints, as Keras's rank-1 tuples: `.strides = 2` or `.strides = {2}`.
struct Conv1DTransposeOptions {
  std::int64_t filters = 0;
  std::int64_t kernel_size = 0;
  std::int64_t strides = 1;
  std::string padding = "valid";
  std::optional<std::int64_t> output_padding{};
  std::string data_format = "channels_last";
  std::int64_t dilation_rate = 1;
  MINIDL_LAYER_WEIGHT_OPTIONS;
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Conv1DTranspose : public Conv2DTranspose {
 public:
  MINIDL_SHAREABLE_LAYER(Conv1DTranspose)
  explicit Conv1DTranspose(const Conv1DTransposeOptions& options);
  static Conv1DTranspose from_config(const nlohmann::json& config);
};

}  // namespace minidl::layers
