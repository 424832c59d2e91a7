#include "minidl/core/kernels/conv_direct.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <type_traits>
#include <vector>

#include "minidl/core/kernels/conv_taps.h"
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
  static void scaled_add(Vec& acc, T scale, const T* a) {
    Vec va;
    std::memcpy(&va, a, sizeof va);
    acc += va * scale;
  }
  static void add_to(T* out, const Vec& v) {
    Vec vo;
    std::memcpy(&vo, out, sizeof vo);
    vo += v;
    std::memcpy(out, &vo, sizeof vo);
  }
  // Pairwise: lanes [0, w) += lanes [w, 2w) for w = count/2, ..., 1, in halving vector widths.
  static T fold(const Vec& v) {
    typedef T V32 __attribute__((vector_size(32)));
    typedef T V16 __attribute__((vector_size(16)));
    V32 a, b;
    std::memcpy(&a, &v, sizeof a);
    std::memcpy(&b, reinterpret_cast<const char*>(&v) + sizeof a, sizeof b);
    a += b;
    V16 c, d;
    std::memcpy(&c, &a, sizeof c);
    std::memcpy(&d, reinterpret_cast<const char*>(&a) + sizeof c, sizeof d);
    c += d;
    T s[16 / sizeof(T)];
    std::memcpy(s, &c, sizeof c);
    for (int w = count / 8; w > 0; w /= 2)
      for (int l = 0; l < w; ++l) s[l] += s[l + w];
    return s[0];
  }
};

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

// Column blocks of one output row: runs of up to `width` output columns whose windows have the same
// valid taps (all interior columns do), so their dot products can share each kernel load.
struct ColumnBlock {
  std::int64_t first, count;
};
std::vector<ColumnBlock> column_blocks(const std::vector<std::pair<std::int64_t, std::int64_t>>& cols, std::int64_t width) {
  std::vector<ColumnBlock> blocks;
  for (std::int64_t gx = 0; gx < static_cast<std::int64_t>(cols.size());) {
    std::int64_t n = 1;
    while (n < width && gx + n < static_cast<std::int64_t>(cols.size()) && cols[gx + n] == cols[gx]) ++n;
    blocks.push_back({gx, n});
    gx += n;
  }
  return blocks;
}

// Input columns in blocks of up to `width` pixels ix, ix + stride, ix + 2 * stride, ... that are read
// by the same kernel columns, each from the next output column: one kernel load serves them all.
std::vector<ColumnBlock> reader_blocks(const Readers& cols, std::int64_t extent, std::int64_t stride, std::int64_t width) {
  auto same_readers = [&](std::int64_t i, std::int64_t j, std::int64_t shift) {
    const std::int64_t n = cols.offsets[i + 1] - cols.offsets[i];
    if (cols.offsets[j + 1] - cols.offsets[j] != n) return false;
    for (std::int64_t t = 0; t < n; ++t) {
      const auto [mi, oi] = cols.pairs[cols.offsets[i] + t];
      const auto [mj, oj] = cols.pairs[cols.offsets[j] + t];
      if (mi != mj || oj != oi + shift) return false;
    }
    return true;
  };
  std::vector<ColumnBlock> blocks;
  for (std::int64_t r = 0; r < std::min(stride, extent); ++r)
    for (std::int64_t ix = r; ix < extent;) {
      std::int64_t n = 1;
      while (n < width && ix + n * stride < extent && same_readers(ix, ix + n * stride, n)) ++n;
      blocks.push_back({ix, n});
      ix += n * stride;
    }
  return blocks;
}

}  // namespace

