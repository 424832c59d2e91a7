#include "minidl/core/kernels/resample.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "minidl/core/error.h"
#include "minidl/core/parallel.h"

namespace minidl::kernels {

ResizeMethod resize_method(const std::string& name, const char* where) {
  if (name == "nearest") return ResizeMethod::Nearest;
  if (name == "bilinear") return ResizeMethod::Bilinear;
  if (name == "bicubic") return ResizeMethod::Bicubic;
  if (name == "lanczos3") return ResizeMethod::Lanczos3;
  if (name == "lanczos5") return ResizeMethod::Lanczos5;
  throw_invalid_argument(
      "{}: interpolation must be one of 'bilinear', 'nearest', 'lanczos3', 'lanczos5', 'bicubic', received "
      "interpolation='{}'",
      where, name);
}

namespace {

double kernel_radius(ResizeMethod m) {
  switch (m) {
    case ResizeMethod::Bicubic: return 2;
    case ResizeMethod::Lanczos3: return 3;
    case ResizeMethod::Lanczos5: return 5;
    default: return 1;
  }
}

// jax.image's kernels of |distance| x.
double kernel_value(ResizeMethod m, double x) {
  switch (m) {
    case ResizeMethod::Bicubic:  // Keys, a = -0.5
      if (x >= 2) return 0;
      if (x >= 1) return ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0;
      return ((1.5 * x - 2.5) * x) * x + 1.0;
    case ResizeMethod::Lanczos3:
    case ResizeMethod::Lanczos5: {
      const double r = kernel_radius(m), pi = std::numbers::pi;
      if (x > r) return 0;
      if (x <= 1e-3) return 1;
      return r * std::sin(pi * x) * std::sin(pi * x / r) / (pi * pi * x * x);
    }
    default: return std::max(0.0, 1.0 - x);  // triangle
  }
}

// jax's nearest: source = floor((out + 0.5) * in / out), in float32 arithmetic as jax does it.
ResampleTaps nearest_taps(std::int64_t in, std::int64_t out) {
  ResampleTaps t{in, out, {0}, {}, {}};
  for (std::int64_t o = 0; o < out; ++o) {
    const float pos = (static_cast<float>(o) + 0.5f) * static_cast<float>(in) / static_cast<float>(out);
    t.index.push_back(std::min(static_cast<std::int64_t>(std::floor(pos)), in - 1));
    t.weight.push_back(1.0);
    t.offset.push_back(static_cast<std::int64_t>(t.index.size()));
  }
  return t;
}

}  // namespace

ResampleTaps resize_taps(std::int64_t in, std::int64_t out, ResizeMethod method, bool antialias) {
  if (method == ResizeMethod::Nearest) return nearest_taps(in, out);
  const double inv_scale = static_cast<double>(in) / static_cast<double>(out);
  const double kernel_scale = antialias ? std::max(inv_scale, 1.0) : 1.0;
  const double reach = kernel_radius(method) * kernel_scale;
  ResampleTaps t{in, out, {0}, {}, {}};
  for (std::int64_t o = 0; o < out; ++o) {
    const double sample = (static_cast<double>(o) + 0.5) * inv_scale - 0.5;
    const auto first = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::ceil(sample - reach)));
    const auto last = std::min<std::int64_t>(in - 1, static_cast<std::int64_t>(std::floor(sample + reach)));
    const std::size_t begin = t.weight.size();
    double total = 0;
    for (std::int64_t j = first; j <= last; ++j) {
      const double w = kernel_value(method, std::abs(sample - static_cast<double>(j)) / kernel_scale);
      if (w == 0) continue;
      t.index.push_back(j);
      t.weight.push_back(w);
      total += w;
    }
    // jax zeroes an output whose weights sum to (nearly) nothing instead of dividing by it.
    const bool usable = std::abs(total) > 1000.0 * std::numeric_limits<float>::epsilon();
    for (std::size_t k = begin; k < t.weight.size(); ++k) t.weight[k] = usable ? t.weight[k] / total : 0.0;
    t.offset.push_back(static_cast<std::int64_t>(t.index.size()));
  }
  return t;
}

