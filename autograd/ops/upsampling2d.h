#pragma once
// Keras's UpSampling2D: enlarges height and width of a 4-D tensor by integer factors.
#include <array>
#include <cstdint>
#include <string>

#include "minidl/core/tensor.h"

namespace minidl {

// "nearest" repeats each pixel size_h x size_w times. "bilinear" interpolates with half-pixel
// centres (source = (out + 0.5) / size - 0.5, clamped at the border), which is what Keras 3's
// ops.image.resize gives for integer upsampling, and PyTorch's bilinear with align_corners=False.
// data_format is "channels_last" (NHWC) or "channels_first" (NCHW).
Tensor upsampling2d(const Tensor& x, std::array<std::int64_t, 2> size = {2, 2},
                    const std::string& data_format = "channels_last", const std::string& interpolation = "nearest");

}  // namespace minidl
