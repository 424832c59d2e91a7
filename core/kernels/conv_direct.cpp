#include "minidl/core/kernels/conv_direct.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include "minidl/core/parallel.h"

namespace minidl::kernels {

namespace {

// k (kh, kw, Cin, Cout) -> (kh, kw, Cout, Cin): one contiguous Cin vector per tap and output channel.
template <class T>
std::vector<T> transpose_taps(const T* k, const ConvGeometry& g, std::int64_t cout) {
  const std::int64_t taps = g.kernel_h * g.kernel_w, cin = g.channels;
  std::vector<T> kt(static_cast<std::size_t>(taps * cin * cout));
  for (std::int64_t t = 0; t < taps; ++t)
    for (std::int64_t ci = 0; ci < cin; ++ci)
      for (std::int64_t co = 0; co < cout; ++co) kt[(t * cout + co) * cin + ci] = k[(t * cin + ci) * cout + co];
  return kt;
}

}  // namespace

template <class T>
void conv_direct_forward(const T* x, std::int64_t count, const ConvGeometry& g, const T* k, std::int64_t cout,
                         const T* bias, T* y) {
  const std::vector<T> kt = transpose_taps(k, g, cout);
  const std::int64_t cin = g.channels;
  parallel_for(0, count * g.grid_h, 1, [&](std::int64_t begin, std::int64_t end) {
    // Per pixel, elementwise products are summed over the taps first and reduced across Cin once.
    std::vector<T> acc(static_cast<std::size_t>(cout * cin));
    for (std::int64_t ny = begin; ny < end; ++ny) {
      const std::int64_t n = ny / g.grid_h, gy = ny % g.grid_h;
      const T* image = x + n * g.image_size();
      const std::int64_t y0 = gy * g.stride_h - g.pad_top;
      std::int64_t my0, my1;
      valid_taps(y0, g.kernel_h, g.dilation_h, g.image_h, my0, my1);
      for (std::int64_t gx = 0; gx < g.grid_w; ++gx) {
        std::fill(acc.begin(), acc.end(), T(0));
        const std::int64_t x0 = gx * g.stride_w - g.pad_left;
        std::int64_t mx0, mx1;
        valid_taps(x0, g.kernel_w, g.dilation_w, g.image_w, mx0, mx1);
        for (std::int64_t my = my0; my < my1; ++my)
          for (std::int64_t mx = mx0; mx < mx1; ++mx) {
            const T* __restrict px = image + ((y0 + my * g.dilation_h) * g.image_w + x0 + mx * g.dilation_w) * cin;
            const T* __restrict kp = kt.data() + (my * g.kernel_w + mx) * cout * cin;
            for (std::int64_t co = 0; co < cout; ++co) {
              T* __restrict a = acc.data() + co * cin;
              const T* __restrict kc = kp + co * cin;
              for (std::int64_t ci = 0; ci < cin; ++ci) a[ci] += px[ci] * kc[ci];
            }
          }
        T* out = y + (ny * g.grid_w + gx) * cout;
        for (std::int64_t co = 0; co < cout; ++co) {
          T sum = bias ? bias[co] : T(0);
          const T* a = acc.data() + co * cin;
          for (std::int64_t ci = 0; ci < cin; ++ci) sum += a[ci];
          out[co] = sum;
        }
      }
    }
  });
}

template <class T>
void conv_direct_input_grad(const T* gy, std::int64_t count, const ConvGeometry& g, const T* k, std::int64_t cout,
                            T* dx) {
  const std::vector<T> kt = transpose_taps(k, g, cout);
  const std::int64_t cin = g.channels;
  // Gather form: each input pixel sums the taps that read it, so rows never write to each other.
  parallel_for(0, count * g.image_h, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t ny = begin; ny < end; ++ny) {
      const std::int64_t n = ny / g.image_h, iy = ny % g.image_h;
      const T* grad = gy + n * g.grid_h * g.grid_w * cout;
      for (std::int64_t ix = 0; ix < g.image_w; ++ix) {
        T* out = dx + (ny * g.image_w + ix) * cin;
        std::fill(out, out + cin, T(0));
        for (std::int64_t my = 0; my < g.kernel_h; ++my) {
          const std::int64_t num_y = iy + g.pad_top - my * g.dilation_h;
          if (num_y < 0 || num_y % g.stride_h) continue;
          const std::int64_t oy = num_y / g.stride_h;
          if (oy >= g.grid_h) continue;
          for (std::int64_t mx = 0; mx < g.kernel_w; ++mx) {
            const std::int64_t num_x = ix + g.pad_left - mx * g.dilation_w;
            if (num_x < 0 || num_x % g.stride_w) continue;
            const std::int64_t ox = num_x / g.stride_w;
            if (ox >= g.grid_w) continue;
            const T* gp = grad + (oy * g.grid_w + ox) * cout;
            const T* kp = kt.data() + (my * g.kernel_w + mx) * cout * cin;
            for (std::int64_t co = 0; co < cout; ++co) {
              const T gv = gp[co];
              const T* kc = kp + co * cin;
              for (std::int64_t ci = 0; ci < cin; ++ci) out[ci] += gv * kc[ci];
            }
          }
        }
      }
    }
  });
}

