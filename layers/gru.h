#pragma once
// Keras's GRU, gates in Keras's order z (update), r (reset), h (candidate):
//   z = ra(x_z + h . R_z + b_z), r = ra(x_r + h . R_r + b_r), h_t = z * h + (1 - z) * hh
//   reset_after=true (default, cuDNN's form):  hh = a(x_h + r * (h . R_h + rb_h)), bias (2, 3 * units):
//     row 0 for the inputs, row 1 for the recurrent projection
//   reset_after=false:                        hh = a(x_h + (r * h) . R_h), bias (3 * units,)
#include "minidl/layers/rnn_base.h"

namespace minidl::layers {

struct GRUOptions {
  std::int64_t units = 0;
  ActivationArg activation = "tanh";
  ActivationArg recurrent_activation = "sigmoid";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer recurrent_initializer = "orthogonal";
  initializers::Initializer bias_initializer = "zeros";
  MINIDL_RNN_PENALTY_OPTIONS;
  std::optional<std::uint64_t> seed{};  // of the dropout masks
  MINIDL_RNN_SEQUENCE_OPTIONS;
  bool reset_after = true;
  MINIDL_LAYER_COMMON_OPTIONS;
};

class GRU : public RNNBase {
 public:
  MINIDL_SHAREABLE_LAYER(GRU)
  explicit GRU(const GRUOptions& options);
  nlohmann::json get_config() const override;
  static GRU from_config(const nlohmann::json& config);
  std::shared_ptr<RNNBase> rebuilt_from_config(const nlohmann::json& config) const override {
    return std::make_shared<GRU>(from_config(config));
  }

 protected:
  Shape bias_shape() const override;
  Tensor input_bias() const override;
  bool mask_per_gate() const override { return args_.recurrent_dropout != 0.0; }
  std::vector<Tensor> step(const Tensor& xp, const std::vector<Tensor>& states, const Masks& masks) const override;

 private:
  bool reset_after_;
};

}  // namespace minidl::layers
