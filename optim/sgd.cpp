#include "minidl/optim/sgd.h"

#include "minidl/optim/internal.h"

namespace minidl::optim {

SGD::SGD(SGDOptions options) : Optimizer("SGD", common_options(options)), o_(std::move(options)) {
  detail::require_range("SGD", "momentum", o_.momentum, 0.0, 1.0);
  if (o_.momentum != 0) declare_slot("momentum");  // Keras creates the slot only when it is used
}

void SGD::update_step(const Tensor& gradient, Tensor& variable, std::span<Tensor> slots, double learning_rate) {
  dispatch(variable.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T lr = static_cast<T>(learning_rate);
    const T* g = gradient.data<T>();
    T* w = variable.data<T>();
    if (o_.momentum == 0) {
      detail::for_each_element(variable.numel(), [=](std::int64_t i) { w[i] -= g[i] * lr; });
      return;
    }
    const T mu = static_cast<T>(o_.momentum);
    T* m = slots[0].data<T>();
    if (o_.nesterov)
      detail::for_each_element(variable.numel(), [=](std::int64_t i) {
        m[i] = m[i] * mu - g[i] * lr;
        w[i] += m[i] * mu - g[i] * lr;
      });
    else
      detail::for_each_element(variable.numel(), [=](std::int64_t i) {
        m[i] = m[i] * mu - g[i] * lr;
        w[i] += m[i];
      });
  });
}

nlohmann::json SGD::get_config() const {
  nlohmann::json c = Optimizer::get_config();
  c["momentum"] = o_.momentum;
  c["nesterov"] = o_.nesterov;
  return c;
}

std::unique_ptr<SGD> SGD::from_config(const nlohmann::json& config) {
  SGDOptions o;
  detail::read_common("SGD", config, o);
  o.momentum = config.value("momentum", 0.0);
  o.nesterov = config.value("nesterov", false);
  return std::make_unique<SGD>(std::move(o));
}

}  // namespace minidl::optim
