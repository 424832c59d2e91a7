#include "minidl/autograd/ops/pool2d.h"

#include <limits>
#include <memory>
#include <vector>

#include "minidl/autograd/node.h"
#include "minidl/core/error.h"
#include "minidl/core/kernels/pool2d.h"

namespace minidl {

namespace {

struct PoolPlan {
  kernels::Pool2dGeometry geometry;
  Shape out_shape;
};

// Checks the options against x and works out the output size and padding of each axis.
PoolPlan plan_pool2d(const char* op, const Tensor& x, const Pool2dOptions& o) {
  if (x.ndim() != 4)
    throw_invalid_argument("{}: x must be 4-D ({}), received shape {} of rank {}", op,
                           o.data_format == "channels_first" ? "batch, channels, height, width"
                                                             : "batch, height, width, channels",
                           x.shape(), x.ndim());
  if (o.pool_size[0] < 1 || o.pool_size[1] < 1)
    throw_invalid_argument("{}: pool_size must be >= 1 on both axes, received pool_size=({}, {})", op, o.pool_size[0],
                           o.pool_size[1]);
  if (o.strides[0] < 1 || o.strides[1] < 1)
    throw_invalid_argument("{}: strides must be >= 1 on both axes, received strides=({}, {})", op, o.strides[0],
                           o.strides[1]);
  if (o.padding != "valid" && o.padding != "same")
    throw_invalid_argument("{}: padding must be 'valid' or 'same', received padding='{}'", op, o.padding);
  if (o.data_format != "channels_last" && o.data_format != "channels_first")
    throw_invalid_argument("{}: data_format must be 'channels_last' or 'channels_first', received data_format='{}'",
                           op, o.data_format);

  const auto& d = x.shape().dims();
  const bool first = o.data_format == "channels_first";
  const std::int64_t n = d[0], c = first ? d[1] : d[3], h = first ? d[2] : d[1], w = first ? d[3] : d[2];
  if (h * w > std::numeric_limits<std::int32_t>::max())
    throw_invalid_argument("{}: height * width must fit in 32 bits, received {} x {}", op, h, w);

  kernels::Pool2dGeometry g;
  g.outer = first ? n * c : n;
  g.inner = first ? 1 : c;
  g.height = h;
  g.width = w;
  g.pool_h = o.pool_size[0];
  g.pool_w = o.pool_size[1];
  g.stride_h = o.strides[0];
  g.stride_w = o.strides[1];
  if (o.padding == "valid") {
    if (h < g.pool_h || w < g.pool_w)
      throw_invalid_argument(
          "{}: with padding='valid' the pool_size ({}, {}) must fit inside the input's spatial size ({}, {}); "
          "use padding='same' or a smaller pool",
          op, g.pool_h, g.pool_w, h, w);
    g.out_height = (h - g.pool_h) / g.stride_h + 1;
    g.out_width = (w - g.pool_w) / g.stride_w + 1;
  } else {
    g.out_height = (h + g.stride_h - 1) / g.stride_h;
    g.out_width = (w + g.stride_w - 1) / g.stride_w;
    // Only the leading half of the padding matters to the loops: the trailing half is implied by
    // clipping each window to the input.
    g.pad_top = std::max<std::int64_t>((g.out_height - 1) * g.stride_h + g.pool_h - h, 0) / 2;
    g.pad_left = std::max<std::int64_t>((g.out_width - 1) * g.stride_w + g.pool_w - w, 0) / 2;
  }
  const Shape out = first ? Shape{n, c, g.out_height, g.out_width} : Shape{n, g.out_height, g.out_width, c};
  return {g, out};
}

}  // namespace

Tensor max_pool2d(const Tensor& x, const Pool2dOptions& options) {
  const PoolPlan plan = plan_pool2d("max_pool2d", x, options);
  Tensor y = Tensor::empty(plan.out_shape, x.dtype());
  // The winners' positions are all the backward needs: keep them instead of x.
  auto argmax = std::make_shared<std::vector<std::int32_t>>(static_cast<std::size_t>(y.numel()));
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::max_pool2d_forward<T>(x.data<T>(), y.data<T>(), argmax->data(), plan.geometry);
  });
  return autograd::record(
      "max_pool2d", {x}, y,
      [argmax, g = plan.geometry, in_shape = x.shape()](const Tensor& dy, const autograd::GradMask&) {
        Tensor dx = Tensor::empty(in_shape, dy.dtype());
        dispatch(dy.dtype(), [&](auto tag) {
          using T = decltype(tag);
          kernels::max_pool2d_backward<T>(dy.data<T>(), argmax->data(), dx.data<T>(), g);
        });
        return std::vector<Tensor>{dx};
      });
}

Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& options) {
  const PoolPlan plan = plan_pool2d("avg_pool2d", x, options);
  Tensor y = Tensor::empty(plan.out_shape, x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::avg_pool2d_forward<T>(x.data<T>(), y.data<T>(), plan.geometry);
  });
  return autograd::record("avg_pool2d", {x}, y,
                          [g = plan.geometry, in_shape = x.shape()](const Tensor& dy, const autograd::GradMask&) {
                            Tensor dx = Tensor::empty(in_shape, dy.dtype());
                            dispatch(dy.dtype(), [&](auto tag) {
                              using T = decltype(tag);
                              kernels::avg_pool2d_backward<T>(dy.data<T>(), dx.data<T>(), g);
                            });
                            return std::vector<Tensor>{dx};
                          });
}

}  // namespace minidl
