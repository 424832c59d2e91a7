#pragma once
// Keras's Masking: a timestep whose features all equal mask_value is masked. The output is the input
// with those timesteps zeroed, and its mask (batch, timesteps) tells later layers (RNNs, the loss)
// to skip them: mask = any(inputs != mask_value, axis=-1).
#include "minidl/layers/layer.h"

namespace minidl::layers {

struct MaskingOptions {
  double mask_value = 0.0;
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Masking : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(Masking)
  explicit Masking(const MaskingOptions& options = {});
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  Tensor compute_mask(const Tensor& inputs, const Tensor& previous_mask) const override;
  nlohmann::json get_config() const override;
  static Masking from_config(const nlohmann::json& config);
  double mask_value() const { return mask_value_; }

 protected:
  void check_input(const Shape& input_shape) const override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  double mask_value_;
};

}  // namespace minidl::layers