template <class T>
void conv_direct_kernel_grad(const T* x, const T* gy, std::int64_t count, const ConvGeometry& g, std::int64_t cout,
                             T* dk) {
  const std::int64_t cin = g.channels, taps = g.kernel_h * g.kernel_w;
  const std::size_t size = static_cast<std::size_t>(taps * cout * cin);
  // Partial sums per chunk, merged in chunk order afterwards: the result does not depend on which
  // thread finished first.
  std::vector<std::pair<std::int64_t, std::vector<T>>> parts;
  std::mutex merge;
  parallel_for(0, count * g.grid_h, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<T> part(size, T(0));
    for (std::int64_t ny = begin; ny < end; ++ny) {
      const std::int64_t n = ny / g.grid_h, gy_row = ny % g.grid_h;
      const T* image = x + n * g.image_size();
      const std::int64_t y0 = gy_row * g.stride_h - g.pad_top;
      std::int64_t my0, my1;
      valid_taps(y0, g.kernel_h, g.dilation_h, g.image_h, my0, my1);
      for (std::int64_t gx = 0; gx < g.grid_w; ++gx) {
        const T* gp = gy + (ny * g.grid_w + gx) * cout;
        const std::int64_t x0 = gx * g.stride_w - g.pad_left;
        std::int64_t mx0, mx1;
        valid_taps(x0, g.kernel_w, g.dilation_w, g.image_w, mx0, mx1);
        for (std::int64_t my = my0; my < my1; ++my)
          for (std::int64_t mx = mx0; mx < mx1; ++mx) {
            const T* px = image + ((y0 + my * g.dilation_h) * g.image_w + x0 + mx * g.dilation_w) * cin;
            T* acc = part.data() + (my * g.kernel_w + mx) * cout * cin;
            for (std::int64_t co = 0; co < cout; ++co) {
              const T gv = gp[co];
              T* a = acc + co * cin;
              for (std::int64_t ci = 0; ci < cin; ++ci) a[ci] += gv * px[ci];
            }
          }
      }
    }
    std::lock_guard<std::mutex> lock(merge);
    parts.emplace_back(begin, std::move(part));
  });
  std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<T> total(size, T(0));  // (tap, Cout, Cin)
  for (const auto& [begin, part] : parts)
    for (std::size_t i = 0; i < size; ++i) total[i] += part[i];
  for (std::int64_t t = 0; t < taps; ++t)
    for (std::int64_t ci = 0; ci < cin; ++ci)
      for (std::int64_t co = 0; co < cout; ++co) dk[(t * cin + ci) * cout + co] = total[(t * cout + co) * cin + ci];
}

template void conv_direct_forward<float>(const float*, std::int64_t, const ConvGeometry&, const float*, std::int64_t,
                                         const float*, float*);
template void conv_direct_forward<double>(const double*, std::int64_t, const ConvGeometry&, const double*, std::int64_t,
                                          const double*, double*);
template void conv_direct_input_grad<float>(const float*, std::int64_t, const ConvGeometry&, const float*, std::int64_t,
                                            float*);
template void conv_direct_input_grad<double>(const double*, std::int64_t, const ConvGeometry&, const double*,
                                             std::int64_t, double*);
template void conv_direct_kernel_grad<float>(const float*, const float*, std::int64_t, const ConvGeometry&,
                                             std::int64_t, float*);
template void conv_direct_kernel_grad<double>(const double*, const double*, std::int64_t, const ConvGeometry&,
                                              std::int64_t, double*);

}  // namespace minidl::kernels
