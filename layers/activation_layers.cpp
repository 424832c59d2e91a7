#include "minidl/layers/activation_layers.h"

#include "minidl/core/error.h"

namespace minidl::layers {

Activation::Activation(const ActivationOptions& o) : Layer("Activation", common_options(o)), activation_(o.activation) {
  set_supports_masking(true);  // as Keras: the mask passes through unchanged
}

nlohmann::json Activation::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["activation"] = activation_.config_value();
  return c;
}

LeakyReLU::LeakyReLU(const LeakyReLUOptions& o) : Layer("LeakyReLU", common_options(o)), negative_slope_(o.negative_slope) {
  set_supports_masking(true);  // as Keras: the mask passes through unchanged
  if (!(o.negative_slope >= 0))
    throw_invalid_argument("LeakyReLU: the negative_slope value must be a number >= 0, received negative_slope={}",
                           o.negative_slope);
}

Tensor LeakyReLU::call(const Tensor& x, bool) { return activations::leaky_relu(x, negative_slope_); }

nlohmann::json LeakyReLU::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["negative_slope"] = negative_slope_;
  return c;
}

}  // namespace minidl::layers
