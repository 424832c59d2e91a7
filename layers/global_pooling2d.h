#pragma once
// Keras's GlobalAveragePooling2D and GlobalMaxPooling2D: one mean (or max) per sample and channel
// over the whole height and width. (N, H, W, C) -> (N, C), or (N, 1, 1, C) with keepdims.
#include "minidl/layers/layer.h"

namespace minidl::layers {

struct GlobalPooling2DOptions {
  std::string data_format = "channels_last";
  bool keepdims = false;  // keep the pooled axes with extent 1
  MINIDL_LAYER_COMMON_OPTIONS;
};

class GlobalPooling2D : public Layer {
 public:
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 protected:
  GlobalPooling2D(std::string class_name, const GlobalPooling2DOptions& options, bool max);
  void check_input(const Shape& input_shape) const override { require_rank(input_shape, 4); }
  Tensor call(const Tensor& x, bool training) override;

 private:
  bool channels_last_;
  bool keepdims_;
  bool max_;
};

class GlobalAveragePooling2D : public GlobalPooling2D {
 public:
  MINIDL_SHAREABLE_LAYER(GlobalAveragePooling2D)
  explicit GlobalAveragePooling2D(const GlobalPooling2DOptions& options = {})
      : GlobalPooling2D("GlobalAveragePooling2D", options, false) {}
};

// The maximum follows minidl::max: NaN wins (as NumPy), tied maxima share the gradient equally.
class GlobalMaxPooling2D : public GlobalPooling2D {
 public:
  MINIDL_SHAREABLE_LAYER(GlobalMaxPooling2D)
  explicit GlobalMaxPooling2D(const GlobalPooling2DOptions& options = {})
      : GlobalPooling2D("GlobalMaxPooling2D", options, true) {}
};

}  // namespace minidl::layers
