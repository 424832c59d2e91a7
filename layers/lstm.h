#pragma once
// Keras's LSTM, gates in Keras's order i, f, c, o (columns of kernel, recurrent_kernel and bias):
//   z = x_t . kernel + h . recurrent_kernel + bias
//   i = ra(z_i), f = ra(z_f), c = f * c + i * a(z_c), o = ra(z_o), h = o * a(c)
// with a = activation, ra = recurrent_activation. States [h, c].
#include "minidl/layers/rnn_base.h"

namespace minidl::layers {

struct LSTMOptions {
  std::int64_t units = 0;
  ActivationArg activation = "tanh";
  ActivationArg recurrent_activation = "sigmoid";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer recurrent_initializer = "orthogonal";
  initializers::Initializer bias_initializer = "zeros";
  bool unit_forget_bias = true;  // the forget gate's bias starts at 1 (the others from bias_initializer)
  MINIDL_RNN_PENALTY_OPTIONS;
  std::optional<std::uint64_t> seed{};  // of the dropout masks
  MINIDL_RNN_SEQUENCE_OPTIONS;
  MINIDL_LAYER_COMMON_OPTIONS;
};

class LSTM : public RNNBase {
 public:
  MINIDL_SHAREABLE_LAYER(LSTM)
  explicit LSTM(const LSTMOptions& options);
  nlohmann::json get_config() const override;
  static LSTM from_config(const nlohmann::json& config);
  std::shared_ptr<RNNBase> rebuilt_from_config(const nlohmann::json& config) const override {
    return std::make_shared<LSTM>(from_config(config));
  }

 protected:
  initializers::Initializer bias_initializer() const override;
  bool mask_per_gate() const override { return args_.recurrent_dropout != 0.0; }
  std::vector<Tensor> step(const Tensor& xp, const std::vector<Tensor>& states, const Masks& masks) const override;

 private:
  bool unit_forget_bias_;
};

}  // namespace minidl::layers