template <class T>
void conv_direct_forward(const T* x, std::int64_t count, const ConvGeometry& g, const T* k, std::int64_t cout,
                         const T* bias, T* y) {
  using L = Lanes<T>;
  constexpr std::int64_t kBlock = 4;  // output columns per pass: four independent accumulator chains
  const std::vector<T> kt = transpose_taps(k, g, cout);
  const std::int64_t cin = g.channels, vec_end = cin / L::count * L::count, step = g.stride_w * cin;
  const auto cols = tap_ranges(g.grid_w, g.stride_w, g.pad_left, g.kernel_w, g.dilation_w, g.image_w);
  const auto blocks = column_blocks(cols, kBlock);
  parallel_for(0, count * g.grid_h, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t ny = begin; ny < end; ++ny) {
      const std::int64_t n = ny / g.grid_h, gy = ny % g.grid_h;
      const T* image = x + n * g.image_size();
      const std::int64_t y0 = gy * g.stride_h - g.pad_top;
      std::int64_t my0, my1;
      valid_taps(y0, g.kernel_h, g.dilation_h, g.image_h, my0, my1);
      for (const auto [gx0, width] : blocks) {
        const std::int64_t x0 = gx0 * g.stride_w - g.pad_left;
        const auto [mx0, mx1] = cols[gx0];
        T* out = y + (ny * g.grid_w + gx0) * cout;
        for (std::int64_t co = 0; co < cout; ++co) {
          typename L::Vec s[kBlock] = {};
          T tail[kBlock] = {};
          for (std::int64_t my = my0; my < my1; ++my)
            for (std::int64_t mx = mx0; mx < mx1; ++mx) {
              const T* px = image + ((y0 + my * g.dilation_h) * g.image_w + x0 + mx * g.dilation_w) * cin;
              const T* kc = kt.data() + ((my * g.kernel_w + mx) * cout + co) * cin;
              if (width == kBlock) {
                for (std::int64_t c0 = 0; c0 < vec_end; c0 += L::count)
                  for (std::int64_t j = 0; j < kBlock; ++j) L::multiply_add(s[j], px + j * step + c0, kc + c0);
              } else {
                for (std::int64_t j = 0; j < width; ++j)
                  for (std::int64_t c0 = 0; c0 < vec_end; c0 += L::count) L::multiply_add(s[j], px + j * step + c0, kc + c0);
              }
              for (std::int64_t j = 0; j < width; ++j)
                for (std::int64_t ci = vec_end; ci < cin; ++ci) tail[j] += px[j * step + ci] * kc[ci];
            }
          for (std::int64_t j = 0; j < width; ++j) out[j * cout + co] = (bias ? bias[co] : T(0)) + L::fold(s[j]) + tail[j];
        }
      }
    }
  });
}

template <class T>
void conv_direct_input_grad(const T* gy, std::int64_t count, const ConvGeometry& g, const T* k, std::int64_t cout,
                            T* dx) {
  using L = Lanes<T>;
  constexpr std::int64_t kBlock = 4;
  const std::vector<T> kt = transpose_taps(k, g, cout);
  const std::int64_t cin = g.channels, vec_end = cin / L::count * L::count;
  const Readers rows = readers(g.image_h, g.stride_h, g.pad_top, g.kernel_h, g.dilation_h, g.grid_h);
  const Readers cols = readers(g.image_w, g.stride_w, g.pad_left, g.kernel_w, g.dilation_w, g.grid_w);
  const auto blocks = reader_blocks(cols, g.image_w, g.stride_w, kBlock);
  // Gather form: each input pixel sums the taps that read it, so rows never write to each other.
  parallel_for(0, count * g.image_h, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<std::pair<const T*, const T*>> terms;
    for (std::int64_t ny = begin; ny < end; ++ny) {
      const std::int64_t n = ny / g.image_h, iy = ny % g.image_h;
      const T* grad = gy + n * g.grid_h * g.grid_w * cout;
      const std::int64_t a0 = rows.offsets[iy], a1 = rows.offsets[iy + 1];
      for (const ColumnBlock& block : blocks) {
        // Plain locals, not structured bindings: clang before 16 cannot capture those in a lambda.
        const std::int64_t ix = block.first, width = block.count;
        const std::int64_t b0 = cols.offsets[ix], b1 = cols.offsets[ix + 1];
        T* out = dx + (ny * g.image_w + ix) * cin;
        const std::int64_t out_step = g.stride_w * cin;  // pixel j of the block: out + j * out_step
        // Every (output-gradient value of pixel 0, kernel row) pair that reads the block, listed once
        // for all channel blocks; pixel j's value sits j output columns (j * cout) further on.
        terms.clear();
        for (std::int64_t a = a0; a < a1; ++a)
          for (std::int64_t b = b0; b < b1; ++b) {
            const auto [my, oy] = rows.pairs[a];
            const auto [mx, ox] = cols.pairs[b];
            const T* gp = grad + (oy * g.grid_w + ox) * cout;
            const T* kp = kt.data() + (my * g.kernel_w + mx) * cout * cin;
            for (std::int64_t co = 0; co < cout; ++co) terms.push_back({gp + co, kp + co * cin});
          }
        auto sum_block = [&](auto fixed_width, std::int64_t c0, typename L::Vec* s) {
          const std::int64_t w = decltype(fixed_width)::value == 0 ? width : decltype(fixed_width)::value;
          for (const auto& [gp, kp] : terms)
            for (std::int64_t j = 0; j < w; ++j) L::scaled_add(s[j], gp[j * cout], kp + c0);
        };
        for (std::int64_t c0 = 0; c0 < vec_end; c0 += L::count) {
          typename L::Vec s[kBlock] = {};
          if (width == kBlock)
            sum_block(std::integral_constant<std::int64_t, kBlock>{}, c0, s);
          else
            sum_block(std::integral_constant<std::int64_t, 0>{}, c0, s);
          for (std::int64_t j = 0; j < width; ++j) std::memcpy(out + j * out_step + c0, &s[j], sizeof s[j]);
        }
        for (std::int64_t ci = vec_end; ci < cin; ++ci)
          for (std::int64_t j = 0; j < width; ++j) {
            T sum = 0;
            for (const auto& [gp, kp] : terms) sum += gp[j * cout] * kp[ci];
            out[j * out_step + ci] = sum;
          }
      }
    }
  });
}

