#include "minidl/layers/pooling2d.h"

#include "minidl/autograd/ops/conv2d.h"
#include "minidl/autograd/ops/pool2d.h"
#include "minidl/core/error.h"
#include "minidl/layers/steps_view.h"

namespace minidl::layers {

Pooling2D::Pooling2D(std::string class_name, const Pooling2DOptions& o, bool max, int rank)
    : Layer(std::move(class_name), common_options(o)),
      pool_(o.pool_size.array()),
      strides_(o.strides ? o.strides->array() : o.pool_size.array()),
      padding_(normalize_padding(o.padding, Layer::class_name())),
      channels_last_(is_channels_last(o.data_format, Layer::class_name())),
      max_(max),
      rank_(rank) {
  if (pool_[0] < 1 || pool_[1] < 1 || strides_[0] < 1 || strides_[1] < 1) {
    if (rank_ == 1)
      throw_invalid_argument("{}: pool_size and strides must be >= 1, received pool_size={}, strides={}",
                             Layer::class_name(), pool_[1], strides_[1]);
    throw_invalid_argument("{}: pool_size and strides must be >= 1, received pool_size=({}, {}), strides=({}, {})",
                           Layer::class_name(), pool_[0], pool_[1], strides_[0], strides_[1]);
  }
}

void Pooling2D::check_input(const Shape& in) const { require_rank(in, rank_ + 2); }

Shape Pooling2D::compute_output_shape(const Shape& in) const {
  require_rank(in, rank_ + 2);
  const int first = channels_last_ ? 1 : 2;  // the first spatial axis
  std::vector<std::int64_t> dims = in.dims();
  const int held = 2 - rank_;  // rank 1 holds its window and stride in the pairs' second slot
  for (int a = 0; a < rank_; ++a)
    dims[first + a] = keras_conv_output_length(padding_, dims[first + a], pool_[held + a], strides_[held + a], 1);
  return Shape(dims.begin(), dims.end());
}

Tensor Pooling2D::call(const Tensor& x, bool) {
  const Pool2dOptions o{.pool_size = pool_,
                        .strides = strides_,
                        .padding = padding_,
                        .data_format = channels_last_ ? "channels_last" : "channels_first"};
  if (rank_ == 1) {
    const Tensor image = steps_to_image(x, channels_last_);
    return image_to_steps(max_ ? max_pool2d(image, o) : avg_pool2d(image, o), channels_last_);
  }
  return max_ ? max_pool2d(x, o) : avg_pool2d(x, o);
}

nlohmann::json Pooling2D::get_config() const {
  nlohmann::json c = Layer::get_config();
  if (rank_ == 1) {
    c["pool_size"] = {pool_[1]};
    c["strides"] = {strides_[1]};
  } else {
    c["pool_size"] = {pool_[0], pool_[1]};
    c["strides"] = {strides_[0], strides_[1]};
  }
  c["padding"] = padding_;
  c["data_format"] = channels_last_ ? "channels_last" : "channels_first";
  return c;
}

}  // namespace minidl::layers
