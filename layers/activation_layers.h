#pragma once
// Keras's Activation and LeakyReLU layers. No weights.
#include "minidl/layers/activation_arg.h"
#include "minidl/layers/layer.h"

namespace minidl::layers {

struct ActivationOptions {
  ActivationArg activation{};
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Activation : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(Activation)
  explicit Activation(const ActivationOptions& options);
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool) override { return activation_(x); }

 private:
  ActivationArg activation_;
};

struct LeakyReLUOptions {
  double negative_slope = 0.3;  // Keras 3's layer default (the activation function's is 0.2)
  MINIDL_LAYER_COMMON_OPTIONS;
};

class LeakyReLU : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(LeakyReLU)
  explicit LeakyReLU(const LeakyReLUOptions& options = {});
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  double negative_slope_;
};

}  // namespace minidl::layers