template <class T>
void conv_direct_kernel_grad(const T* x, const T* gy, std::int64_t count, const ConvGeometry& g, std::int64_t cout,
                             T* dk) {
  using L = Lanes<T>;
  const std::int64_t cin = g.channels, taps = g.kernel_h * g.kernel_w, vec_end = cin / L::count * L::count,
                     step = g.stride_w * cin;
  const std::size_t size = static_cast<std::size_t>(taps * cout * cin);
  // Per output row, one dot product over the output columns each kernel column reaches, per (tap,
  // filter, channel block).
  const auto reach = column_reach(g);
  // Partial sums per chunk, merged in chunk order afterwards: the result does not depend on which
  // thread finished first.
  std::vector<std::pair<std::int64_t, std::vector<T>>> parts;
  std::mutex merge;
  parallel_for(0, count * g.grid_h, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<T> part(size, T(0));
    for (std::int64_t ny = begin; ny < end; ++ny) {
      const std::int64_t n = ny / g.grid_h, gy_row = ny % g.grid_h;
      const T* image = x + n * g.image_size();
      const T* grad = gy + ny * g.grid_w * cout;
      const std::int64_t y0 = gy_row * g.stride_h - g.pad_top;
      std::int64_t my0, my1;
      valid_taps(y0, g.kernel_h, g.dilation_h, g.image_h, my0, my1);
      for (std::int64_t my = my0; my < my1; ++my)
        for (std::int64_t mx = 0; mx < g.kernel_w; ++mx) {
          const auto [first, last] = reach[mx];
          // the pixel output column gx reads: image + row + gx * step (row alone may lie before the image)
          const std::int64_t row = ((y0 + my * g.dilation_h) * g.image_w - g.pad_left + mx * g.dilation_w) * cin;
          T* acc = part.data() + (my * g.kernel_w + mx) * cout * cin;
          for (std::int64_t co = 0; co < cout; ++co) {
            T* a = acc + co * cin;
            for (std::int64_t c0 = 0; c0 < vec_end; c0 += L::count) {
              typename L::Vec s0 = {}, s1 = {};
              std::int64_t gx = first;
              for (; gx + 1 < last; gx += 2) {
                L::scaled_add(s0, grad[gx * cout + co], image + (row + gx * step + c0));
                L::scaled_add(s1, grad[(gx + 1) * cout + co], image + (row + (gx + 1) * step + c0));
              }
              if (gx < last) L::scaled_add(s0, grad[gx * cout + co], image + (row + gx * step + c0));
              s0 += s1;
              L::add_to(a + c0, s0);
            }
            for (std::int64_t ci = vec_end; ci < cin; ++ci) {
              T s = 0;
              for (std::int64_t gx = first; gx < last; ++gx) s += grad[gx * cout + co] * image[row + gx * step + ci];
              a[ci] += s;
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
