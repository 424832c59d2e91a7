#pragma once
// Keras's LayerNormalization: each sample normalized over `axis` (one axis or several) with its own
// mean and biased variance, then scaled by gamma and shifted by beta, whose shape is the extents of
// those axes. Weights gamma then beta, both trainable. rms_scaling (Keras 3) keeps gamma only, even
// with scale=false, and ignores center, as Keras does (see autograd/ops/layer_norm.h for what it
// computes).
#include <vector>

#include "minidl/layers/axis_arg.h"
#include "minidl/layers/layer.h"

namespace minidl::layers {

struct LayerNormalizationOptions {
  AxisArg axis = -1;
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  bool rms_scaling = false;
  initializers::Initializer beta_initializer = "zeros";
  initializers::Initializer gamma_initializer = "ones";
  regularizers::Regularizer beta_regularizer{};
  regularizers::Regularizer gamma_regularizer{};
  constraints::Constraint beta_constraint{};
  constraints::Constraint gamma_constraint{};
  MINIDL_LAYER_COMMON_OPTIONS;
};

class LayerNormalization : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(LayerNormalization)
  explicit LayerNormalization(const LayerNormalizationOptions& options = {});
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  static LayerNormalization from_config(const nlohmann::json& config);
  const VariablePtr& gamma() const { return gamma_; }
  const VariablePtr& beta() const { return beta_; }

 protected:
  void check_input(const Shape& input_shape) const override;
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  // The axes as indices into `input_shape`; throws (Keras's wording) when one is out of bounds.
  std::vector<std::int64_t> resolved_axes(const Shape& input_shape) const;
  LayerNormalizationOptions options_;
  VariablePtr gamma_, beta_;
};

}  // namespace minidl::layers
