#include "minidl/autograd/ops/resize.h"

#include <memory>
#include <utility>

#include "minidl/autograd/node.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"
#include "minidl/core/kernels/resample.h"

namespace minidl {

namespace {

// Both layouts as (outer, H, W, inner), `inner` contiguous: NHWC is (N, H, W, C), NCHW (N*C, H, W, 1).
struct Layout {
  std::int64_t outer, inner;
};

// Keras's centre crop / symmetric pad to the target aspect ratio (keras/src/backend/jax/image.py).
Tensor fit_aspect_ratio(const Tensor& x, std::int64_t h_axis, std::int64_t target_h, std::int64_t target_w,
                        const ResizeOptions& o) {
  const std::int64_t w_axis = h_axis + 1;
  const std::int64_t height = x.shape()[h_axis], width = x.shape()[w_axis];
  const auto ratio_h = static_cast<std::int64_t>(static_cast<double>(width * target_h) / static_cast<double>(target_w));
  const auto ratio_w = static_cast<std::int64_t>(static_cast<double>(height * target_w) / static_cast<double>(target_h));
  if (o.crop_to_aspect_ratio) {
    const std::int64_t crop_h = std::max<std::int64_t>(std::min(height, ratio_h), 1);
    const std::int64_t crop_w = std::max<std::int64_t>(std::min(width, ratio_w), 1);
    const std::int64_t top = (height - crop_h) / 2, left = (width - crop_w) / 2;
    return slice(slice(x, h_axis, top, top + crop_h), w_axis, left, left + crop_w);
  }
  const std::int64_t top = (std::max(height, ratio_h) - height) / 2, left = (std::max(width, ratio_w) - width) / 2;
  std::vector<std::pair<std::int64_t, std::int64_t>> pads(static_cast<std::size_t>(x.ndim()), {0, 0});
  if (top > 0)
    pads[static_cast<std::size_t>(h_axis)] = {top, top};
  else if (left > 0)
    pads[static_cast<std::size_t>(w_axis)] = {left, left};
  else
    return x;
  return pad(x, pads, o.fill_value);
}

}  // namespace

Tensor resize(const Tensor& images, std::array<std::int64_t, 2> size, const ResizeOptions& o) {
  const kernels::ResizeMethod method = kernels::resize_method(o.interpolation, "resize");
  if (o.data_format != "channels_last" && o.data_format != "channels_first")
    throw_invalid_argument("resize: data_format must be 'channels_last' or 'channels_first', received data_format='{}'",
                           o.data_format);
  if (o.fill_mode != "constant")
    throw_invalid_argument("resize: fill_mode must be 'constant' (the only one supported), received fill_mode='{}'",
                           o.fill_mode);
  if (o.crop_to_aspect_ratio && o.pad_to_aspect_ratio)
    throw_invalid_argument(
        "resize: only one of pad_to_aspect_ratio and crop_to_aspect_ratio can be true, received both true");
  if (size[0] < 1 || size[1] < 1)
    throw_invalid_argument("resize: size must be positive (height, width), received size=({}, {})", size[0], size[1]);
  if (images.ndim() != 3 && images.ndim() != 4)
    throw_invalid_argument(
        "resize: images must be rank 3 (one image) or rank 4 (a batch of images), received shape {} of rank {}",
        images.shape(), images.ndim());
  if (images.ndim() == 3) {
    const Tensor y = resize(reshape(images, Shape{1, images.shape()[0], images.shape()[1], images.shape()[2]}), size, o);
    return reshape(y, Shape{y.shape()[1], y.shape()[2], y.shape()[3]});
  }
  const bool first = o.data_format == "channels_first";
  const std::int64_t h_axis = first ? 2 : 1;
  Tensor x = images;
  if (o.crop_to_aspect_ratio || o.pad_to_aspect_ratio) x = fit_aspect_ratio(images, h_axis, size[0], size[1], o);
  const auto& d = x.shape().dims();
  const std::int64_t n = d[0], c = first ? d[1] : d[3], h = d[h_axis], w = d[h_axis + 1];
  if (h < 1 || w < 1)
    throw_invalid_argument("resize: images must have positive height and width, received shape {}", images.shape());
  const Layout layout{first ? n * c : n, first ? 1 : c};
  const Shape out_shape = first ? Shape{n, c, size[0], size[1]} : Shape{n, size[0], size[1], c};
  if (h == size[0] && w == size[1]) return x;  // nothing to resample (jax returns the input too)

  // An axis whose size stays is not resampled (identity taps), as jax leaves it alone.
  auto taps_h = std::make_shared<const kernels::ResampleTaps>(
      h != size[0] ? kernels::resize_taps(h, size[0], method, o.antialias) : kernels::identity_taps(h));
  auto taps_w = std::make_shared<const kernels::ResampleTaps>(
      w != size[1] ? kernels::resize_taps(w, size[1], method, o.antialias) : kernels::identity_taps(w));
  Tensor y = Tensor::empty(out_shape, x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::resample_2d<T>(x.data<T>(), y.data<T>(), layout.outer, layout.inner, *taps_h, *taps_w);
  });
  // Backward: the same resampling with the transposed taps, back to the input's sizes.
  auto back_h = std::make_shared<const kernels::ResampleTaps>(kernels::transpose_taps(*taps_h));
  auto back_w = std::make_shared<const kernels::ResampleTaps>(kernels::transpose_taps(*taps_w));
  return autograd::record("resize", {x}, y,
                          [layout, in_shape = x.shape(), back_h, back_w](const Tensor& dy, const autograd::GradMask&) {
                            Tensor dx = Tensor::empty(in_shape, dy.dtype());
                            dispatch(dy.dtype(), [&](auto tag) {
                              using T = decltype(tag);
                              kernels::resample_2d<T>(dy.data<T>(), dx.data<T>(), layout.outer, layout.inner, *back_h,
                                                      *back_w);
                            });
                            return std::vector<Tensor>{dx};
                          });
}

}  // namespace minidl
