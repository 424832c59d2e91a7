// conv2d: forward = im2col + GEMM; input gradient = GEMM + col2im; kernel gradient = im2col + GEMM.
// Few output channels go to direct loops (conv_direct.h), depthwise convolutions (groups == input
// channels) to direct depthwise loops in either layout (depthwise_conv2d.h).
#include "minidl/autograd/ops/conv2d.h"

#include "minidl/autograd/node.h"
#include "minidl/autograd/ops/conv_internal.h"
#include "minidl/autograd/ops/reduce.h"
#include "minidl/core/gemm.h"
#include "minidl/core/kernels/conv_direct.h"
#include "minidl/core/kernels/depthwise_conv2d.h"
#include "minidl/core/kernels/im2col.h"

namespace minidl {

namespace {

using namespace conv_detail;

struct Conv2dPlan {
  kernels::ConvGeometry geom;  // image = input, grid = output; `channels` = one group's inputs
  std::int64_t batch = 0, out_channels = 0, groups = 1;
  std::int64_t group_out() const { return out_channels / groups; }
  std::int64_t out_rows() const { return geom.rows_per_image(); }
  // A 1x1, stride-1, unpadded, ungrouped convolution reads the input as its own column matrix.
  bool pointwise() const {
    return geom.kernel_h == 1 && geom.kernel_w == 1 && geom.stride_h == 1 && geom.stride_w == 1 && geom.pad_top == 0 &&
           geom.pad_left == 0 && groups == 1 && geom.grid_h == geom.image_h && geom.grid_w == geom.image_w;
  }
  // Few output channels: the direct loops beat writing and re-reading a kh*kw*Cin-wide column matrix.
  bool direct() const { return groups == 1 && out_channels <= 8 && !pointwise(); }
  // One input channel per group: im2col would copy single values and every GEMM be 1 wide.
  bool depthwise() const { return groups > 1 && groups == geom.image_channels; }
};

// `xs` is the input's shape in NHWC order (x itself may be NCHW).
Conv2dPlan plan_conv2d(const Tensor& x, const Shape& xs, const Tensor& kernel, const Tensor& bias,
                       const Conv2dOptions& o) {
  const char* op = "conv2d";
  require_rank(op, "kernel", kernel, 4, "(kernel_h, kernel_w, in_channels / groups, out_channels)");
  require_positive_pair(op, "strides", o.strides);
  require_positive_pair(op, "dilation_rate", o.dilation_rate);
  require_padding(op, o.padding);
  check_same_dtype(x, kernel, op);
  if (o.groups < 1) throw_invalid_argument("conv2d: groups must be >= 1, received groups={}", o.groups);
  const auto& ks = kernel.shape();
  if (ks[0] < 1 || ks[1] < 1 || ks[2] < 1 || ks[3] < 1)
    throw_invalid_argument("conv2d: kernel extents must be >= 1, received kernel shape {}", ks);
  const std::int64_t in_channels = xs[3];
  if (in_channels % o.groups != 0 || ks[3] % o.groups != 0)
    throw_invalid_argument(
        "conv2d: groups={} must divide both the input channels ({}) and the output channels ({})", o.groups,
        in_channels, ks[3]);
  if (ks[2] * o.groups != in_channels)
    throw_invalid_argument(
        "conv2d: the kernel expects {} input channels (kernel shape {} with groups={}), but the input has {} "
        "(input shape {})",
        ks[2] * o.groups, ks, o.groups, in_channels, xs);
  if (bias.defined()) {
    check_same_dtype(x, bias, op);
    if (bias.shape() != Shape{ks[3]})
      throw_invalid_argument("conv2d: bias must have shape ({},) to match the kernel's output channels, received {}",
                             ks[3], bias.shape());
  }
  Conv2dPlan p;
  p.batch = xs[0];
  p.out_channels = ks[3];
  p.groups = o.groups;
  auto& g = p.geom;
  g.image_h = xs[1];
  g.image_w = xs[2];
  g.image_channels = in_channels;
  g.channels = ks[2];
  set_window(g, ks, o.strides, o.dilation_rate, o.padding);
  const std::int64_t span_h = g.image_h + o.padding[0] + o.padding[1] - ((ks[0] - 1) * g.dilation_h + 1);
  const std::int64_t span_w = g.image_w + o.padding[2] + o.padding[3] - ((ks[1] - 1) * g.dilation_w + 1);
  if (span_h < 0 || span_w < 0)
    throw_invalid_argument(
        "conv2d: the dilated kernel ({}x{}) is larger than the padded input ({}x{}); pad the input or use "
        "padding='same'",
        (ks[0] - 1) * g.dilation_h + 1, (ks[1] - 1) * g.dilation_w + 1, g.image_h + o.padding[0] + o.padding[1],
        g.image_w + o.padding[2] + o.padding[3]);
  g.grid_h = span_h / g.stride_h + 1;
  g.grid_w = span_w / g.stride_w + 1;
  return p;
}

// Calls fn(first image, image count, group geometry, group index, column buffer) for every batch
// chunk (sized to the scratch limit) and group.
template <class T, class Fn>
void for_each_chunk_and_group(const Conv2dPlan& p, Fn fn) {
  const auto& g = p.geom;
  const std::int64_t chunk = images_per_chunk(p.batch, p.out_rows() * g.row_length() * sizeof(T));
  T* cols = scratch<T>(chunk * p.out_rows() * g.row_length());
  for (std::int64_t n0 = 0; n0 < p.batch; n0 += chunk) {
    const std::int64_t cnt = std::min(chunk, p.batch - n0);
    for (std::int64_t grp = 0; grp < p.groups; ++grp) {
      kernels::ConvGeometry gg = g;
      gg.channel_offset = grp * g.channels;
      fn(n0, cnt, gg, grp, cols);
    }
  }
}

template <class T>
void conv2d_forward(const Conv2dPlan& p, const T* x, const T* k, const T* b, T* y) {
  const auto& g = p.geom;
  const std::int64_t len = g.row_length(), rows = p.out_rows(), co = p.out_channels, go = p.group_out();
  if (p.direct()) {
    kernels::conv_direct_forward(x, p.batch, g, k, co, b, y);
    return;
  }
  if (p.pointwise()) {
    blas::gemm<T>(false, false, p.batch * rows, co, len, T(1), x, len, k, co, T(0), y, co);
  } else {
    for_each_chunk_and_group<T>(p, [&](std::int64_t n0, std::int64_t cnt, const kernels::ConvGeometry& gg,
                                       std::int64_t grp, T* cols) {
      kernels::im2col(x + n0 * g.image_size(), cnt, gg, cols);
      blas::gemm<T>(false, false, cnt * rows, go, len, T(1), cols, len, k + grp * go, co, T(0),
                    y + n0 * rows * co + grp * go, co);
    });
  }
  if (b)
    for (std::int64_t r = 0; r < p.batch * rows; ++r)
      for (std::int64_t c = 0; c < co; ++c) y[r * co + c] += b[c];
}

template <class T>
void conv2d_input_grad(const Conv2dPlan& p, const T* gy, const T* k, T* dx) {
  const auto& g = p.geom;
  const std::int64_t len = g.row_length(), rows = p.out_rows(), co = p.out_channels, go = p.group_out();
  if (p.direct()) {
    kernels::conv_direct_input_grad(gy, p.batch, g, k, co, dx);
    return;
  }
  if (p.pointwise()) {
    blas::gemm<T>(false, true, p.batch * rows, len, co, T(1), gy, co, k, co, T(0), dx, len);
    return;
  }
  std::fill(dx, dx + p.batch * g.image_size(), T(0));
  for_each_chunk_and_group<T>(p, [&](std::int64_t n0, std::int64_t cnt, const kernels::ConvGeometry& gg,
                                     std::int64_t grp, T* dcols) {
    blas::gemm<T>(false, true, cnt * rows, len, go, T(1), gy + n0 * rows * co + grp * go, co, k + grp * go, co, T(0),
                  dcols, len);
    kernels::col2im(dcols, cnt, gg, dx + n0 * g.image_size());
  });
}

template <class T>
void conv2d_kernel_grad(const Conv2dPlan& p, const T* x, const T* gy, T* dk) {
  const auto& g = p.geom;
  const std::int64_t len = g.row_length(), rows = p.out_rows(), co = p.out_channels, go = p.group_out();
  if (p.direct()) {
    kernels::conv_direct_kernel_grad(x, gy, p.batch, g, co, dk);
    return;
  }
  if (p.pointwise()) {
    blas::gemm<T>(true, false, len, co, p.batch * rows, T(1), x, len, gy, co, T(0), dk, co);
    return;
  }
  for_each_chunk_and_group<T>(p, [&](std::int64_t n0, std::int64_t cnt, const kernels::ConvGeometry& gg,
                                     std::int64_t grp, T* cols) {
    kernels::im2col(x + n0 * g.image_size(), cnt, gg, cols);
    blas::gemm<T>(true, false, len, go, cnt * rows, T(1), cols, len, gy + n0 * rows * co + grp * go, co,
                  n0 == 0 ? T(0) : T(1), dk + grp * go, co);
  });
}

Tensor conv2d_nhwc(const Conv2dPlan& p, const Tensor& x, const Tensor& kernel, const Tensor& bias) {
  Tensor y = Tensor::empty({p.batch, p.geom.grid_h, p.geom.grid_w, p.out_channels}, x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    conv2d_forward<T>(p, x.data<T>(), kernel.data<T>(), bias.defined() ? bias.data<T>() : nullptr, y.data<T>());
  });
  return autograd::record(
      "conv2d", {x, kernel, bias}, y,
      [p, xs = autograd::saved(x), ks = autograd::saved(kernel)](const Tensor& gy, const autograd::GradMask& needs) {
        std::vector<Tensor> grads(3);
        dispatch(xs.dtype(), [&](auto tag) {
          using T = decltype(tag);
          if (needs[0]) {
            grads[0] = Tensor::empty(xs.shape(), xs.dtype());
            conv2d_input_grad<T>(p, gy.data<T>(), ks.data<T>(), grads[0].data<T>());
          }
          if (needs[1]) {
            grads[1] = Tensor::empty(ks.shape(), ks.dtype());
            conv2d_kernel_grad<T>(p, xs.data<T>(), gy.data<T>(), grads[1].data<T>());
          }
        });
        if (needs[2]) grads[2] = sum(gy, {0, 1, 2});
        return grads;
      });
}

// Depthwise in the data's own layout: no permutes around it for channels_first.
Tensor conv2d_depthwise(const Conv2dPlan& p, bool channels_last, const Tensor& x, const Tensor& kernel,
                        const Tensor& bias) {
  const auto& g = p.geom;
  const kernels::DepthwiseLayout layout{.multiplier = p.out_channels / p.groups, .channels_last = channels_last};
  const Shape yshape = channels_last ? Shape{p.batch, g.grid_h, g.grid_w, p.out_channels}
                                     : Shape{p.batch, p.out_channels, g.grid_h, g.grid_w};
  Tensor y = Tensor::empty(yshape, x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::depthwise_forward<T>(x.data<T>(), p.batch, g, layout, kernel.data<T>(),
                                  bias.defined() ? bias.data<T>() : nullptr, y.data<T>());
  });
  return autograd::record(
      "conv2d", {x, kernel, bias}, y,
      [p, layout, xs = autograd::saved(x), ks = autograd::saved(kernel)](const Tensor& gy,
                                                                         const autograd::GradMask& needs) {
        std::vector<Tensor> grads(3);
        dispatch(xs.dtype(), [&](auto tag) {
          using T = decltype(tag);
          if (needs[0]) {
            grads[0] = Tensor::empty(xs.shape(), xs.dtype());
            kernels::depthwise_input_grad<T>(gy.data<T>(), p.batch, p.geom, layout, ks.data<T>(), grads[0].data<T>());
          }
          if (needs[1]) {
            grads[1] = Tensor::empty(ks.shape(), ks.dtype());
            kernels::depthwise_kernel_grad<T>(xs.data<T>(), gy.data<T>(), p.batch, p.geom, layout, grads[1].data<T>());
          }
        });
        if (needs[2]) grads[2] = layout.channels_last ? sum(gy, {0, 1, 2}) : sum(gy, {0, 2, 3});
        return grads;
      });
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2dOptions& options) {
  const bool last = is_channels_last(options.data_format, "conv2d");
  require_rank("conv2d", "input", x, 4, last ? "(batch, height, width, channels)" : "(batch, channels, height, width)");
  const Shape& s = x.shape();
  const Conv2dPlan p = plan_conv2d(x, last ? s : Shape{s[0], s[2], s[3], s[1]}, kernel, bias, options);
  if (p.depthwise()) return conv2d_depthwise(p, last, x, kernel, bias);
  if (last) return conv2d_nhwc(p, x, kernel, bias);
  return via_channels_last(x, [&](const Tensor& xt) { return conv2d_nhwc(p, xt, kernel, bias); });
}

}  // namespace minidl
