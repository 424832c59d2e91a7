#include "minidl/autograd/ops/upsampling2d.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "minidl/autograd/node.h"
#include "minidl/autograd/ops/resize.h"
#include "minidl/core/error.h"
#include "minidl/core/kernels/resample.h"
#include "minidl/core/parallel.h"

namespace minidl {

namespace {

// Both layouts as (outer, H, W, inner) with `inner` contiguous: NCHW is (N*C, H, W, 1), NHWC (N, H, W, C).
struct Geometry {
  std::int64_t outer, height, width, inner, size_h, size_w;
  std::int64_t out_height() const { return height * size_h; }
  std::int64_t out_width() const { return width * size_w; }
};

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

}  // namespace

Tensor upsampling2d(const Tensor& x, std::array<std::int64_t, 2> size, const std::string& data_format,
                    const std::string& interpolation) {
  if (data_format != "channels_last" && data_format != "channels_first")
    throw_invalid_argument(
        "upsampling2d: data_format must be 'channels_last' or 'channels_first', received data_format='{}'",
        data_format);
  const kernels::ResizeMethod method = kernels::resize_method(interpolation, "upsampling2d");
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
  if (method == kernels::ResizeMethod::Nearest) {
    Tensor y = Tensor::empty(out_shape, x.dtype());
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

  // Other interpolations are Keras's ops.image.resize to the enlarged size.
  return resize(x, {g.out_height(), g.out_width()}, {.interpolation = interpolation, .data_format = data_format});
}

}  // namespace minidl
