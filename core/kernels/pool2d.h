#pragma once
// 2-D max and average pooling loops (no autograd). Both layouts are one geometry: the input is
// (outer, H, W, inner) with `inner` contiguous, so NCHW is outer = N*C, inner = 1 and NHWC is
// outer = N, inner = C. Padded cells never take part: max ignores them and average divides by
// the number of real cells in each window (Keras's 'same' semantics, count_include_pad=False).
#include <cstdint>

namespace minidl::kernels {

struct Pool2dGeometry {
  std::int64_t outer = 0, height = 0, width = 0, inner = 0;  // input (outer, H, W, inner)
  std::int64_t out_height = 0, out_width = 0;                // output (outer, OH, OW, inner)
  std::int64_t pool_h = 1, pool_w = 1, stride_h = 1, stride_w = 1;
  std::int64_t pad_top = 0, pad_left = 0;  // cells of padding before row 0 / column 0
};

// y = max over each window; argmax[k] = h * W + w of the first maximum (NaN wins, as in PyTorch).
template <class T>
void max_pool2d_forward(const T* x, T* y, std::int32_t* argmax, const Pool2dGeometry& g);
// dx = 0, then dx[argmax[k]] += dy[k].
template <class T>
void max_pool2d_backward(const T* dy, const std::int32_t* argmax, T* dx, const Pool2dGeometry& g);
// y = mean of the real (non-padded) cells of each window.
template <class T>
void avg_pool2d_forward(const T* x, T* y, const Pool2dGeometry& g);
// dx = 0, then every real cell of a window gets dy / (number of real cells in that window).
template <class T>
void avg_pool2d_backward(const T* dy, T* dx, const Pool2dGeometry& g);

}  // namespace minidl::kernels
