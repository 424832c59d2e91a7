#pragma once
// Keras's MaxPooling1D and AveragePooling1D over (batch, steps, channels), or (batch, channels,
// steps) with channels_first: the 2-D pooling layer with a (1, pool_size) window over an image of
// height 1 (steps_view.h), so the kernels and Keras's 'same' rule are the 2-D ones.
#include <optional>

#include "minidl/layers/pooling2d.h"

namespace minidl::layers {

struct Pooling1DOptions {
  std::int64_t pool_size = 2;
  std::optional<std::int64_t> strides{};  // unset: pool_size
  std::string padding = "valid";
  std::string data_format = "channels_last";
  MINIDL_LAYER_COMMON_OPTIONS;
};

// The 2-D options holding the 1-D arguments as (1, n) pairs.
Pooling2DOptions pooling1d_as_2d(const Pooling1DOptions& options, const std::string& class_name);
// Keras's config (pool_size and strides as [n] or n) -> options.
Pooling1DOptions pooling1d_options_from_config(const nlohmann::json& config);

class MaxPooling1D : public Pooling2D {
 public:
  MINIDL_SHAREABLE_LAYER(MaxPooling1D)
  explicit MaxPooling1D(const Pooling1DOptions& options = {})
      : Pooling2D("MaxPooling1D", pooling1d_as_2d(options, "MaxPooling1D"), true, 1) {}
  static MaxPooling1D from_config(const nlohmann::json& c) { return MaxPooling1D(pooling1d_options_from_config(c)); }
};

class AveragePooling1D : public Pooling2D {
 public:
  MINIDL_SHAREABLE_LAYER(AveragePooling1D)
  // Keras 3 requires pool_size here (MaxPooling1D defaults it to 2), so no default construction.
  explicit AveragePooling1D(const Pooling1DOptions& options)
      : Pooling2D("AveragePooling1D", pooling1d_as_2d(options, "AveragePooling1D"), false, 1) {}
  static AveragePooling1D from_config(const nlohmann::json& c) {
    return AveragePooling1D(pooling1d_options_from_config(c));
  }
};

}  // namespace minidl::layers
