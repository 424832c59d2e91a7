#include "minidl/layers/global_pooling2d.h"

#include "minidl/autograd/ops/conv2d.h"
#include "minidl/autograd/ops/reduce.h"

namespace minidl::layers {

GlobalPooling2D::GlobalPooling2D(std::string class_name, const GlobalPooling2DOptions& o, bool max)
    : Layer(std::move(class_name), common_options(o)),
      channels_last_(is_channels_last(o.data_format, Layer::class_name())),
      keepdims_(o.keepdims),
      max_(max) {}

Shape GlobalPooling2D::compute_output_shape(const Shape& in) const {
  require_rank(in, 4);
  const std::int64_t c = channels_last_ ? in[3] : in[1];
  if (!keepdims_) return Shape{in[0], c};
  return channels_last_ ? Shape{in[0], 1, 1, c} : Shape{in[0], c, 1, 1};
}

// The autograd reductions already stream (N, H*W, C) with a unit-stride inner loop, so the layer
// is just the reduction over the two spatial axes.
Tensor GlobalPooling2D::call(const Tensor& x, bool) {
  const std::vector<std::int64_t> axes = channels_last_ ? std::vector<std::int64_t>{1, 2} : std::vector<std::int64_t>{2, 3};
  return max_ ? max(x, axes, keepdims_) : mean(x, axes, keepdims_);
}

nlohmann::json GlobalPooling2D::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["data_format"] = channels_last_ ? "channels_last" : "channels_first";
  c["keepdims"] = keepdims_;
  return c;
}

}  // namespace minidl::layers
