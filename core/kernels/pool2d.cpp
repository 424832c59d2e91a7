#include "minidl/core/kernels/pool2d.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "minidl/core/parallel.h"

namespace minidl::kernels {

namespace {

// The real cells [begin, end) a window covers along one axis.
struct Span {
  std::int64_t begin, end;
};

Span window(std::int64_t out_index, std::int64_t stride, std::int64_t pad, std::int64_t pool, std::int64_t extent) {
  const std::int64_t start = out_index * stride - pad;
  return {std::max<std::int64_t>(start, 0), std::min(start + pool, extent)};
}

// Roughly 32 KiB of input per task keeps small planes from paying the pool's wake-up cost.
std::int64_t grain_for(std::int64_t work_per_item) {
  return std::max<std::int64_t>(1, (std::int64_t{1} << 15) / std::max<std::int64_t>(work_per_item, 1));
}

// Max pooling of a planar input (inner == 1: NCHW, or one channel) has no channel loop to
// vectorise, and a per-window loop is a chain of compare-and-selects that the compiler turns into
// unpredictable branches. So it runs along the output row instead: for each window cell (h, dw)
// in row-major order, every output column whose window holds that cell is updated at once. Each
// window still sees its cells in the same order, so ties and NaNs resolve exactly as before.

// Runs body(stride) with the usual strides 1 and 2 as compile-time constants, so the strided
// loads along a row become vector shuffles instead of gathers.
template <class Body>
void with_stride(std::int64_t s, Body&& body) {
  if (s == 1) body(std::integral_constant<std::int64_t, 1>{});
  else if (s == 2) body(std::integral_constant<std::int64_t, 2>{});
  else body(s);
}

template <class T>
void max_pool2d_forward_planar(const T* x, T* y, std::int32_t* argmax, const Pool2dGeometry& g) {
  const std::int64_t H = g.height, W = g.width, OH = g.out_height, OW = g.out_width, s = g.stride_w;
  // cols[dw]: the output columns ow whose window holds input column ow * s - pad_left + dw.
  std::vector<Span> cols(static_cast<std::size_t>(g.pool_w));
  for (std::int64_t dw = 0; dw < g.pool_w; ++dw) {
    const std::int64_t first = g.pad_left - dw, last = W - 1 + g.pad_left - dw;
    const std::int64_t begin = first <= 0 ? 0 : (first + s - 1) / s;
    const std::int64_t end = last < 0 ? 0 : std::min(OW, last / s + 1);
    cols[static_cast<std::size_t>(dw)] = {begin, std::max(begin, end)};
  }
  parallel_for(0, g.outer * OH, grain_for(OW * g.pool_h * g.pool_w), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t r = lo; r < hi; ++r) {
      const Span hs = window(r % OH, g.stride_h, g.pad_top, g.pool_h, H);
      const T* xo = x + (r / OH) * H * W;
      T* __restrict yr = y + r * OW;
      std::int32_t* __restrict ar = argmax + r * OW;
      std::fill(ar, ar + OW, -1);  // no cell seen yet: a window's first real cell always wins
      std::fill(yr, yr + OW, T(0));
      for (std::int64_t h = hs.begin; h < hs.end; ++h)
        for (std::int64_t dw = 0; dw < g.pool_w; ++dw) {
          const Span c = cols[static_cast<std::size_t>(dw)];
          const std::int64_t w0 = dw - g.pad_left;  // input column of cell dw in window 0
          const T* xr = xo + h * W + w0;
          const auto base = static_cast<std::int32_t>(h * W + w0);
          with_stride(s, [&](auto stride) {
            for (std::int64_t ow = c.begin; ow < c.end; ++ow) {
              const T v = xr[ow * stride], cur = yr[ow];
              // The first strictly larger value wins (ties keep the earliest cell); a NaN replaces a number.
              const bool take = (ar[ow] < 0) | (v > cur) | ((v != v) & (cur == cur));
              yr[ow] = take ? v : cur;
              ar[ow] = take ? base + static_cast<std::int32_t>(ow * stride) : ar[ow];
            }
          });
        }
    }
  });
}

}  // namespace

