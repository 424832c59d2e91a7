#include "minidl/layers/global_pooling2d.h"

#include "minidl/autograd/ops/conv2d.h"
#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/reduce.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"

namespace minidl::layers {

GlobalPooling2D::GlobalPooling2D(std::string class_name, const GlobalPooling2DOptions& o, bool max, int rank)
    : Layer(std::move(class_name), common_options(o)),
      channels_last_(is_channels_last(o.data_format, Layer::class_name())),
      keepdims_(o.keepdims),
      max_(max),
      rank_(rank) {}

Shape GlobalPooling2D::compute_output_shape(const Shape& in) const {
  require_rank(in, rank_ + 2);
  const std::int64_t c = channels_last_ ? in[-1] : in[1];
  if (!keepdims_) return Shape{in[0], c};
  std::vector<std::int64_t> dims(static_cast<std::size_t>(rank_ + 2), 1);
  dims.front() = in[0];
  (channels_last_ ? dims.back() : dims[1]) = c;
  return Shape(dims.begin(), dims.end());
}

std::vector<std::int64_t> GlobalPooling2D::spatial_axes() const {
  std::vector<std::int64_t> axes;
  for (int a = 0; a < rank_; ++a) axes.push_back(channels_last_ ? 1 + a : 2 + a);
  return axes;
}

// The autograd reductions already stream (N, H*W, C) with a unit-stride inner loop, so the layer
// is just the reduction over the spatial axes.
Tensor GlobalPooling2D::call(const Tensor& x, bool) {
  return max_ ? max(x, spatial_axes(), keepdims_) : mean(x, spatial_axes(), keepdims_);
}

nlohmann::json GlobalPooling2D::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["data_format"] = channels_last_ ? "channels_last" : "channels_first";
  c["keepdims"] = keepdims_;
  return c;
}

GlobalAveragePooling1D::GlobalAveragePooling1D(const GlobalPooling1DOptions& o)
    : GlobalPooling2D("GlobalAveragePooling1D", o, false, 1) {
  set_supports_masking(true);  // consumes the mask
}

Masked GlobalAveragePooling1D::call_masked(const Tensor& x, const Tensor& mask, bool training) {
  if (!mask.defined()) return {call(x, training), Tensor()};
  if (mask.ndim() != 2)
    throw_invalid_argument("GlobalAveragePooling1D: the mask must be (batch, steps), received a mask of shape {}",
                           shape_str(mask.shape()));
  // The mask is (batch, steps): a channel axis after it, or before it with channels_first.
  const Shape& s = mask.shape();
  const Tensor m = reshape(mask, channels_last_ ? Shape{s[0], s[1], 1} : Shape{s[0], 1, s[1]});
  const std::int64_t steps = channels_last_ ? 1 : 2;
  return {sum(x * m, {steps}, keepdims_) / sum(m, {steps}, keepdims_), Tensor()};
}

}  // namespace minidl::layers
