#include "minidl/layers/activation_layers.h"

#include "minidl/autograd/ops/activations.h"
#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

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

namespace minidl::layers {

ReLU::ReLU(const ReLUOptions& o) : Layer("ReLU", common_options(o)), options_(o) {
  set_supports_masking(true);
  if (o.max_value && !(*o.max_value >= 0))
    throw_invalid_argument("ReLU: max_value of a ReLU layer cannot be a negative value. Received: max_value={}",
                           *o.max_value);
  if (!(o.negative_slope >= 0))
    throw_invalid_argument(
        "ReLU: negative_slope of a ReLU layer cannot be None or a negative value. Received: negative_slope={}",
        o.negative_slope);
  if (!(o.threshold >= 0))
    throw_invalid_argument("ReLU: threshold of a ReLU layer cannot be None or a negative value. Received: threshold={}",
                           o.threshold);
}

ReLU ReLU::from_config(const nlohmann::json& c) {
  ReLUOptions o;
  config::read_common(c, o);
  if (c.contains("max_value") && !c["max_value"].is_null()) o.max_value = c["max_value"].get<double>();
  o.negative_slope = c.value("negative_slope", o.negative_slope);
  o.threshold = c.value("threshold", o.threshold);
  return ReLU(o);
}

Tensor ReLU::call(const Tensor& x, bool) {
  return activations::relu(x, options_.negative_slope, options_.max_value, options_.threshold);
}

nlohmann::json ReLU::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["max_value"] = options_.max_value ? nlohmann::json(*options_.max_value) : nlohmann::json(nullptr);
  c["negative_slope"] = options_.negative_slope;
  c["threshold"] = options_.threshold;
  return c;
}

ELU::ELU(const ELUOptions& o) : Layer("ELU", common_options(o)), alpha_(o.alpha) { set_supports_masking(true); }

ELU ELU::from_config(const nlohmann::json& c) {
  ELUOptions o;
  config::read_common(c, o);
  o.alpha = c.value("alpha", o.alpha);
  return ELU(o);
}

nlohmann::json ELU::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["alpha"] = alpha_;
  return c;
}

Tensor ELU::call(const Tensor& x, bool) { return activations::elu(x, alpha_); }

Softmax::Softmax(const SoftmaxOptions& o) : Layer("Softmax", common_options(o)), axis_(o.axis) {
  if (axis_.axes.empty()) throw_invalid_argument("Softmax: axis must name at least one axis, received axis=[]");
  set_supports_masking(true);
}

Softmax Softmax::from_config(const nlohmann::json& c) {
  SoftmaxOptions o;
  config::read_common(c, o);
  if (c.contains("axis")) o.axis = AxisArg::from_json(c["axis"]);
  return Softmax(o);
}

Tensor Softmax::softmax(const Tensor& x) const {
  return axis_.is_list ? activations::softmax(x, axis_.axes) : activations::softmax(x, axis_.axes[0]);
}

Tensor Softmax::call(const Tensor& x, bool) { return softmax(x); }

Masked Softmax::call_masked(const Tensor& x, const Tensor& mask, bool training) {
  if (!mask.defined()) return {call(x, training), mask};
  const Shape& ms = mask.shape();
  const Shape& xs = x.shape();
  // Keras's broadcast check, trailing axes first.
  for (std::int64_t i = 1; i <= ms.ndim(); ++i)
    if (ms[-i] != 1 && ms[-i] != xs[-i])
      throw_invalid_argument(
          "Softmax: The `mask` must be broadcastable to `inputs`. Each mask dimension must be 1 or match the "
          "corresponding input dimension. Received: inputs.shape={}, mask.shape={}",
          shape_str(xs), shape_str(ms));
  std::vector<std::int64_t> dims(static_cast<std::size_t>(xs.ndim() - ms.ndim()), 1);
  for (auto d : ms.dims()) dims.push_back(d);
  const Tensor keep = broadcast_to(reshape(mask, Shape(dims.begin(), dims.end())), xs);
  // Keras's _large_negative_number: -1e9 (float16 would take -3e4; minidl has none).
  const Tensor y = softmax(where(keep, x, Tensor::full(xs, -1e9, x.dtype())));
  return {where(keep, y, Tensor::zeros(xs, x.dtype())), mask};
}

nlohmann::json Softmax::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["axis"] = axis_.to_json();
  return c;
}

Identity::Identity(const IdentityOptions& o) : Layer("Identity", common_options(o)) { set_supports_masking(true); }

Identity Identity::from_config(const nlohmann::json& c) {
  IdentityOptions o;
  config::read_common(c, o);
  return Identity(o);
}

}  // namespace minidl::layers
