#include "minidl/autograd/ops/upsampling2d.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "minidl/autograd/node.h"
#include "minidl/core/error.h"
#include "minidl/core/parallel.h"

namespace minidl {

namespace {

// Both layouts as (outer, H, W, inner) with `inner` contiguous: NCHW is (N*C, H, W, 1), NHWC (N, H, W, C).
struct Geometry {
  std::int64_t outer, height, width, inner, size_h, size_w;
  std::int64_t out_height() const { return height * size_h; }
  std::int64_t out_width() const { return width * size_w; }
};

// One output coordinate of bilinear interpolation along an axis: y = w0 * x[i0] + w1 * x[i1].
struct Tap {
  std::int64_t i0, i1;
  double w0, w1;
};

std::vector<Tap> bilinear_taps(std::int64_t in, std::int64_t factor) {
  std::vector<Tap> taps(static_cast<std::size_t>(in * factor));
  for (std::int64_t o = 0; o < in * factor; ++o) {
    // Half-pixel centres; left of the first centre the edge value is held (clamp at 0).
    const double src = std::max((static_cast<double>(o) + 0.5) / static_cast<double>(factor) - 0.5, 0.0);
    const auto i0 = std::min(static_cast<std::int64_t>(src), in - 1);
    const double frac = src - static_cast<double>(i0);
    taps[static_cast<std::size_t>(o)] = {i0, std::min(i0 + 1, in - 1), 1.0 - frac, frac};
  }
  return taps;
}

std::int64_t grain_for(std::int64_t work) { return std::max<std::int64_t>(1, (std::int64_t{1} << 15) / std::max<std::int64_t>(work, 1)); }

template <class T>
void nearest_forward(const T* x, T* y, const Geometry& g) {
  const std::int64_t C = g.inner, W = g.width, OH = g.out_height(), OW = g.out_width();
  parallel_for(0, g.outer * OH, grain_for(OW * C), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t row = lo; row < hi; ++row) {
      const std::int64_t o = row / OH, h = (row % OH) / g.size_h;
      const T* xr = x + (o * g.height + h) * W * C;
      T* yr = y + row * OW * C;
      for (std::int64_t ow = 0; ow < OW; ++ow)
        std::memcpy(yr + ow * C, xr + (ow / g.size_w) * C, static_cast<std::size_t>(C) * sizeof(T));
    }
  });
}

// dx = the sum of the size_h x size_w block of dy each input pixel was copied to.
template <class T>
void nearest_backward(const T* dy, T* dx, const Geometry& g) {
  const std::int64_t C = g.inner, W = g.width, OW = g.out_width();
  parallel_for(0, g.outer * g.height, grain_for(g.size_h * OW * C), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t row = lo; row < hi; ++row) {
      T* __restrict dxr = dx + row * W * C;
      std::fill(dxr, dxr + W * C, T(0));
      for (std::int64_t i = 0; i < g.size_h; ++i) {
        const T* __restrict dyr = dy + (row * g.size_h + i) * OW * C;
        for (std::int64_t ow = 0; ow < OW; ++ow)
          for (std::int64_t c = 0; c < C; ++c) dxr[(ow / g.size_w) * C + c] += dyr[ow * C + c];
      }
    }
  });
}

template <class T>
void bilinear_forward(const T* x, T* y, const Geometry& g, const std::vector<Tap>& th, const std::vector<Tap>& tw) {
  const std::int64_t C = g.inner, H = g.height, W = g.width, OH = g.out_height(), OW = g.out_width();
  parallel_for(0, g.outer * OH, grain_for(OW * C * 4), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t row = lo; row < hi; ++row) {
      const std::int64_t o = row / OH;
      const Tap& a = th[static_cast<std::size_t>(row % OH)];
      const T* r0 = x + (o * H + a.i0) * W * C;
      const T* r1 = x + (o * H + a.i1) * W * C;
      const T ah0 = static_cast<T>(a.w0), ah1 = static_cast<T>(a.w1);
      T* __restrict yr = y + row * OW * C;
      for (std::int64_t ow = 0; ow < OW; ++ow) {
        const Tap& b = tw[static_cast<std::size_t>(ow)];
        const T bw0 = static_cast<T>(b.w0), bw1 = static_cast<T>(b.w1);
        for (std::int64_t c = 0; c < C; ++c)
          yr[ow * C + c] = ah0 * (bw0 * r0[b.i0 * C + c] + bw1 * r0[b.i1 * C + c]) +
                           ah1 * (bw0 * r1[b.i0 * C + c] + bw1 * r1[b.i1 * C + c]);
      }
    }
  });
}