ResampleTaps transpose_taps(const ResampleTaps& taps) {
  ResampleTaps t{taps.dst_len, taps.src_len, std::vector<std::int64_t>(static_cast<std::size_t>(taps.src_len) + 1, 0),
                 std::vector<std::int64_t>(taps.index.size()), std::vector<double>(taps.weight.size())};
  for (const std::int64_t s : taps.index) ++t.offset[static_cast<std::size_t>(s) + 1];
  for (std::size_t s = 0; s < static_cast<std::size_t>(taps.src_len); ++s) t.offset[s + 1] += t.offset[s];
  std::vector<std::int64_t> fill(t.offset.begin(), t.offset.end() - 1);
  for (std::int64_t d = 0; d < taps.dst_len; ++d)
    for (auto k = taps.offset[static_cast<std::size_t>(d)]; k < taps.offset[static_cast<std::size_t>(d) + 1]; ++k) {
      const auto slot = static_cast<std::size_t>(fill[static_cast<std::size_t>(taps.index[static_cast<std::size_t>(k)])]++);
      t.index[slot] = d;
      t.weight[slot] = taps.weight[static_cast<std::size_t>(k)];
    }
  return t;
}

ResampleTaps identity_taps(std::int64_t len) {
  ResampleTaps t{len, len, {0}, {}, {}};
  for (std::int64_t i = 0; i < len; ++i) {
    t.index.push_back(i);
    t.weight.push_back(1.0);
    t.offset.push_back(i + 1);
  }
  return t;
}

namespace {

// One output row along W: out[ow, c] = sum over ow's taps of w * row[s, c]. Few channels (the W
// axis of channels-first images, RGB) get their own unrolled loops.
template <class T, std::int64_t C>
void resample_row_fixed(const T* row, T* out, const ResampleTaps& tw, const T* weight) {
  for (std::int64_t d = 0; d < tw.dst_len; ++d) {
    T acc[C] = {};
    for (auto k = tw.offset[static_cast<std::size_t>(d)]; k < tw.offset[static_cast<std::size_t>(d) + 1]; ++k) {
      const T* in = row + tw.index[static_cast<std::size_t>(k)] * C;
      for (std::int64_t c = 0; c < C; ++c) acc[c] += weight[k] * in[c];
    }
    for (std::int64_t c = 0; c < C; ++c) out[d * C + c] = acc[c];
  }
}

// Taps padded to `count` per output (weight 0 on index 0 fills the gaps), so one channel's loop over
// the outputs has a fixed shape the compiler vectorises (gathers).
template <class T>
struct DenseTaps {
  std::int64_t count = 0;
  std::vector<std::int32_t> index;
  std::vector<T> weight;
};

template <class T>
DenseTaps<T> dense_taps(const ResampleTaps& t) {
  DenseTaps<T> dense;
  for (std::int64_t d = 0; d < t.dst_len; ++d)
    dense.count = std::max(dense.count, t.offset[static_cast<std::size_t>(d) + 1] - t.offset[static_cast<std::size_t>(d)]);
  dense.index.assign(static_cast<std::size_t>(t.dst_len * dense.count), 0);
  dense.weight.assign(dense.index.size(), T(0));
  for (std::int64_t d = 0; d < t.dst_len; ++d)
    for (auto k = t.offset[static_cast<std::size_t>(d)]; k < t.offset[static_cast<std::size_t>(d) + 1]; ++k) {
      const auto slot = static_cast<std::size_t>(d * dense.count + (k - t.offset[static_cast<std::size_t>(d)]));
      dense.index[slot] = static_cast<std::int32_t>(t.index[static_cast<std::size_t>(k)]);
      dense.weight[slot] = static_cast<T>(t.weight[static_cast<std::size_t>(k)]);
    }
  return dense;
}

template <class T, std::int64_t K>
void resample_single_channel_fixed(const T* __restrict row, T* __restrict out, std::int64_t len, const DenseTaps<T>& t) {
  const std::int32_t* __restrict index = t.index.data();
  const T* __restrict weight = t.weight.data();
  for (std::int64_t d = 0; d < len; ++d) {
    T acc = 0;
    for (std::int64_t k = 0; k < K; ++k) acc += weight[d * K + k] * row[index[d * K + k]];
    out[d] = acc;
  }
}

template <class T>
void resample_single_channel(const T* row, T* out, std::int64_t len, const DenseTaps<T>& t) {
  switch (t.count) {
    case 1: return resample_single_channel_fixed<T, 1>(row, out, len, t);
    case 2: return resample_single_channel_fixed<T, 2>(row, out, len, t);
    case 3: return resample_single_channel_fixed<T, 3>(row, out, len, t);
    case 4: return resample_single_channel_fixed<T, 4>(row, out, len, t);
    default: break;
  }
  for (std::int64_t d = 0; d < len; ++d) {
    T acc = 0;
    for (std::int64_t k = 0; k < t.count; ++k) acc += t.weight[static_cast<std::size_t>(d * t.count + k)] * row[t.index[static_cast<std::size_t>(d * t.count + k)]];
    out[d] = acc;
  }
}

template <class T>
void resample_row(const T* row, T* out, std::int64_t channels, const ResampleTaps& tw, const T* weight,
                  const DenseTaps<T>& dense) {
  switch (channels) {
    case 1: return resample_single_channel(row, out, tw.dst_len, dense);
    case 2: return resample_row_fixed<T, 2>(row, out, tw, weight);
    case 3: return resample_row_fixed<T, 3>(row, out, tw, weight);
    case 4: return resample_row_fixed<T, 4>(row, out, tw, weight);
    default: break;
  }
  for (std::int64_t d = 0; d < tw.dst_len; ++d) {
    T* __restrict o = out + d * channels;
    const auto k0 = tw.offset[static_cast<std::size_t>(d)], k1 = tw.offset[static_cast<std::size_t>(d) + 1];
    if (k1 - k0 == 1 && weight[k0] == T(1)) {  // nearest, or an unchanged axis: a copy
      const T* in = row + tw.index[static_cast<std::size_t>(k0)] * channels;
      std::copy(in, in + channels, o);
      continue;
    }
    std::fill(o, o + channels, T(0));
    for (auto k = k0; k < k1; ++k) {
      const T* __restrict in = row + tw.index[static_cast<std::size_t>(k)] * channels;
      for (std::int64_t c = 0; c < channels; ++c) o[c] += weight[k] * in[c];
    }
  }
}

}  // namespace

