#include "minidl/layers/steps_view.h"

#include "minidl/autograd/ops/shape.h"

namespace minidl::layers {

Tensor steps_to_image(const Tensor& x, bool channels_last) {
  const Shape& s = x.shape();
  return reshape(x, channels_last ? Shape{s[0], 1, s[1], s[2]} : Shape{s[0], s[1], 1, s[2]});
}

Tensor image_to_steps(const Tensor& y, bool channels_last) {
  const Shape& s = y.shape();
  return reshape(y, channels_last ? Shape{s[0], s[2], s[3]} : Shape{s[0], s[1], s[3]});
}

}  // namespace minidl::layers