template <class T>
void max_pool2d_forward_interleaved(const T* x, T* y, std::int32_t* argmax, const Pool2dGeometry& g) {
  const std::int64_t C = g.inner, H = g.height, W = g.width, OH = g.out_height, OW = g.out_width;
  // Output rows are independent: split (outer, output row) across threads.
  parallel_for(0, g.outer * OH, grain_for(OW * g.pool_h * g.pool_w * C), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t row = lo; row < hi; ++row) {
      const std::int64_t o = row / OH, oh = row % OH;
      const Span hs = window(oh, g.stride_h, g.pad_top, g.pool_h, H);
      const T* xo = x + o * H * W * C;
      for (std::int64_t ow = 0; ow < OW; ++ow) {
        const Span ws = window(ow, g.stride_w, g.pad_left, g.pool_w, W);
        T* __restrict yk = y + (row * OW + ow) * C;
        std::int32_t* __restrict ak = argmax + (row * OW + ow) * C;
        // Start from the window's first real cell (every window has one), then keep the first
        // strictly larger value, so ties go to the earliest cell in row-major order.
        const auto first = static_cast<std::int32_t>(hs.begin * W + ws.begin);
        const T* __restrict x0 = xo + first * C;
        for (std::int64_t c = 0; c < C; ++c) {
          yk[c] = x0[c];
          ak[c] = first;
        }
        for (std::int64_t h = hs.begin; h < hs.end; ++h) {
          for (std::int64_t w = ws.begin; w < ws.end; ++w) {
            const auto idx = static_cast<std::int32_t>(h * W + w);
            const T* __restrict xc = xo + idx * C;
            for (std::int64_t c = 0; c < C; ++c) {
              const T v = xc[c];
              const bool take = v > yk[c] || (v != v && yk[c] == yk[c]);  // a NaN replaces a number
              yk[c] = take ? v : yk[c];
              ak[c] = take ? idx : ak[c];
            }
          }
        }
      }
    }
  });
}

template <class T>
void max_pool2d_forward(const T* x, T* y, std::int32_t* argmax, const Pool2dGeometry& g) {
  if (g.inner == 1) max_pool2d_forward_planar(x, y, argmax, g);
  else max_pool2d_forward_interleaved(x, y, argmax, g);
}

// The other kernels come in two instantiations: Planar (inner == 1) makes the channel loop a
// compile-time single iteration, which removes its overhead from every window cell.
template <class T, bool Planar>
void max_pool2d_backward_impl(const T* dy, const std::int32_t* argmax, T* dx, const Pool2dGeometry& g) {
  const std::int64_t C = Planar ? 1 : g.inner, plane = g.height * g.width * C, out_plane = g.out_height * g.out_width * C;
  // Windows overlap when stride < pool, so threads split the outer axis, whose slices are disjoint.
  parallel_for(0, g.outer, grain_for(plane), [&](std::int64_t lo, std::int64_t hi) {
    std::memset(dx + lo * plane, 0, static_cast<std::size_t>((hi - lo) * plane) * sizeof(T));
    for (std::int64_t o = lo; o < hi; ++o) {
      T* dxo = dx + o * plane;
      const T* dyo = dy + o * out_plane;
      const std::int32_t* ao = argmax + o * out_plane;
      for (std::int64_t k = 0; k < out_plane; k += C)
        for (std::int64_t c = 0; c < C; ++c) dxo[ao[k + c] * C + c] += dyo[k + c];
    }
  });
}

namespace {

// Windows that tile the input (stride == pool, the usual 2x2/2) never share a cell, so every cell
// is written exactly once, with value(k, idx, c) from its window k or 0 outside every window: one
// pass over dx instead of zeroing it and then scattering into it.
template <class T, class Value>
void backward_disjoint(T* dx, const Pool2dGeometry& g, Value&& value) {
  const std::int64_t C = g.inner, H = g.height, W = g.width, OH = g.out_height, OW = g.out_width;
  parallel_for(0, g.outer * OH, grain_for(OW * g.pool_h * g.pool_w * C), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t row = lo; row < hi; ++row) {
      const std::int64_t o = row / OH, oh = row % OH;
      const Span hs = window(oh, g.stride_h, g.pad_top, g.pool_h, H);
      T* dxo = dx + o * H * W * C;
      for (std::int64_t h = hs.begin; h < hs.end; ++h) {
        for (std::int64_t ow = 0; ow < OW; ++ow) {
          const Span ws = window(ow, g.stride_w, g.pad_left, g.pool_w, W);
          for (std::int64_t w = ws.begin; w < ws.end; ++w) {
            const auto idx = static_cast<std::int32_t>(h * W + w);
            value(row * OW + ow, idx, hs, ws, dxo + idx * C);
          }
        }
        // Columns past the last window ('valid' with a remainder) get no gradient.
        const std::int64_t covered = window(OW - 1, g.stride_w, g.pad_left, g.pool_w, W).end;
        std::fill(dxo + (h * W + covered) * C, dxo + (h + 1) * W * C, T(0));
      }
      if (oh == OH - 1) std::fill(dxo + hs.end * W * C, dxo + H * W * C, T(0));  // rows past the last window
    }
  });
}

}  // namespace

template <class T>
void max_pool2d_backward(const T* dy, const std::int32_t* argmax, T* dx, const Pool2dGeometry& g) {
  const std::int64_t C = g.inner;
  if (g.stride_h == g.pool_h && g.stride_w == g.pool_w)
    backward_disjoint(dx, g, [&](std::int64_t k, std::int32_t idx, Span, Span, T* __restrict dxc) {
      const T* __restrict dyk = dy + k * C;
      const std::int32_t* __restrict ak = argmax + k * C;
      for (std::int64_t c = 0; c < C; ++c) dxc[c] = ak[c] == idx ? dyk[c] : T(0);
    });
  else if (g.inner == 1) max_pool2d_backward_impl<T, true>(dy, argmax, dx, g);
  else max_pool2d_backward_impl<T, false>(dy, argmax, dx, g);
}

