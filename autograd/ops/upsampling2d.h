#pragma once
// Keras's UpSampling2D: enlarges height and width of a 4-D tensor by integer factors.
#include <array>
#include <cstdint>
#include <string>

#include "minidl/core/tensor.h"

namespace minidl {

// "nearest" repeats each pixel size_h x size_w times. "bilinear", "bicubic", "lanczos3" and
// "lanczos5" resize to the enlarged size as Keras 3 does (ops.image.resize, see resize.h); bilinear
// with half-pixel centres is also PyTorch's bilinear with align_corners=False.
// data_format is "channels_last" (NHWC) or "channels_first" (NCHW).
Tensor upsampling2d(const Tensor& x, std::array<std::int64_t, 2> size = {2, 2},
                    const std::string& data_format = "channels_last", const std::string& interpolation = "nearest");

}  // namespace minidl
