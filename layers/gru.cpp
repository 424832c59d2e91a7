#include "minidl/layers/gru.h"

#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/matmul.h"
#include "minidl/autograd/ops/shape.h"

namespace minidl::layers {

GRU::GRU(const GRUOptions& o) : RNNBase("GRU", common_options(o), rnn_args(o), 3, 1), reset_after_(o.reset_after) {}

Shape GRU::bias_shape() const {
  return reset_after_ ? Shape{2, 3 * args_.units} : Shape{3 * args_.units};
}

Tensor GRU::input_bias() const {
  if (!bias_ || !reset_after_) return RNNBase::input_bias();
  return reshape(slice(bias_->value, 0, 0, 1), {3 * args_.units});
}

std::vector<Tensor> GRU::step(const Tensor& xp, const std::vector<Tensor>& states, const Masks& masks) const {
  const Tensor& h = states[0];
  const auto& ra = args_.recurrent_activation;
  const std::int64_t u = args_.units;
  Tensor hh;
  Tensor inner = recurrent(h, 0, reset_after_ ? 3 : 2, masks);
  if (reset_after_ && bias_) inner = inner + reshape(slice(bias_->value, 0, 1, 2), {3 * u});
  const Tensor z = ra(gate(xp, 0) + gate(inner, 0));
  const Tensor r = ra(gate(xp, 1) + gate(inner, 1));
  if (reset_after_)
    hh = args_.activation(gate(xp, 2) + r * gate(inner, 2));
  else
    hh = args_.activation(gate(xp, 2) + matmul(r * masked(h, 2, masks), slice(recurrent_kernel_->value, 1, 2 * u, 3 * u)));
  return {z * h + (1.0 - z) * hh};
}

nlohmann::json GRU::get_config() const {
  nlohmann::json c = rnn_config();
  c["reset_after"] = reset_after_;
  return c;
}

GRU GRU::from_config(const nlohmann::json& c) {
  GRUOptions o;
  read_rnn_config(c, o);
  o.reset_after = c.value("reset_after", o.reset_after);
  return GRU(o);
}

}  // namespace minidl::layers
