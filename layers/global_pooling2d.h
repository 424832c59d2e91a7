#pragma once
// Keras's GlobalAveragePooling2D and GlobalMaxPooling2D: one mean (or max) per sample and channel
// over the whole height and width. (N, H, W, C) -> (N, C), or (N, 1, 1, C) with keepdims.
// The 1-D layers (GlobalAveragePooling1D, GlobalMaxPooling1D) are the same reduction over the steps
// axis of (N, steps, C) (or (N, C, steps)); the 1-D average honours a (N, steps) mask as Keras.
#include "minidl/layers/layer.h"

namespace minidl::layers {

struct GlobalPooling2DOptions {
  std::string data_format = "channels_last";
  bool keepdims = false;  // keep the pooled axes with extent 1
  MINIDL_LAYER_COMMON_OPTIONS;
};
using GlobalPooling1DOptions = GlobalPooling2DOptions;

class GlobalPooling2D : public Layer {
 public:
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 protected:
  // rank: the number of spatial axes (1 or 2).
  GlobalPooling2D(std::string class_name, const GlobalPooling2DOptions& options, bool max, int rank = 2);
  void check_input(const Shape& input_shape) const override { require_rank(input_shape, rank_ + 2); }
  Tensor call(const Tensor& x, bool training) override;
  std::vector<std::int64_t> spatial_axes() const;
  bool channels_last_;
  bool keepdims_;

 private:
  bool max_;
  int rank_;
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

// With a mask (batch, steps) the mean is over the kept steps only: sum(x * m) / sum(m) (a sample
// with every step masked gives 0 / 0, as Keras). The output carries no mask (Keras's compute_mask).
// Channels first, minidl's rule that a mask is the input's leading axes admits a (batch, steps)
// mask only when channels == steps; it then applies over the steps, as Keras.
class GlobalAveragePooling1D : public GlobalPooling2D {
 public:
  MINIDL_SHAREABLE_LAYER(GlobalAveragePooling1D)
  explicit GlobalAveragePooling1D(const GlobalPooling1DOptions& options = {});

 protected:
  Masked call_masked(const Tensor& x, const Tensor& mask, bool training) override;
};

class GlobalMaxPooling1D : public GlobalPooling2D {
 public:
  MINIDL_SHAREABLE_LAYER(GlobalMaxPooling1D)
  explicit GlobalMaxPooling1D(const GlobalPooling1DOptions& options = {})
      : GlobalPooling2D("GlobalMaxPooling1D", options, true, 1) {}
};

}  // namespace minidl::layers