template <class T, bool Planar>
void avg_pool2d_forward_impl(const T* x, T* y, const Pool2dGeometry& g) {
  const std::int64_t C = Planar ? 1 : g.inner, H = g.height, W = g.width, OH = g.out_height, OW = g.out_width;
  parallel_for(0, g.outer * OH, grain_for(OW * g.pool_h * g.pool_w * C), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t row = lo; row < hi; ++row) {
      const std::int64_t o = row / OH, oh = row % OH;
      const Span hs = window(oh, g.stride_h, g.pad_top, g.pool_h, H);
      const T* xo = x + o * H * W * C;
      for (std::int64_t ow = 0; ow < OW; ++ow) {
        const Span ws = window(ow, g.stride_w, g.pad_left, g.pool_w, W);
        T* __restrict yk = y + (row * OW + ow) * C;
        std::fill(yk, yk + C, T(0));
        for (std::int64_t h = hs.begin; h < hs.end; ++h)
          for (std::int64_t w = ws.begin; w < ws.end; ++w) {
            const T* __restrict xc = xo + (h * W + w) * C;
            for (std::int64_t c = 0; c < C; ++c) yk[c] += xc[c];
          }
        const T inv = T(1) / static_cast<T>((hs.end - hs.begin) * (ws.end - ws.begin));
        for (std::int64_t c = 0; c < C; ++c) yk[c] *= inv;
      }
    }
  });
}

template <class T>
void avg_pool2d_forward(const T* x, T* y, const Pool2dGeometry& g) {
  if (g.inner == 1) avg_pool2d_forward_impl<T, true>(x, y, g);
  else avg_pool2d_forward_impl<T, false>(x, y, g);
}

template <class T, bool Planar>
void avg_pool2d_backward_impl(const T* dy, T* dx, const Pool2dGeometry& g) {
  const std::int64_t C = Planar ? 1 : g.inner, H = g.height, W = g.width, OH = g.out_height, OW = g.out_width;
  const std::int64_t plane = H * W * C;
  parallel_for(0, g.outer, grain_for(plane), [&](std::int64_t lo, std::int64_t hi) {
    std::memset(dx + lo * plane, 0, static_cast<std::size_t>((hi - lo) * plane) * sizeof(T));
    for (std::int64_t o = lo; o < hi; ++o) {
      T* dxo = dx + o * plane;
      for (std::int64_t oh = 0; oh < OH; ++oh) {
        const Span hs = window(oh, g.stride_h, g.pad_top, g.pool_h, H);
        for (std::int64_t ow = 0; ow < OW; ++ow) {
          const Span ws = window(ow, g.stride_w, g.pad_left, g.pool_w, W);
          const T inv = T(1) / static_cast<T>((hs.end - hs.begin) * (ws.end - ws.begin));
          const T* __restrict dyk = dy + ((o * OH + oh) * OW + ow) * C;
          for (std::int64_t h = hs.begin; h < hs.end; ++h)
            for (std::int64_t w = ws.begin; w < ws.end; ++w) {
              T* __restrict dxc = dxo + (h * W + w) * C;
              for (std::int64_t c = 0; c < C; ++c) dxc[c] += dyk[c] * inv;
            }
        }
      }
    }
  });
}

template <class T>
void avg_pool2d_backward(const T* dy, T* dx, const Pool2dGeometry& g) {
  const std::int64_t C = g.inner;
  if (g.stride_h == g.pool_h && g.stride_w == g.pool_w)
    backward_disjoint(dx, g, [&](std::int64_t k, std::int32_t, Span hs, Span ws, T* __restrict dxc) {
      const T* __restrict dyk = dy + k * C;
      const T inv = T(1) / static_cast<T>((hs.end - hs.begin) * (ws.end - ws.begin));
      for (std::int64_t c = 0; c < C; ++c) dxc[c] = dyk[c] * inv;
    });
  else if (g.inner == 1) avg_pool2d_backward_impl<T, true>(dy, dx, g);
  else avg_pool2d_backward_impl<T, false>(dy, dx, g);
}

template void max_pool2d_forward<float>(const float*, float*, std::int32_t*, const Pool2dGeometry&);
template void max_pool2d_forward<double>(const double*, double*, std::int32_t*, const Pool2dGeometry&);
template void max_pool2d_backward<float>(const float*, const std::int32_t*, float*, const Pool2dGeometry&);
template void max_pool2d_backward<double>(const double*, const std::int32_t*, double*, const Pool2dGeometry&);
template void avg_pool2d_forward<float>(const float*, float*, const Pool2dGeometry&);
template void avg_pool2d_forward<double>(const double*, double*, const Pool2dGeometry&);
template void avg_pool2d_backward<float>(const float*, float*, const Pool2dGeometry&);
template void avg_pool2d_backward<double>(const double*, double*, const Pool2dGeometry&);

}  // namespace minidl::kernels
