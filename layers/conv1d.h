#pragma once
// Keras's Conv1D (keras.layers.Conv1D, Keras 3 defaults): input (batch, steps, channels), or
// (batch, channels, steps) with channels_first; kernel (kernel_size, in_channels / groups, filters),
// bias (filters,). 'causal' pads dilation_rate * (kernel_size - 1) zeros before the sequence only,
// so output t depends on inputs <= t (autoregressive decoders); its length is 'same''s, ceil(n / s).
// Runs as a Conv2D over an image of height 1 (conv_base.h), with the same kernels.
#include "minidl/layers/conv2d.h"

namespace minidl::layers {

// Single ints, as Keras's rank-1 tuples: `.kernel_size = 3` or `.kernel_size = {3}`.
struct Conv1DOptions {
  std::int64_t filters = 0;
  std::int64_t kernel_size = 0;
  std::int64_t strides = 1;
  std::string padding = "valid";  // 'valid', 'same' or 'causal'
  std::string data_format = "channels_last";
  std::int64_t dilation_rate = 1;
  std::int64_t groups = 1;
  MINIDL_LAYER_WEIGHT_OPTIONS;
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Conv1D : public Conv2D {
 public:
  MINIDL_SHAREABLE_LAYER(Conv1D)
  explicit Conv1D(const Conv1DOptions& options);
  static Conv1D from_config(const nlohmann::json& config);
};

}  // namespace minidl::layers
