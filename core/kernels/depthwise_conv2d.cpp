#include "minidl/core/kernels/depthwise_conv2d.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "minidl/core/kernels/conv_taps.h"
#include "minidl/core/parallel.h"

namespace minidl::kernels {

namespace {

using Range = std::pair<std::int64_t, std::int64_t>;

// ---- channels_last: one pixel's C (or C*m) values are contiguous; vectorised over channels ----

// out[c] += a[c] * b[c]: depth multiplier 1, where spreading and gathering coincide.
template <class T>
void multiply_add(T* __restrict out, const T* __restrict a, const T* __restrict b, std::int64_t channels) {
  for (std::int64_t c = 0; c < channels; ++c) out[c] += a[c] * b[c];
}

// out[c*m + j] += a[c] * b[c*m + j]
template <class T>
void spread_multiply_add(T* __restrict out, const T* __restrict a, const T* __restrict b, std::int64_t channels,
                         std::int64_t m) {
  if (m == 1) return multiply_add(out, a, b, channels);
  for (std::int64_t c = 0; c < channels; ++c)
    for (std::int64_t j = 0; j < m; ++j) out[c * m + j] += a[c] * b[c * m + j];
}

// out[c] += sum_j a[c*m + j] * b[c*m + j]
template <class T>
void gather_multiply_add(T* __restrict out, const T* __restrict a, const T* __restrict b, std::int64_t channels,
                         std::int64_t m) {
  if (m == 1) return multiply_add(out, a, b, channels);
  for (std::int64_t c = 0; c < channels; ++c) {
    T s = 0;
    for (std::int64_t j = 0; j < m; ++j) s += a[c * m + j] * b[c * m + j];
    out[c] += s;
  }
}

// Calls fn(image pixel, tap, output pixel) for every in-image tap of image n's output rows [oy0, oy1),
// pixels counted from the image's / output's start, in a fixed order.
template <class Fn>
void for_each_tap(const ConvGeometry& g, const std::vector<Range>& cols, std::int64_t oy0, std::int64_t oy1, Fn fn) {
  for (std::int64_t oy = oy0; oy < oy1; ++oy) {
    const std::int64_t y0 = oy * g.stride_h - g.pad_top;
    std::int64_t my0, my1;
    valid_taps(y0, g.kernel_h, g.dilation_h, g.image_h, my0, my1);
    for (std::int64_t ox = 0; ox < g.grid_w; ++ox) {
      const std::int64_t x0 = ox * g.stride_w - g.pad_left;
      const auto [mx0, mx1] = cols[ox];
      for (std::int64_t my = my0; my < my1; ++my)
        for (std::int64_t mx = mx0; mx < mx1; ++mx)
          fn((y0 + my * g.dilation_h) * g.image_w + x0 + mx * g.dilation_w, my * g.kernel_w + mx, oy * g.grid_w + ox);
    }
  }
}

template <class T>
void forward_nhwc(const T* x, std::int64_t count, const ConvGeometry& g, std::int64_t m, const T* k, const T* bias,
                  T* y) {
  const std::int64_t c_in = g.image_channels, c_out = c_in * m, grid = g.rows_per_image();
  const auto cols = tap_ranges(g.grid_w, g.stride_w, g.pad_left, g.kernel_w, g.dilation_w, g.image_w);
  // One output row per task: rows are written by one thread each.
  parallel_for(0, count * g.grid_h, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t ny = begin; ny < end; ++ny) {
      const std::int64_t n = ny / g.grid_h, oy = ny % g.grid_h;
      const T* image = x + n * g.image_size();
      T* out = y + n * grid * c_out;
      T* row = out + oy * g.grid_w * c_out;
      for (std::int64_t i = 0; i < g.grid_w; ++i)
        for (std::int64_t o = 0; o < c_out; ++o) row[i * c_out + o] = bias ? bias[o] : T(0);
      for_each_tap(g, cols, oy, oy + 1, [&](std::int64_t pixel, std::int64_t tap, std::int64_t opix) {
        spread_multiply_add(out + opix * c_out, image + pixel * c_in, k + tap * c_out, c_in, m);
      });
    }
  });
}

template <class T>
void input_grad_nhwc(const T* gy, std::int64_t count, const ConvGeometry& g, std::int64_t m, const T* k, T* dx) {
  const std::int64_t c_in = g.image_channels, c_out = c_in * m, grid = g.rows_per_image();
  const auto cols = tap_ranges(g.grid_w, g.stride_w, g.pad_left, g.kernel_w, g.dilation_w, g.image_w);
  // Scatter within one image per task: windows overlap, images do not.
  parallel_for(0, count, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t n = begin; n < end; ++n) {
      T* image = dx + n * g.image_size();
      const T* grad = gy + n * grid * c_out;
      std::fill(image, image + g.image_size(), T(0));
      for_each_tap(g, cols, 0, g.grid_h, [&](std::int64_t pixel, std::int64_t tap, std::int64_t opix) {
        gather_multiply_add(image + pixel * c_in, grad + opix * c_out, k + tap * c_out, c_in, m);
      });
    }
  });
}

