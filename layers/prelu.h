#pragma once
// Keras's PReLU: f(x) = x for x >= 0, alpha * x below, with a learned alpha shaped like the input
// without its batch axis, except the `shared_axes` (1-based, as Keras), where alpha has extent 1 and
// is shared (shared_axes = {1, 2} on (batch, H, W, C) gives one alpha per channel).
#include <optional>
#include <vector>

#include "minidl/layers/constraints.h"
#include "minidl/layers/initializers.h"
#include "minidl/layers/layer.h"
#include "minidl/layers/regularizers.h"

namespace minidl::layers {

struct PReLUOptions {
  initializers::Initializer alpha_initializer = "Zeros";
  regularizers::Regularizer alpha_regularizer{};
  constraints::Constraint alpha_constraint{};
  std::optional<std::vector<std::int64_t>> shared_axes{};  // unset: Keras's None
  MINIDL_LAYER_COMMON_OPTIONS;
};

class PReLU : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(PReLU)
  explicit PReLU(const PReLUOptions& options = {});
  static PReLU from_config(const nlohmann::json& config);
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  nlohmann::json get_config() const override;
  const VariablePtr& alpha() const { return alpha_; }

 protected:
  void check_input(const Shape& input_shape) const override;
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  PReLUOptions options_;
  VariablePtr alpha_;
};

}  // namespace minidl::layers
