#pragma once
// Keras's GroupNormalization: the channels (`axis`) of each sample are split into `groups` groups
// and each group is normalized over its channels and every other non-batch axis, then scaled by
// gamma and shifted by beta (one per channel). groups=1 is layer normalization over all of a
// sample, groups=-1 (one channel per group) is instance normalization. Weights gamma then beta.
// Computed by autograd/ops/group_norm.h.
#include "minidl/layers/layer.h"

namespace minidl::layers {

struct GroupNormalizationOptions {
  std::int64_t groups = 32;  // a divisor of the channel count, or -1 for one group per channel
  std::int64_t axis = -1;    // the channel axis: -1 for channels_last, 1 for channels_first
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  initializers::Initializer beta_initializer = "zeros";
  initializers::Initializer gamma_initializer = "ones";
  regularizers::Regularizer beta_regularizer{};
  regularizers::Regularizer gamma_regularizer{};
  constraints::Constraint beta_constraint{};
  constraints::Constraint gamma_constraint{};
  MINIDL_LAYER_COMMON_OPTIONS;
};

class GroupNormalization : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(GroupNormalization)
  explicit GroupNormalization(const GroupNormalizationOptions& options = {});
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  static GroupNormalization from_config(const nlohmann::json& config);
  const VariablePtr& gamma() const { return gamma_; }
  const VariablePtr& beta() const { return beta_; }

 protected:
  void check_input(const Shape& input_shape) const override;
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  // `axis` as an index into a shape of rank `ndim`; throws (Keras's wording) when out of bounds.
  std::int64_t channel_axis(std::int64_t ndim, const Shape& input_shape) const;
  GroupNormalizationOptions options_;
  std::int64_t groups_;  // options_.groups with -1 resolved to the channel count once built
  VariablePtr gamma_, beta_;
};

}  // namespace minidl::layers
