#pragma once
// Keras's MaxPooling2D and AveragePooling2D (strides default to pool_size; 'same' pads so that
// out = ceil(n / s); average pooling divides by the real cells of each window). The 1-D layers
// (pooling1d.h) are the same layer at rank 1: a (1, n) window over an image of height 1.
#include <optional>

#include "minidl/autograd/ops/conv2d.h"
#include "minidl/layers/layer.h"

namespace minidl::layers {

struct Pooling2DOptions {
  IntPair pool_size = 2;
  std::optional<IntPair> strides{};  // unset: pool_size
  std::string padding = "valid";
  std::string data_format = "channels_last";
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Pooling2D : public Layer {
 public:
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 protected:
  // rank 1: the options hold (1, n) pairs; the input is (batch, steps, channels) or channels first.
  Pooling2D(std::string class_name, const Pooling2DOptions& options, bool max, int rank = 2);
  void check_input(const Shape& input_shape) const override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  Pair pool_, strides_;
  std::string padding_;
  bool channels_last_;
  bool max_;
  int rank_;
};

class MaxPooling2D : public Pooling2D {
 public:
  MINIDL_SHAREABLE_LAYER(MaxPooling2D)
  explicit MaxPooling2D(const Pooling2DOptions& options = {}) : Pooling2D("MaxPooling2D", options, true) {}
};

class AveragePooling2D : public Pooling2D {
 public:
  MINIDL_SHAREABLE_LAYER(AveragePooling2D)
  explicit AveragePooling2D(const Pooling2DOptions& options = {}) : Pooling2D("AveragePooling2D", options, false) {}
};

}  // namespace minidl::layers