// The transpose of the forward: every output pixel scatters to its four taps. Output rows of
// one outer slice touch overlapping input rows, so threads split the outer axis.
template <class T>
void bilinear_backward(const T* dy, T* dx, const Geometry& g, const std::vector<Tap>& th,
                       const std::vector<Tap>& tw) {
  const std::int64_t C = g.inner, H = g.height, W = g.width, OH = g.out_height(), OW = g.out_width();
  parallel_for(0, g.outer, grain_for(OH * OW * C * 4), [&](std::int64_t lo, std::int64_t hi) {
    std::memset(dx + lo * H * W * C, 0, static_cast<std::size_t>((hi - lo) * H * W * C) * sizeof(T));
    for (std::int64_t o = lo; o < hi; ++o) {
      for (std::int64_t oh = 0; oh < OH; ++oh) {
        const Tap& a = th[static_cast<std::size_t>(oh)];
        T* r0 = dx + (o * H + a.i0) * W * C;
        T* r1 = dx + (o * H + a.i1) * W * C;
        const T* dyr = dy + (o * OH + oh) * OW * C;
        for (std::int64_t ow = 0; ow < OW; ++ow) {
          const Tap& b = tw[static_cast<std::size_t>(ow)];
          for (std::int64_t c = 0; c < C; ++c) {
            const T gv = dyr[ow * C + c];
            const T top = static_cast<T>(a.w0) * gv, bottom = static_cast<T>(a.w1) * gv;
            r0[b.i0 * C + c] += static_cast<T>(b.w0) * top;
            r0[b.i1 * C + c] += static_cast<T>(b.w1) * top;
            r1[b.i0 * C + c] += static_cast<T>(b.w0) * bottom;
            r1[b.i1 * C + c] += static_cast<T>(b.w1) * bottom;
          }
        }
      }
    }
  });
}

}  // namespace

Tensor upsampling2d(const Tensor& x, std::array<std::int64_t, 2> size, const std::string& data_format,
                    const std::string& interpolation) {
  if (data_format != "channels_last" && data_format != "channels_first")
    throw_invalid_argument(
        "upsampling2d: data_format must be 'channels_last' or 'channels_first', received data_format='{}'",
        data_format);
  if (interpolation != "nearest" && interpolation != "bilinear")
    throw_invalid_argument("upsampling2d: interpolation must be 'nearest' or 'bilinear', received interpolation='{}'",
                           interpolation);
  if (size[0] < 1 || size[1] < 1)
    throw_invalid_argument("upsampling2d: size must be >= 1 on both axes, received size=({}, {})", size[0], size[1]);
  if (x.ndim() != 4)
    throw_invalid_argument("upsampling2d: x must be 4-D ({}), received shape {} of rank {}",
                           data_format == "channels_first" ? "batch, channels, height, width"
                                                           : "batch, height, width, channels",
                           x.shape(), x.ndim());
  const auto& d = x.shape().dims();
  const bool first = data_format == "channels_first";
  const std::int64_t n = d[0], c = first ? d[1] : d[3], h = first ? d[2] : d[1], w = first ? d[3] : d[2];
  const Geometry g{first ? n * c : n, h, w, first ? 1 : c, size[0], size[1]};
  const Shape out_shape = first ? Shape{n, c, g.out_height(), g.out_width()} : Shape{n, g.out_height(), g.out_width(), c};
  Tensor y = Tensor::empty(out_shape, x.dtype());

  if (interpolation == "nearest") {
    dispatch(x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      nearest_forward<T>(x.data<T>(), y.data<T>(), g);
    });
    return autograd::record("upsampling2d", {x}, y, [g, in_shape = x.shape()](const Tensor& dy, const autograd::GradMask&) {
      Tensor dx = Tensor::empty(in_shape, dy.dtype());
      dispatch(dy.dtype(), [&](auto tag) {
        using T = decltype(tag);
        nearest_backward<T>(dy.data<T>(), dx.data<T>(), g);
      });
      return std::vector<Tensor>{dx};
    });
  }

  auto th = bilinear_taps(h, size[0]), tw = bilinear_taps(w, size[1]);
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    bilinear_forward<T>(x.data<T>(), y.data<T>(), g, th, tw);
  });
  return autograd::record("upsampling2d", {x}, y,
                          [g, th = std::move(th), tw = std::move(tw), in_shape = x.shape()](
                              const Tensor& dy, const autograd::GradMask&) {
                            Tensor dx = Tensor::empty(in_shape, dy.dtype());
                            dispatch(dy.dtype(), [&](auto tag) {
                              using T = decltype(tag);
                              bilinear_backward<T>(dy.data<T>(), dx.data<T>(), g, th, tw);
                            });
                            return std::vector<Tensor>{dx};
                          });
}

}  // namespace minidl
