#include "minidl/core/kernels/conv_direct.h"

#include <algorithm>
#include <cstring>
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

// Dot products are accumulated in one 64-byte vector of partial sums (GCC/Clang vector extension:
// the auto-vectoriser left such loops scalar) and folded pairwise at the end: a fixed order, so
// results do not depend on threads, and no serial chain of Cin dependent additions per output.
template <class T>
struct Lanes {
  typedef T Vec __attribute__((vector_size(64)));
  static constexpr int count = 64 / sizeof(T);
  // Vectors go by reference: passing 64-byte vectors by value has a CPU-dependent ABI (-Wpsabi).
  static void multiply_add(Vec& acc, const T* a, const T* b) {
    Vec va, vb;
    std::memcpy(&va, a, sizeof va);
    std::memcpy(&vb, b, sizeof vb);
    acc += va * vb;
  }
  static T fold(const Vec& v) {
    T s[count];
    std::memcpy(s, &v, sizeof v);
    for (int w = count / 2; w > 0; w /= 2)
      for (int l = 0; l < w; ++l) s[l] += s[l + w];
    return s[0];
  }
};

// Along one axis, the valid kernel taps [first, last) of every output position, computed once
// instead of per pixel (valid_taps divides).
std::vector<std::pair<std::int64_t, std::int64_t>> tap_ranges(std::int64_t grid, std::int64_t stride, std::int64_t pad,
                                                              std::int64_t kernel, std::int64_t dilation,
                                                              std::int64_t extent) {
  std::vector<std::pair<std::int64_t, std::int64_t>> r(static_cast<std::size_t>(grid));
  for (std::int64_t o = 0; o < grid; ++o) valid_taps(o * stride - pad, kernel, dilation, extent, r[o].first, r[o].second);
  return r;
}

// Along one axis, for every input position i, the (tap m, output o) pairs with o*stride + m*dilation
// - pad == i: pairs[offsets[i] .. offsets[i + 1]).
struct Readers {
  std::vector<std::int64_t> offsets;
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
};
Readers readers(std::int64_t extent, std::int64_t stride, std::int64_t pad, std::int64_t kernel, std::int64_t dilation,
                std::int64_t grid) {
  Readers r;
  r.offsets.push_back(0);
  for (std::int64_t i = 0; i < extent; ++i) {
    for (std::int64_t m = 0; m < kernel; ++m) {
      const std::int64_t num = i + pad - m * dilation;
      if (num < 0 || num % stride) continue;
      if (num / stride < grid) r.pairs.emplace_back(m, num / stride);
    }
    r.offsets.push_back(static_cast<std::int64_t>(r.pairs.size()));
  }
  return r;
}

}  // namespace

template <class T>
void conv_direct_forward(const T* x, std::int64_t count, const ConvGeometry& g, const T* k, std::int64_t cout,
                         const T* bias, T* y) {
  using L = Lanes<T>;
  const std::vector<T> kt = transpose_taps(k, g, cout);
  const std::int64_t cin = g.channels, vec_end = cin / L::count * L::count;
  const auto cols = tap_ranges(g.grid_w, g.stride_w, g.pad_left, g.kernel_w, g.dilation_w, g.image_w);
  parallel_for(0, count * g.grid_h, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t ny = begin; ny < end; ++ny) {
      const std::int64_t n = ny / g.grid_h, gy = ny % g.grid_h;
      const T* image = x + n * g.image_size();
      const std::int64_t y0 = gy * g.stride_h - g.pad_top;
      std::int64_t my0, my1;
      valid_taps(y0, g.kernel_h, g.dilation_h, g.image_h, my0, my1);
      for (std::int64_t gx = 0; gx < g.grid_w; ++gx) {
        const std::int64_t x0 = gx * g.stride_w - g.pad_left;
        const auto [mx0, mx1] = cols[gx];
        T* out = y + (ny * g.grid_w + gx) * cout;
        for (std::int64_t co = 0; co < cout; ++co) {
          typename L::Vec s = {};
          T tail = 0;
          for (std::int64_t my = my0; my < my1; ++my)
            for (std::int64_t mx = mx0; mx < mx1; ++mx) {
              const T* px = image + ((y0 + my * g.dilation_h) * g.image_w + x0 + mx * g.dilation_w) * cin;
              const T* kc = kt.data() + ((my * g.kernel_w + mx) * cout + co) * cin;
              for (std::int64_t c0 = 0; c0 < vec_end; c0 += L::count) L::multiply_add(s, px + c0, kc + c0);
              for (std::int64_t ci = vec_end; ci < cin; ++ci) tail += px[ci] * kc[ci];
            }
          out[co] = (bias ? bias[co] : T(0)) + L::fold(s) + tail;
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
  const Readers rows = readers(g.image_h, g.stride_h, g.pad_top, g.kernel_h, g.dilation_h, g.grid_h);
  const Readers cols = readers(g.image_w, g.stride_w, g.pad_left, g.kernel_w, g.dilation_w, g.grid_w);
  // Gather form: each input pixel sums the taps that read it, so rows never write to each other.
  parallel_for(0, count * g.image_h, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t ny = begin; ny < end; ++ny) {
      const std::int64_t n = ny / g.image_h, iy = ny % g.image_h;
      const T* grad = gy + n * g.grid_h * g.grid_w * cout;
      for (std::int64_t ix = 0; ix < g.image_w; ++ix) {
        T* __restrict out = dx + (ny * g.image_w + ix) * cin;
        std::fill(out, out + cin, T(0));
        for (std::int64_t a = rows.offsets[iy]; a < rows.offsets[iy + 1]; ++a)
          for (std::int64_t b = cols.offsets[ix]; b < cols.offsets[ix + 1]; ++b) {
            const auto [my, oy] = rows.pairs[a];
            const auto [mx, ox] = cols.pairs[b];
            const T* gp = grad + (oy * g.grid_w + ox) * cout;
            const T* kp = kt.data() + (my * g.kernel_w + mx) * cout * cin;
            for (std::int64_t co = 0; co < cout; ++co) {
              const T gv = gp[co];
              const T* __restrict kc = kp + co * cin;
              for (std::int64_t ci = 0; ci < cin; ++ci) out[ci] += gv * kc[ci];
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
  const auto cols = tap_ranges(g.grid_w, g.stride_w, g.pad_left, g.kernel_w, g.dilation_w, g.image_w);
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
        const auto [mx0, mx1] = cols[gx];
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
