// conv2d_transpose, never by inserting zeros into the input:
//   forward         = GEMM (x . K^T gives every tap's contribution) + col2im (scatter-add);
//   input gradient  = im2col of the output gradient + GEMM (an ordinary strided convolution);
//   kernel gradient = the same columns^T . x (one more GEMM).
#include "minidl/autograd/ops/conv2d.h"

#include "minidl/autograd/node.h"
#include "minidl/autograd/ops/conv_internal.h"
#include "minidl/autograd/ops/reduce.h"
#include "minidl/core/gemm.h"
#include "minidl/core/kernels/im2col.h"

namespace minidl {

namespace {

using namespace conv_detail;

struct TransposePlan {
  kernels::ConvGeometry geom;  // image = output (channels = out_channels), grid = input
  std::int64_t batch = 0, in_channels = 0;
  std::int64_t in_rows() const { return geom.rows_per_image(); }
};

TransposePlan plan_transpose(const Tensor& x, const Tensor& kernel, const Tensor& bias,
                             const Conv2dTransposeOptions& o) {
  const char* op = "conv2d_transpose";
  require_rank(op, "input", x, 4, "(batch, height, width, channels)");
  require_rank(op, "kernel", kernel, 4, "(kernel_h, kernel_w, out_channels, in_channels)");
  require_positive_pair(op, "strides", o.strides);
  require_positive_pair(op, "dilation_rate", o.dilation_rate);
  require_padding(op, o.padding);
  check_same_dtype(x, kernel, op);
  // Keras refuses any stride > 1 together with any dilation > 1 (TensorFlow's kernels cannot do it).
  if (std::max(o.strides[0], o.strides[1]) > 1 && std::max(o.dilation_rate[0], o.dilation_rate[1]) > 1)
    throw_invalid_argument(
          "conv2d_transpose: strides > 1 cannot be combined with dilation_rate > 1, received strides=({}, {}), "
          "dilation_rate=({}, {})",
          o.strides[0], o.strides[1], o.dilation_rate[0], o.dilation_rate[1]);
  for (int a = 0; a < 2; ++a) {
    if (o.output_padding[a] < 0 || o.output_padding[a] >= o.strides[a])
      throw_invalid_argument(
          "conv2d_transpose: output_padding must be >= 0 and smaller than the stride on each axis, received "
          "output_padding=({}, {}) with strides=({}, {})",
          o.output_padding[0], o.output_padding[1], o.strides[0], o.strides[1]);
  }
  const auto& ks = kernel.shape();
  if (ks[0] < 1 || ks[1] < 1 || ks[2] < 1 || ks[3] < 1)
    throw_invalid_argument("conv2d_transpose: kernel extents must be >= 1, received kernel shape {}", ks);
  if (ks[3] != x.shape()[3])
    throw_invalid_argument(
        "conv2d_transpose: the kernel expects {} input channels (kernel shape {}, layout (kh, kw, out, in)), but the "
        "input has {} (input shape {})",
        ks[3], ks, x.shape()[3], x.shape());
  if (bias.defined()) {
    check_same_dtype(x, bias, op);
    if (bias.shape() != Shape{ks[2]})
      throw_invalid_argument(
          "conv2d_transpose: bias must have shape ({},) to match the kernel's output channels, received {}", ks[2],
          bias.shape());
  }
  TransposePlan p;
  p.batch = x.shape()[0];
  p.in_channels = ks[3];
  auto& g = p.geom;
  g.grid_h = x.shape()[1];
  g.grid_w = x.shape()[2];
  g.channels = g.image_channels = ks[2];
  set_window(g, ks, o.strides, o.dilation_rate, o.padding);
  g.image_h = (g.grid_h - 1) * g.stride_h + (ks[0] - 1) * g.dilation_h + 1 - o.padding[0] - o.padding[1] +
              o.output_padding[0];
  g.image_w = (g.grid_w - 1) * g.stride_w + (ks[1] - 1) * g.dilation_w + 1 - o.padding[2] - o.padding[3] +
              o.output_padding[1];
  // An empty output is legal (Keras gives one for 'same', output_padding=0 and an even kernel on a
  // length-1 input); a negative one is not.
  if (g.image_h < 0 || g.image_w < 0)
    throw_invalid_argument(
        "conv2d_transpose: the padding crops the whole output (output would be {}x{}) for input {} and kernel {}",
        g.image_h, g.image_w, x.shape(), ks);
  return p;
}

template <class T>
void transpose_forward(const TransposePlan& p, const T* x, const T* k, const T* b, T* y) {
  const auto& g = p.geom;
  const std::int64_t len = g.row_length(), rows = p.in_rows(), ci = p.in_channels, co = g.channels;
  const std::int64_t out_pixels = p.batch * g.image_h * g.image_w;
  for (std::int64_t r = 0; r < out_pixels; ++r)
    for (std::int64_t c = 0; c < co; ++c) y[r * co + c] = b ? b[c] : T(0);
  const std::int64_t chunk = images_per_chunk(p.batch, rows * len * sizeof(T));
  T* cols = scratch<T>(chunk * rows * len);
  for (std::int64_t n0 = 0; n0 < p.batch; n0 += chunk) {
    const std::int64_t cnt = std::min(chunk, p.batch - n0);
    // cols (pixels, kh*kw*out) = x (pixels, in) . K^T, K viewed as (kh*kw*out, in)
    blas::gemm<T>(false, true, cnt * rows, len, ci, T(1), x + n0 * rows * ci, ci, k, ci, T(0), cols, len);
    kernels::col2im(cols, cnt, g, y + n0 * g.image_size());
  }
}

template <class T>
void transpose_backward(const TransposePlan& p, const T* x, const T* k, const T* gy, T* dx, T* dk) {
  const auto& g = p.geom;
  const std::int64_t len = g.row_length(), rows = p.in_rows(), ci = p.in_channels;
  const std::int64_t chunk = images_per_chunk(p.batch, rows * len * sizeof(T));
  T* cols = scratch<T>(chunk * rows * len);
  for (std::int64_t n0 = 0; n0 < p.batch; n0 += chunk) {
    const std::int64_t cnt = std::min(chunk, p.batch - n0);
    kernels::im2col(gy + n0 * g.image_size(), cnt, g, cols);
    if (dx) blas::gemm<T>(false, false, cnt * rows, ci, len, T(1), cols, len, k, ci, T(0), dx + n0 * rows * ci, ci);
    if (dk)
      blas::gemm<T>(true, false, len, ci, cnt * rows, T(1), cols, len, x + n0 * rows * ci, ci, n0 == 0 ? T(0) : T(1),
                    dk, ci);
  }
}

Tensor conv2d_transpose_nhwc(const Tensor& x, const Tensor& kernel, const Tensor& bias,
                             const Conv2dTransposeOptions& o) {
  const TransposePlan p = plan_transpose(x, kernel, bias, o);
  Tensor y = Tensor::empty({p.batch, p.geom.image_h, p.geom.image_w, p.geom.channels}, x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    transpose_forward<T>(p, x.data<T>(), kernel.data<T>(), bias.defined() ? bias.data<T>() : nullptr, y.data<T>());
  });
  return autograd::record(
      "conv2d_transpose", {x, kernel, bias}, y,
      [p, xs = autograd::saved(x), ks = autograd::saved(kernel)](const Tensor& gy, const autograd::GradMask& needs) {
        std::vector<Tensor> grads(3);
        if (needs[0]) grads[0] = Tensor::empty(xs.shape(), xs.dtype());
        if (needs[1]) grads[1] = Tensor::empty(ks.shape(), ks.dtype());
        if (needs[0] || needs[1])
          dispatch(xs.dtype(), [&](auto tag) {
            using T = decltype(tag);
            transpose_backward<T>(p, xs.data<T>(), ks.data<T>(), gy.data<T>(),
                                  needs[0] ? grads[0].data<T>() : nullptr, needs[1] ? grads[1].data<T>() : nullptr);
          });
        if (needs[2]) grads[2] = sum(gy, {0, 1, 2});
        return grads;
      });
}

}  // namespace

Tensor conv2d_transpose(const Tensor& x, const Tensor& kernel, const Tensor& bias,
                        const Conv2dTransposeOptions& options) {
  if (is_channels_last(options.data_format, "conv2d_transpose")) return conv2d_transpose_nhwc(x, kernel, bias, options);
  require_rank("conv2d_transpose", "input", x, 4, "(batch, channels, height, width)");
  return via_channels_last(x, [&](const Tensor& xt) { return conv2d_transpose_nhwc(xt, kernel, bias, options); });
}

}  // namespace minidl
