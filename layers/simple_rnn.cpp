#include "minidl/layers/simple_rnn.h"

#include "minidl/autograd/ops/elementwise.h"

namespace minidl::layers {

SimpleRNN::SimpleRNN(const SimpleRNNOptions& o) : RNNBase("SimpleRNN", common_options(o), rnn_args(o), 1, 1) {}

std::vector<Tensor> SimpleRNN::step(const Tensor& xp, const std::vector<Tensor>& states, const Masks& masks) const {
  return {args_.activation(xp + recurrent(states[0], 0, 1, masks))};
}

nlohmann::json SimpleRNN::get_config() const { return rnn_config(); }

SimpleRNN SimpleRNN::from_config(const nlohmann::json& c) {
  SimpleRNNOptions o;
  read_rnn_config(c, o);
  return SimpleRNN(o);
}

}  // namespace minidl::layers
