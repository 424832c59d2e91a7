#pragma once
// What Conv2D and Conv2DTranspose share (Keras's BaseConv): argument checks with Keras's
// conditions, the kernel/bias weights with their initializers, regularizers and constraints, the
// input checks, the activation, and the common get_config keys.
// Rank 1 (Conv1D, Conv1DTranspose) runs the same code on an image of height 1: the arguments are
// held as pairs (1, k), the input (b, n, c) / (b, c, n) is viewed as (b, 1, n, c) / (b, c, 1, n) and
// the kernel (k, ...) as (1, k, ...); only shapes, messages and configs show the rank-1 form.
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

// Keras's InputSpec on the channel axis (last or 1) of a conv input: the extent is known and, once `layer` is
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
  // `rank` is the number of spatial axes (1 or 2); 'causal' padding is accepted only with
  // `allow_causal` (Conv1D), and then kept as padding() == "causal".
  ConvBase(std::string class_name, const CommonOptions& common, ConvArgs args, int rank = 2,
           bool allow_causal = false);
  void check_input(const Shape& input_shape) const override;
  void require_input_rank(const Shape& input_shape) const { require_rank(input_shape, rank_ + 2); }
  // Creates kernel (spatial extents, then `a`, `b`: Keras's layout) and bias (filters,).
  void create_weights(std::int64_t a, std::int64_t b);
  std::int64_t input_channels(const Shape& s) const { return s[channels_last_ ? s.ndim() - 1 : 1]; }
  // The (height, width) of the image the input is seen as: height 1 for rank 1.
  Pair spatial(const Shape& s) const {
    if (rank_ == 1) return {1, s[channels_last_ ? 1 : 2]};
    return channels_last_ ? Pair{s[1], s[2]} : Pair{s[2], s[3]};
  }
  Shape assemble(std::int64_t batch, Pair hw, std::int64_t channels) const {
    if (rank_ == 1) return channels_last_ ? Shape{batch, hw[1], channels} : Shape{batch, channels, hw[1]};
    return channels_last_ ? Shape{batch, hw[0], hw[1], channels} : Shape{batch, channels, hw[0], hw[1]};
  }
  // Views between the layer's rank and the 2-D ops' (identity at rank 2).
  Tensor to_image(const Tensor& x) const;
  Tensor from_image(const Tensor& y) const;
  Tensor image_kernel() const;
  Tensor bias_value() const { return bias_ ? bias_->value : Tensor(); }
  // A (1, k)-held argument as Keras writes it: "(3,)" and [3] at rank 1, "(3, 3)" and [3, 3] at rank 2.
  std::string dims_str(Pair p) const;
  nlohmann::json dims_json(Pair p) const;
  // Keras's config keys from filters to bias_constraint; `extra` goes after `padding`.
  nlohmann::json conv_config(const nlohmann::json& after_padding) const;

  ConvArgs args_;
  std::string padding_;
  bool channels_last_ = true;
  int rank_ = 2;
  VariablePtr kernel_, bias_;
};

}  // namespace minidl::layers
