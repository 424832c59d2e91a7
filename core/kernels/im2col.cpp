#include "minidl/core/kernels/im2col.h"

#include <algorithm>
#include <cstring>

#include "minidl/core/parallel.h"

namespace minidl::kernels {


template <class T>
void im2col(const T* images, std::int64_t count, const ConvGeometry& g, T* cols) {
  const std::int64_t len = g.row_length();
  const std::int64_t c = g.channels;
  parallel_for(0, count * g.grid_h, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t ny = begin; ny < end; ++ny) {
      const std::int64_t n = ny / g.grid_h, gy = ny % g.grid_h;
      const T* image = images + n * g.image_size() + g.channel_offset;
      const std::int64_t y0 = gy * g.stride_h - g.pad_top;
      std::int64_t my0, my1;
      valid_taps(y0, g.kernel_h, g.dilation_h, g.image_h, my0, my1);
      for (std::int64_t gx = 0; gx < g.grid_w; ++gx) {
        T* row = cols + (ny * g.grid_w + gx) * len;
        const std::int64_t x0 = gx * g.stride_w - g.pad_left;
        std::int64_t mx0, mx1;
        valid_taps(x0, g.kernel_w, g.dilation_w, g.image_w, mx0, mx1);
        if (my0 > 0 || my1 < g.kernel_h || mx0 > 0 || mx1 < g.kernel_w) std::fill(row, row + len, T(0));
        for (std::int64_t my = my0; my < my1; ++my) {
          const T* src_row = image + ((y0 + my * g.dilation_h) * g.image_w) * g.image_channels;
          T* dst = row + (my * g.kernel_w) * c;
          if (g.dilation_w == 1 && g.channels == g.image_channels) {  // taps are one contiguous run
            std::memcpy(dst + mx0 * c, src_row + (x0 + mx0) * c, sizeof(T) * (mx1 - mx0) * c);
            continue;
          }
          for (std::int64_t mx = mx0; mx < mx1; ++mx)
            std::memcpy(dst + mx * c, src_row + (x0 + mx * g.dilation_w) * g.image_channels, sizeof(T) * c);
        }
      }
    }
  });
}

template <class T>
void col2im(const T* cols, std::int64_t count, const ConvGeometry& g, T* images) {
  const std::int64_t len = g.row_length();
  const std::int64_t c = g.channels;
  // Taps of neighbouring grid rows overlap in the image, so a thread owns whole images; with fewer
  // images than threads it owns bands of channels instead (disjoint writes either way).
  const bool split_channels = count < get_num_threads() && c >= 64;
  const std::int64_t parts = split_channels ? count * get_num_threads() : count;
  const bool contiguous_taps = !split_channels && g.dilation_w == 1 && c == g.image_channels;
  parallel_for(0, parts, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t p = begin; p < end; ++p) {
      std::int64_t n = p, c0 = 0, c1 = c;
      if (split_channels) {
        const std::int64_t bands = get_num_threads();
        n = p / bands;
        const std::int64_t band = p % bands;
        c0 = c * band / bands;
        c1 = c * (band + 1) / bands;
      }
      T* image = images + n * g.image_size() + g.channel_offset;
      for (std::int64_t gy = 0; gy < g.grid_h; ++gy) {
        const std::int64_t y0 = gy * g.stride_h - g.pad_top;
        std::int64_t my0, my1;
        valid_taps(y0, g.kernel_h, g.dilation_h, g.image_h, my0, my1);
        for (std::int64_t gx = 0; gx < g.grid_w; ++gx) {
          const T* row = cols + ((n * g.grid_h + gy) * g.grid_w + gx) * len;
          const std::int64_t x0 = gx * g.stride_w - g.pad_left;
          std::int64_t mx0, mx1;
          valid_taps(x0, g.kernel_w, g.dilation_w, g.image_w, mx0, mx1);
          for (std::int64_t my = my0; my < my1; ++my) {
            T* dst_row = image + ((y0 + my * g.dilation_h) * g.image_w) * g.image_channels;
            const T* src = row + (my * g.kernel_w) * c;
            if (contiguous_taps) {  // one run: few channels (a 1- or 3-channel image) add as one loop
              T* dst = dst_row + (x0 + mx0) * c;
              const T* s = src + mx0 * c;
              const std::int64_t run = (mx1 - mx0) * c;
              for (std::int64_t k = 0; k < run; ++k) dst[k] += s[k];
              continue;
            }
            for (std::int64_t mx = mx0; mx < mx1; ++mx) {
              T* dst = dst_row + (x0 + mx * g.dilation_w) * g.image_channels;
              const T* s = src + mx * c;
              for (std::int64_t k = c0; k < c1; ++k) dst[k] += s[k];
            }
          }
        }
      }
    }
  });
}

template void im2col<float>(const float*, std::int64_t, const ConvGeometry&, float*);
template void im2col<double>(const double*, std::int64_t, const ConvGeometry&, double*);
template void col2im<float>(const float*, std::int64_t, const ConvGeometry&, float*);
template void col2im<double>(const double*, std::int64_t, const ConvGeometry&, double*);

}  // namespace minidl::kernels
