#pragma once
// Keras's BatchNormalization: weights gamma, beta (trainable) and moving_mean, moving_variance
// (non-trainable), in that order. training=true normalises with the batch statistics and updates
// the moving ones: moving = moving * momentum + batch * (1 - momentum).
#include "minidl/layers/layer.h"

namespace minidl::layers {

struct BatchNormalizationOptions {
  std::int64_t axis = -1;
  double momentum = 0.99;
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  initializers::Initializer beta_initializer = "zeros";
  initializers::Initializer gamma_initializer = "ones";
  initializers::Initializer moving_mean_initializer = "zeros";
  initializers::Initializer moving_variance_initializer = "ones";
  regularizers::Regularizer beta_regularizer{};
  regularizers::Regularizer gamma_regularizer{};
  constraints::Constraint beta_constraint{};
  constraints::Constraint gamma_constraint{};
  MINIDL_LAYER_COMMON_OPTIONS;
};

class BatchNormalization : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(BatchNormalization)
  explicit BatchNormalization(const BatchNormalizationOptions& options = {});
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  nlohmann::json get_config() const override;

 protected:
  void check_input(const Shape& input_shape) const override;
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  // As Keras: in training the batch moments (and the moving statistics' update) come from the
  // unmasked positions only, every position is normalised with them; at inference the mask changes
  // nothing. The mask passes through unchanged.
  Masked call_masked(const Tensor& x, const Tensor& mask, bool training) override;

 private:
  BatchNormalizationOptions options_;
  VariablePtr gamma_, beta_, moving_mean_, moving_variance_;
};

}  // namespace minidl::layers
