#include "minidl/layers/batch_normalization.h"

#include "minidl/autograd/ops/batch_norm.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

BatchNormalization::BatchNormalization(const BatchNormalizationOptions& o)
    : Layer("BatchNormalization", common_options(o)), options_(o) {
  set_supports_masking(true);  // as Keras: the mask passes through unchanged
  if (!(o.epsilon > 0)) throw_invalid_argument("BatchNormalization: epsilon must be > 0, received epsilon={}", o.epsilon);
  if (!(o.momentum >= 0 && o.momentum <= 1))
    throw_invalid_argument("BatchNormalization: momentum must be in [0, 1], received momentum={}", o.momentum);
}

void BatchNormalization::check_input(const Shape& in) const {
  const std::int64_t axis = normalize_axis(options_.axis, in.ndim(), "BatchNormalization axis");
  if (in[axis] < 0)
    throw_invalid_argument("layer '{}' (BatchNormalization): axis {} of the input must be known, received shape {}",
                           name(), options_.axis, shape_str(in));
  if (built_input_shape_ && in[axis] != (*built_input_shape_)[axis])
    throw_invalid_argument(
        "Input 0 of layer '{}' (BatchNormalization) is incompatible with the layer: expected axis {} of input shape "
        "to have value {}, but received input with shape {}",
        name(), options_.axis, (*built_input_shape_)[axis], shape_str(in));
}

void BatchNormalization::build_impl(const Shape& in) {
  const Shape c{in[normalize_axis(options_.axis, in.ndim())]};
  if (options_.scale)
    gamma_ = add_weight("gamma", c, options_.gamma_initializer, options_.gamma_regularizer, options_.gamma_constraint);
  if (options_.center)
    beta_ = add_weight("beta", c, options_.beta_initializer, options_.beta_regularizer, options_.beta_constraint);
  moving_mean_ = add_weight("moving_mean", c, options_.moving_mean_initializer, {}, {}, false);
  moving_variance_ = add_weight("moving_variance", c, options_.moving_variance_initializer, {}, {}, false);
}

Tensor BatchNormalization::call(const Tensor& x, bool training) {
  // A frozen layer (trainable=false) runs in inference mode, as in Keras.
  return batch_norm(x, gamma_ ? gamma_->value : Tensor(), beta_ ? beta_->value : Tensor(), moving_mean_->value,
                    moving_variance_->value, options_.axis, options_.momentum, options_.epsilon,
                    training && trainable());
}

nlohmann::json BatchNormalization::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["axis"] = options_.axis;
  c["momentum"] = options_.momentum;
  c["moving_mean_initializer"] = options_.moving_mean_initializer.serialize();
  c["moving_variance_initializer"] = options_.moving_variance_initializer.serialize();
  config::write_gamma_beta_args(c, options_);
  return c;
}

Masked BatchNormalization::call_masked(const Tensor& x, const Tensor& mask, bool training) {
  if (!mask.defined()) return Layer::call_masked(x, mask, training);
  if (mask.ndim() != x.ndim() - 1)
    throw_invalid_argument(
        "layer '{}' (BatchNormalization): The mask provided should be one dimension less than the inputs. Received: "
        "mask.shape={}, inputs.shape={}",
        name(), shape_str(mask.shape()), shape_str(x.shape()));
  // call_with_mask's as_mask made it x's leading axes, 1/0 in x's dtype: with one axis less, it
  // covers every axis but the last, as Keras's expand_dims(mask, -1) broadcast to the input.
  // A frozen layer (trainable=false) runs in inference mode, as in Keras: the mask changes nothing.
  Tensor y = batch_norm(x, gamma_ ? gamma_->value : Tensor(), beta_ ? beta_->value : Tensor(), moving_mean_->value,
                        moving_variance_->value, options_.axis, options_.momentum, options_.epsilon,
                        training && trainable(), mask);
  return {std::move(y), compute_mask(x, mask)};
}

}  // namespace minidl::layers
