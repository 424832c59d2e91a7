#pragma once
// Keras's activation layers (Activation, LeakyReLU, ReLU, ELU, Softmax) and Identity. No weights;
// PReLU, which has one, is in prelu.h. Each passes the mask through unchanged, as Keras.
#include <optional>

#include "minidl/layers/activation_arg.h"
#include "minidl/layers/axis_arg.h"
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

struct ReLUOptions {
  std::optional<double> max_value{};  // unset: no cap (Keras's None); else >= 0
  double negative_slope = 0.0;        // >= 0
  double threshold = 0.0;             // >= 0
  MINIDL_LAYER_COMMON_OPTIONS;
};

// activations::relu with the layer's arguments: x > threshold kept (capped at max_value), below it
// negative_slope * (x - threshold).
class ReLU : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(ReLU)
  explicit ReLU(const ReLUOptions& options = {});
  static ReLU from_config(const nlohmann::json& config);
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  ReLUOptions options_;
};

struct ELUOptions {
  double alpha = 1.0;
  MINIDL_LAYER_COMMON_OPTIONS;
};

class ELU : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(ELU)
  explicit ELU(const ELUOptions& options = {});
  static ELU from_config(const nlohmann::json& config);
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  double alpha_;
};

struct SoftmaxOptions {
  AxisArg axis = -1;  // one axis, or several normalised together (`.axis = {1, 2}`)
  MINIDL_LAYER_COMMON_OPTIONS;
};

// With a mask, as Keras: masked positions become -1e9 before the softmax and 0 after it (a row
// with every position masked is all 0). Keras broadcasts the mask against the input from the
// trailing axes and refuses a mask that does not broadcast so; minidl's masks are also the input's
// leading axes (Layer::call_with_mask), so in practice the mask has the input's shape.
class Softmax : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(Softmax)
  explicit Softmax(const SoftmaxOptions& options = {});
  static Softmax from_config(const nlohmann::json& config);
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
  Masked call_masked(const Tensor& x, const Tensor& mask, bool training) override;

 private:
  Tensor softmax(const Tensor& x) const;
  AxisArg axis_;
};

struct IdentityOptions {
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Identity : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(Identity)
  explicit Identity(const IdentityOptions& options = {});
  static Identity from_config(const nlohmann::json& config);
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  Tensor call(const Tensor& x, bool) override { return x; }
};

}  // namespace minidl::layers
