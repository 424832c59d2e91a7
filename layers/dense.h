#pragma once
// Keras's Dense: y = activation(x . kernel + bias) over the last axis; kernel (in, units).
#include "minidl/layers/activation_arg.h"
#include "minidl/layers/layer.h"

namespace minidl::layers {

struct DenseOptions {
  std::int64_t units = 0;
  MINIDL_LAYER_WEIGHT_OPTIONS;
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Dense : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(Dense)
  explicit Dense(const DenseOptions& options);
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  static Dense from_config(const nlohmann::json& config);
  const VariablePtr& kernel() const { return kernel_; }
  const VariablePtr& bias() const { return bias_; }

 protected:
  void check_input(const Shape& input_shape) const override;
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  DenseOptions options_;
  VariablePtr kernel_, bias_;
};

}  // namespace minidl::layers
