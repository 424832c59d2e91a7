#pragma once
// Shared by conv2d.cpp and conv2d_transpose.cpp (not installed as public API): argument checks,
// batch chunking and the channels_first wrapper.
#include <algorithm>
#include <cstdint>
#include <functional>

#include "minidl/autograd/ops/conv2d.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"
#include "minidl/core/kernels/im2col.h"
#include "minidl/core/workspace.h"

namespace minidl::conv_detail {

inline void require_positive_pair(std::string_view op, const char* name, Pair p) {
  if (p[0] < 1 || p[1] < 1)
    throw_invalid_argument("{}: {} must be >= 1, received {}=({}, {})", op, name, name, p[0], p[1]);
}

inline void require_rank(std::string_view op, const char* name, const Tensor& t, std::int64_t rank, const char* layout) {
  if (!t.defined()) throw_invalid_argument("{}: {} is undefined", op, name);
  if (t.ndim() != rank)
    throw_invalid_argument("{}: {} must be {}-D {}, received shape {}", op, name, rank, layout, t.shape());
}

inline void require_padding(std::string_view op, const Padding4& p) {
  for (auto v : p)
    if (v < 0)
      throw_invalid_argument("{}: padding must be >= 0 on every side, received padding=(top {}, bottom {}, left {}, right {})",
                             op, p[0], p[1], p[2], p[3]);
}

// Images per chunk so that one im2col buffer of `bytes_per_image` stays under the scratch limit.
inline std::int64_t images_per_chunk(std::int64_t batch, std::size_t bytes_per_image) {
  const std::size_t per = std::max<std::size_t>(bytes_per_image, 1);
  return std::clamp<std::int64_t>(static_cast<std::int64_t>(kMaxScratchBytes / per), 1, std::max<std::int64_t>(batch, 1));
}

template <class T>
T* scratch(std::size_t elements, int slot = 0) {
  return static_cast<T*>(thread_scratch(elements * sizeof(T), slot));
}

// The window part of an im2col geometry: kernel extents from a (kh, kw, ...) kernel shape, strides,
// dilation and the top/left padding.
inline void set_window(kernels::ConvGeometry& g, const Shape& kernel_shape, Pair strides, Pair dilation,
                       const Padding4& padding) {
  g.kernel_h = kernel_shape[0];
  g.kernel_w = kernel_shape[1];
  g.stride_h = strides[0];
  g.stride_w = strides[1];
  g.dilation_h = dilation[0];
  g.dilation_w = dilation[1];
  g.pad_top = padding[0];
  g.pad_left = padding[2];
}

// Runs an NHWC implementation on NCHW data: permute in, run, permute out (autograd follows).
inline Tensor via_channels_last(const Tensor& x, const std::function<Tensor(const Tensor&)>& nhwc) {
  return permute(nhwc(permute(x, {0, 2, 3, 1})), {0, 3, 1, 2});
}

}  // namespace minidl::conv_detail