// Adds image n's kernel gradient to part (taps, C*m).
template <class T>
void kernel_grad_nhwc(const T* x, const T* gy, std::int64_t n, const ConvGeometry& g, std::int64_t m,
                      const std::vector<Range>& cols, T* part) {
  const std::int64_t c_in = g.image_channels, c_out = c_in * m;
  const T* image = x + n * g.image_size();
  const T* grad = gy + n * g.rows_per_image() * c_out;
  for_each_tap(g, cols, 0, g.grid_h, [&](std::int64_t pixel, std::int64_t tap, std::int64_t opix) {
    T* __restrict acc = part + tap * c_out;
    const T* __restrict gp = grad + opix * c_out;
    const T* __restrict xp = image + pixel * c_in;
    spread_multiply_add(acc, xp, gp, c_in, m);
  });
}

// ---- channels_first: one channel's image is a plane; vectorised along its rows ----

// Calls fn(input row offset, output row offset, kernel tap, first, last) for every in-image tap row
// of an (input plane, output plane) pair: output columns [first, last) read input columns
// ox*stride + shift, shift = mx*dilation - pad_left (folded into the input offset).
template <class Fn>
void for_each_tap_row(const ConvGeometry& g, const std::vector<Range>& reach, Fn fn) {
  for (std::int64_t oy = 0; oy < g.grid_h; ++oy) {
    const std::int64_t y0 = oy * g.stride_h - g.pad_top;
    std::int64_t my0, my1;
    valid_taps(y0, g.kernel_h, g.dilation_h, g.image_h, my0, my1);
    for (std::int64_t my = my0; my < my1; ++my)
      for (std::int64_t mx = 0; mx < g.kernel_w; ++mx) {
        const auto [first, last] = reach[mx];
        if (first < last)
          fn((y0 + my * g.dilation_h) * g.image_w + mx * g.dilation_w - g.pad_left, oy * g.grid_w,
             my * g.kernel_w + mx, first, last);
      }
  }
}

template <class T>
void forward_nchw(const T* x, std::int64_t count, const ConvGeometry& g, std::int64_t m, const T* k, const T* bias,
                  T* y) {
  const std::int64_t c_in = g.image_channels, c_out = c_in * m, plane = g.image_h * g.image_w,
                     grid = g.rows_per_image(), s = g.stride_w;
  const auto reach = column_reach(g);
  parallel_for(0, count * c_out, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t no = begin; no < end; ++no) {
      const std::int64_t n = no / c_out, o = no % c_out;
      const T* __restrict in = x + (n * c_in + o / m) * plane;
      T* __restrict out = y + no * grid;
      std::fill(out, out + grid, bias ? bias[o] : T(0));
      for_each_tap_row(g, reach, [&](std::int64_t ip, std::int64_t op, std::int64_t tap, std::int64_t first,
                                     std::int64_t last) {
        const T w = k[tap * c_out + o];
        if (s == 1)
          for (std::int64_t ox = first; ox < last; ++ox) out[op + ox] += w * in[ip + ox];
        else
          for (std::int64_t ox = first; ox < last; ++ox) out[op + ox] += w * in[ip + ox * s];
      });
    }
  });
}

template <class T>
void input_grad_nchw(const T* gy, std::int64_t count, const ConvGeometry& g, std::int64_t m, const T* k, T* dx) {
  const std::int64_t c_in = g.image_channels, c_out = c_in * m, plane = g.image_h * g.image_w,
                     grid = g.rows_per_image(), s = g.stride_w;
  const auto reach = column_reach(g);
  // One input plane per task: it gathers from its m output planes only.
  parallel_for(0, count * c_in, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t nc = begin; nc < end; ++nc) {
      T* __restrict in = dx + nc * plane;
      std::fill(in, in + plane, T(0));
      for (std::int64_t j = 0; j < m; ++j) {
        const std::int64_t o = (nc % c_in) * m + j;
        const T* __restrict grad = gy + (nc * m + j) * grid;
        for_each_tap_row(g, reach, [&](std::int64_t ip, std::int64_t op, std::int64_t tap, std::int64_t first,
                                       std::int64_t last) {
          const T w = k[tap * c_out + o];
          if (s == 1)
            for (std::int64_t ox = first; ox < last; ++ox) in[ip + ox] += w * grad[op + ox];
          else
            for (std::int64_t ox = first; ox < last; ++ox) in[ip + ox * s] += w * grad[op + ox];
        });
      }
    }
  });
}

