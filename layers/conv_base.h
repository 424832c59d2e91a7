#pragma once
// What Conv2D and Conv2DTranspose share (Keras's BaseConv): argument checks with Keras's
// conditions, the kernel/bias weights with their initializers, regularizers and constraints, the
// input checks, the activation, and the common get_config keys.
#include <optional>
#include <string>

#include "minidl/autograd/ops/conv2d.h"
#include "minidl/layers/activation_arg.h"
#include "minidl/layers/layer.h"

namespace minidl::layers {

struct ConvArgs {
  std::int64_t filters = 0;
  IntPair kernel_size, strides, dilation_rate;
  std::string padding, data_format;
  std::int64_t groups = 1;
  ActivationArg activation;
  bool use_bias = true;
  initializers::Initializer kernel_initializer, bias_initializer;
  regularizers::Regularizer kernel_regularizer, bias_regularizer, activity_regularizer;
  constraints::Constraint kernel_constraint, bias_constraint;
};

// Keras's InputSpec on the channel axis of a 4-D input: the extent is known and, once `layer` is
// built, equal to what it was built for (ConvBase and DepthwiseConvBase).
void require_input_channels(const Layer& layer, const Shape& input_shape, const std::optional<Shape>& built_shape,
                            bool channels_last);

class ConvBase : public Layer {
 public:
  const VariablePtr& kernel() const { return kernel_; }
  const VariablePtr& bias() const { return bias_; }  // null when use_bias is false
  bool channels_last() const { return channels_last_; }
  const std::string& padding() const { return padding_; }

 protected:
  ConvBase(std::string class_name, const CommonOptions& common, ConvArgs args);
  void check_input(const Shape& input_shape) const override;
  // Creates kernel (shape from the subclass) and bias (filters,).
  void create_weights(const Shape& kernel_shape);
  std::int64_t input_channels(const Shape& input_shape) const { return input_shape[channels_last_ ? 3 : 1]; }
  Pair spatial(const Shape& s) const { return channels_last_ ? Pair{s[1], s[2]} : Pair{s[2], s[3]}; }
  Shape assemble(std::int64_t batch, Pair hw, std::int64_t channels) const {
    return channels_last_ ? Shape{batch, hw[0], hw[1], channels} : Shape{batch, channels, hw[0], hw[1]};
  }
  Tensor bias_value() const { return bias_ ? bias_->value : Tensor(); }
  // Keras's config keys from filters to bias_constraint; `extra` goes after `padding`.
  nlohmann::json conv_config(const nlohmann::json& after_padding) const;

  ConvArgs args_;
  std::string padding_;
  bool channels_last_ = true;
  VariablePtr kernel_, bias_;
};

}  // namespace minidl::layers
