#pragma once
// 2-D max and average pooling over a 4-D tensor, with Keras's rules for padding and layout.
#include <array>
#include <cstdint>
#include <string>

#include "minidl/core/tensor.h"

namespace minidl {

struct Pool2dOptions {
  std::array<std::int64_t, 2> pool_size{2, 2};
  std::array<std::int64_t, 2> strides{2, 2};  // Keras's strides=None is pool_size: pass it explicitly
  // "valid": windows lie inside the input, out = floor((in - pool) / stride) + 1.
  // "same": out = ceil(in / stride); the input is padded by max((out - 1) * stride + pool - in, 0)
  // cells per axis, half before (rounded down) and the rest after, as in TensorFlow and Keras.
  std::string padding = "valid";
  std::string data_format = "channels_last";  // NHWC, or "channels_first" for NCHW
};

// Largest value of each window; padded cells never win. The gradient goes to the first maximum of
// each window (row-major order), so keep inputs free of ties where that choice matters.
Tensor max_pool2d(const Tensor& x, const Pool2dOptions& options = {});
// Mean of each window over its real cells only: a 'same' window that hangs over the border divides
// by the number of input cells it covers (Keras; PyTorch's count_include_pad=False).
Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& options = {});

}  // namespace minidl
