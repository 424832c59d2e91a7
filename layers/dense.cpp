#include "minidl/layers/dense.h"

#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/matmul.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

Dense::Dense(const DenseOptions& o) : Layer("Dense", common_options(o)), options_(o) {
  set_supports_masking(true);  // as Keras: the mask passes through unchanged
  if (o.units <= 0)
    throw_invalid_argument("Dense: received an invalid value for `units`, expected a positive integer, received units={}",
                           o.units);
  set_activity_regularizer(o.activity_regularizer);
}

void Dense::check_input(const Shape& in) const {
  if (in.ndim() < 2)
    throw_invalid_argument("Input 0 of layer '{}' (Dense) is incompatible with the layer: expected min_ndim=2, found "
                           "ndim={}. Full shape received: {}",
                           name(), in.ndim(), shape_str(in));
  if (in[-1] < 0)
    throw_invalid_argument("layer '{}' (Dense): the last dimension of the inputs must be known, received shape {}",
                           name(), shape_str(in));
  if (built_input_shape_ && in[-1] != (*built_input_shape_)[-1])
    throw_invalid_argument(
        "Input 0 of layer '{}' (Dense) is incompatible with the layer: expected axis -1 of input shape to have value "
        "{}, but received input with shape {}",
        name(), (*built_input_shape_)[-1], shape_str(in));
}

Shape Dense::compute_output_shape(const Shape& in) const {
  auto dims = in.dims();
  dims.back() = options_.units;
  return Shape(dims.begin(), dims.end());
}

void Dense::build_impl(const Shape& in) {
  kernel_ = add_weight("kernel", {in[-1], options_.units}, options_.kernel_initializer, options_.kernel_regularizer,
                       options_.kernel_constraint);
  if (options_.use_bias)
    bias_ = add_weight("bias", {options_.units}, options_.bias_initializer, options_.bias_regularizer,
                       options_.bias_constraint);
}

Tensor Dense::call(const Tensor& x, bool) {
  Tensor y = matmul(x, kernel_->value);
  if (bias_) y = y + bias_->value;
  return options_.activation(y);
}

nlohmann::json Dense::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["units"] = options_.units;
  config::write_weight_args(c, options_);
  // Keras's Dense writes activity_regularizer only when one is set (Layer.get_config does).
  if (!options_.activity_regularizer) c.erase("activity_regularizer");
  return c;
}

Dense Dense::from_config(const nlohmann::json& c) {
  DenseOptions o;
  config::read_weight_args(c, o);
  o.units = json_int(c.at("units"), "units");
  // LoRA and quantization would add weights minidl does not have: refused rather than loaded wrong.
  for (const char* key : {"lora_rank", "quantization_config"})
    if (c.contains(key) && !c[key].is_null())
      throw_invalid_argument("Dense: {} is not supported by minidl, received {}={}", key, key, c[key].dump());
  return Dense(o);
}

}  // namespace minidl::layers
