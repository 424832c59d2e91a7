#pragma once
// The rank-1 layers (Conv1D, the 1-D pooling, UpSampling1D) run the 2-D ops on an image of height 1:
// (batch, steps, channels) is (batch, 1, steps, channels), and (batch, channels, steps) is
// (batch, channels, 1, steps). Both are reshapes of contiguous data, so the views are exact and free.
#include "minidl/core/tensor.h"

namespace minidl::layers {

Tensor steps_to_image(const Tensor& x, bool channels_last);
Tensor image_to_steps(const Tensor& y, bool channels_last);

}  // namespace minidl::layers