template <class T>
void resample_2d(const T* src, T* dst, std::int64_t outer, std::int64_t channels, const ResampleTaps& th,
                 const ResampleTaps& tw) {
  const std::int64_t in_row = tw.src_len * channels, out_row = tw.dst_len * channels;
  const std::vector<T> wh(th.weight.begin(), th.weight.end()), ww(tw.weight.begin(), tw.weight.end());
  const DenseTaps<T> dense = channels == 1 ? dense_taps<T>(tw) : DenseTaps<T>{};
  const std::int64_t grain = std::max<std::int64_t>(1, (std::int64_t{1} << 14) / std::max<std::int64_t>(in_row + out_row, 1));
  parallel_for(0, outer * th.dst_len, grain, [&](std::int64_t lo, std::int64_t hi) {
    std::vector<T> blend(static_cast<std::size_t>(in_row));
    for (std::int64_t r = lo; r < hi; ++r) {
      const std::int64_t o = r / th.dst_len, d = r % th.dst_len;
      const T* image = src + o * th.src_len * in_row;
      const auto k0 = th.offset[static_cast<std::size_t>(d)], k1 = th.offset[static_cast<std::size_t>(d) + 1];
      const T* row = blend.data();
      if (k1 - k0 == 1 && wh[static_cast<std::size_t>(k0)] == T(1)) {
        row = image + th.index[static_cast<std::size_t>(k0)] * in_row;  // a plain copy of one source row
      } else {
        T* __restrict b = blend.data();
        std::fill(b, b + in_row, T(0));
        for (auto k = k0; k < k1; ++k) {
          const T w = wh[static_cast<std::size_t>(k)];
          const T* __restrict in = image + th.index[static_cast<std::size_t>(k)] * in_row;
          for (std::int64_t i = 0; i < in_row; ++i) b[i] += w * in[i];
        }
      }
      resample_row(row, dst + r * out_row, channels, tw, ww.data(), dense);
    }
  });
}

template void resample_2d<float>(const float*, float*, std::int64_t, std::int64_t, const ResampleTaps&, const ResampleTaps&);
template void resample_2d<double>(const double*, double*, std::int64_t, std::int64_t, const ResampleTaps&,
                                  const ResampleTaps&);

}  // namespace minidl::kernels
