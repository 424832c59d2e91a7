#pragma once
// Direct depthwise convolution: groups == input channels, `multiplier` output channels per input
// channel (output channel c*m + j reads input channel c with kernel[..., 0, c*m + j]). Run as a
// grouped im2col + GEMM, every group has one channel, so im2col copies one value at a time and each
// GEMM is a degenerate 1-wide product; these loops do the same arithmetic in place instead.
//
// Geometry as in im2col.h (image = input, grid = output), with image_channels = C and channels = 1.
// channels_last data is (N, H, W, C) and the loops run over channels innermost; channels_first data
// is (N, C, H, W) and the loops run along image rows. The kernel is Keras's (kh, kw, 1, C*m) either way.
// Every result element is summed in a fixed order, whatever the thread count.
#include <cstdint>

#include "minidl/core/kernels/im2col.h"

namespace minidl::kernels {

struct DepthwiseLayout {
  std::int64_t multiplier = 1;
  bool channels_last = true;
};

// y = depthwise conv(x, k) (+ bias (C*m) when non-null); overwrites y.
template <class T>
void depthwise_forward(const T* x, std::int64_t count, const ConvGeometry& g, DepthwiseLayout l, const T* k,
                       const T* bias, T* y);

// dx = the input gradient for output gradient gy (overwrites dx).
template <class T>
void depthwise_input_grad(const T* gy, std::int64_t count, const ConvGeometry& g, DepthwiseLayout l, const T* k,
                          T* dx);

// dk (kh, kw, 1, C*m) = the kernel gradient (overwrites dk).
template <class T>
void depthwise_kernel_grad(const T* x, const T* gy, std::int64_t count, const ConvGeometry& g, DepthwiseLayout l,
                           T* dk);

}  // namespace minidl::kernels
