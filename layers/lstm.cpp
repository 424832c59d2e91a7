#include "minidl/layers/lstm.h"

#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/shape.h"

namespace minidl::layers {

LSTM::LSTM(const LSTMOptions& o)
    : RNNBase("LSTM", common_options(o), rnn_args(o), 4, 2), unit_forget_bias_(o.unit_forget_bias) {}

// Keras's unit_forget_bias: concat(bias_initializer((units,)), ones((units,)), bias_initializer((2 * units,))).
initializers::Initializer LSTM::bias_initializer() const {
  if (!unit_forget_bias_) return args_.bias_initializer;
  const auto init = args_.bias_initializer;
  const std::int64_t u = args_.units;
  return initializers::Initializer([init, u](const Shape&, DType dtype) {
    return concat({init(Shape{u}, dtype).to(dtype), Tensor::ones({u}, dtype), init(Shape{2 * u}, dtype).to(dtype)}, 0);
  });
}

std::vector<Tensor> LSTM::step(const Tensor& xp, const std::vector<Tensor>& states, const Masks& masks) const {
  const Tensor z = xp + recurrent(states[0], 0, 4, masks);
  const auto& ra = args_.recurrent_activation;
  const auto& a = args_.activation;
  const Tensor c = ra(gate(z, 1)) * states[1] + ra(gate(z, 0)) * a(gate(z, 2));
  return {ra(gate(z, 3)) * a(c), c};
}

nlohmann::json LSTM::get_config() const {
  nlohmann::json c = rnn_config();
  c["unit_forget_bias"] = unit_forget_bias_;
  return c;
}

LSTM LSTM::from_config(const nlohmann::json& c) {
  LSTMOptions o;
  read_rnn_config(c, o);
  o.unit_forget_bias = c.value("unit_forget_bias", o.unit_forget_bias);
  return LSTM(o);
}

}  // namespace minidl::layers
