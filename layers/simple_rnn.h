#pragma once
// Keras's SimpleRNN: h_t = activation(x_t . kernel + h_{t-1} . recurrent_kernel + bias).
#include "minidl/layers/rnn_base.h"

namespace minidl::layers {

struct SimpleRNNOptions {
  std::int64_t units = 0;
  ActivationArg activation = "tanh";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer recurrent_initializer = "orthogonal";
  initializers::Initializer bias_initializer = "zeros";
  MINIDL_RNN_PENALTY_OPTIONS;
  MINIDL_RNN_SEQUENCE_OPTIONS;
  std::optional<std::uint64_t> seed{};  // of the dropout masks (Keras leaves it out of SimpleRNN's config)
  MINIDL_LAYER_COMMON_OPTIONS;
};

class SimpleRNN : public RNNBase {
 public:
  MINIDL_SHAREABLE_LAYER(SimpleRNN)
  explicit SimpleRNN(const SimpleRNNOptions& options);
  nlohmann::json get_config() const override;
  static SimpleRNN from_config(const nlohmann::json& config);
  std::shared_ptr<RNNBase> rebuilt_from_config(const nlohmann::json& config) const override {
    return std::make_shared<SimpleRNN>(from_config(config));
  }

 protected:
  std::vector<Tensor> step(const Tensor& xp, const std::vector<Tensor>& states, const Masks& masks) const override;
};

}  // namespace minidl::layers
