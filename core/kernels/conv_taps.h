#pragma once
// Per-axis tap bookkeeping shared by the direct convolution loops (conv_direct.cpp,
// depthwise_conv2d.cpp), computed once per call instead of per pixel (valid_taps divides).
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "minidl/core/kernels/im2col.h"

namespace minidl::kernels {

// Along one axis, the valid kernel taps [first, last) of every output position.
inline std::vector<std::pair<std::int64_t, std::int64_t>> tap_ranges(std::int64_t grid, std::int64_t stride,
                                                                     std::int64_t pad, std::int64_t kernel,
                                                                     std::int64_t dilation, std::int64_t extent) {
  std::vector<std::pair<std::int64_t, std::int64_t>> r(static_cast<std::size_t>(grid));
  for (std::int64_t o = 0; o < grid; ++o) valid_taps(o * stride - pad, kernel, dilation, extent, r[o].first, r[o].second);
  return r;
}

// For each kernel column mx, the output columns [first, last) whose tap mx lands inside the image
// row: 0 <= gx*stride_w - pad_left + mx*dilation_w < image_w.
inline std::vector<std::pair<std::int64_t, std::int64_t>> column_reach(const ConvGeometry& g) {
  std::vector<std::pair<std::int64_t, std::int64_t>> reach(static_cast<std::size_t>(g.kernel_w));
  auto ceil_div = [&](std::int64_t a) { return a <= 0 ? 0 : (a + g.stride_w - 1) / g.stride_w; };
  for (std::int64_t mx = 0; mx < g.kernel_w; ++mx) {
    const std::int64_t lead = g.pad_left - mx * g.dilation_w;  // gx * stride >= lead, < lead + image_w
    const std::int64_t first = std::min(ceil_div(lead), g.grid_w);
    reach[mx] = {first, std::max(first, std::min(ceil_div(lead + g.image_w), g.grid_w))};
  }
  return reach;
}

}  // namespace minidl::kernels