// sum of a[i] * b[i * stride] over i in [0, n), in 64 bytes of independent lanes folded pairwise:
// vectorisable, and the same order on every run. kStride: the stride when known at compile time
// (1, so the loads are contiguous), 0 for a run-time `stride`.
template <std::int64_t kStride, class T>
T strided_dot(const T* __restrict a, const T* __restrict b, std::int64_t n, std::int64_t stride) {
  constexpr std::int64_t kLanes = 64 / sizeof(T);
  const std::int64_t s = kStride ? kStride : stride;
  T lane[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (std::int64_t j = 0; j < kLanes; ++j) lane[j] += a[i + j] * b[(i + j) * s];
  for (; i < n; ++i) lane[i % kLanes] += a[i] * b[i * s];
  for (std::int64_t w = kLanes / 2; w > 0; w /= 2)
    for (std::int64_t j = 0; j < w; ++j) lane[j] += lane[j + w];
  return lane[0];
}

template <class T>
void kernel_grad_nchw(const T* x, const T* gy, std::int64_t n, const ConvGeometry& g, std::int64_t m,
                      const std::vector<Range>& reach, T* part) {
  const std::int64_t c_in = g.image_channels, c_out = c_in * m, plane = g.image_h * g.image_w,
                     grid = g.rows_per_image(), s = g.stride_w;
  for (std::int64_t o = 0; o < c_out; ++o) {
    const T* in = x + (n * c_in + o / m) * plane;
    const T* grad = gy + (n * c_out + o) * grid;
    for_each_tap_row(g, reach, [&](std::int64_t ip, std::int64_t op, std::int64_t tap, std::int64_t first,
                                   std::int64_t last) {
      part[tap * c_out + o] +=
          s == 1 ? strided_dot<1>(grad + op + first, in + ip + first, last - first, s)
                 : strided_dot<0>(grad + op + first, in + ip + first * s, last - first, s);
    });
  }
}

}  // namespace

template <class T>
void depthwise_forward(const T* x, std::int64_t count, const ConvGeometry& g, DepthwiseLayout l, const T* k,
                       const T* bias, T* y) {
  if (l.channels_last)
    forward_nhwc(x, count, g, l.multiplier, k, bias, y);
  else
    forward_nchw(x, count, g, l.multiplier, k, bias, y);
}

template <class T>
void depthwise_input_grad(const T* gy, std::int64_t count, const ConvGeometry& g, DepthwiseLayout l, const T* k,
                          T* dx) {
  if (l.channels_last)
    input_grad_nhwc(gy, count, g, l.multiplier, k, dx);
  else
    input_grad_nchw(gy, count, g, l.multiplier, k, dx);
}

template <class T>
void depthwise_kernel_grad(const T* x, const T* gy, std::int64_t count, const ConvGeometry& g, DepthwiseLayout l,
                           T* dk) {
  // The batch is cut into at most kBlocks blocks of consecutive images, a count that depends on the
  // batch alone; each block's sum is formed image by image, then the blocks are added in order, so
  // the result is the same for any thread count.
  constexpr std::int64_t kBlocks = 64;
  const std::int64_t size = g.kernel_h * g.kernel_w * g.image_channels * l.multiplier;
  const std::int64_t per_block = std::max<std::int64_t>((count + kBlocks - 1) / kBlocks, 1);
  const std::int64_t blocks = (count + per_block - 1) / per_block;
  std::vector<T> parts(static_cast<std::size_t>(std::max<std::int64_t>(blocks, 1) * size), T(0));
  const auto cols = tap_ranges(g.grid_w, g.stride_w, g.pad_left, g.kernel_w, g.dilation_w, g.image_w);
  const auto reach = column_reach(g);
  parallel_for(0, blocks, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t b = begin; b < end; ++b)
      for (std::int64_t n = b * per_block; n < std::min(count, (b + 1) * per_block); ++n) {
        T* part = parts.data() + b * size;
        if (l.channels_last)
          kernel_grad_nhwc(x, gy, n, g, l.multiplier, cols, part);
        else
          kernel_grad_nchw(x, gy, n, g, l.multiplier, reach, part);
      }
  });
  std::fill(dk, dk + size, T(0));
  for (std::int64_t b = 0; b < blocks; ++b)
    for (std::int64_t i = 0; i < size; ++i) dk[i] += parts[b * size + i];
}

#define MINIDL_DEPTHWISE_INSTANTIATE(T)                                                                               \
  template void depthwise_forward<T>(const T*, std::int64_t, const ConvGeometry&, DepthwiseLayout, const T*,        \
                                     const T*, T*);                                                                   \
  template void depthwise_input_grad<T>(const T*, std::int64_t, const ConvGeometry&, DepthwiseLayout, const T*, T*); \
  template void depthwise_kernel_grad<T>(const T*, const T*, std::int64_t, const ConvGeometry&, DepthwiseLayout, T*);
MINIDL_DEPTHWISE_INSTANTIATE(float)
MINIDL_DEPTHWISE_INSTANTIATE(double)
#undef MINIDL_DEPTHWISE_INSTANTIATE

}  // namespace minidl::kernels
