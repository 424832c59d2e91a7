#include "minidl/optim/rmsprop.h"

#include <cmath>

#include "minidl/optim/internal.h"

namespace minidl::optim {

RMSprop::RMSprop(RMSpropOptions options) : Optimizer("RMSprop", common_options(options)), o_(std::move(options)) {
  detail::require_range("RMSprop", "rho", o_.rho, 0.0, 1.0);
  detail::require_non_negative("RMSprop", "momentum", o_.momentum);
  detail::require_non_negative("RMSprop", "epsilon", o_.epsilon);
  // Keras's creation order: velocity, then momentum and average_gradient when used.
  declare_slot("velocity");
  if (o_.momentum > 0) declare_slot("momentum");
  if (o_.centered) declare_slot("average_gradient");
}

void RMSprop::update_step(const Tensor& gradient, Tensor& variable, std::span<Tensor> slots, double learning_rate) {
  dispatch(variable.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T lr = static_cast<T>(learning_rate);
    const T rho = static_cast<T>(o_.rho), one_minus_rho = static_cast<T>(1 - o_.rho);
    const T mu = static_cast<T>(o_.momentum), eps = static_cast<T>(o_.epsilon);
    const T* g = gradient.data<T>();
    T* w = variable.data<T>();
    T* v = slots[0].data<T>();
    std::size_t next = 1;
    T* b = o_.momentum > 0 ? slots[next++].data<T>() : nullptr;
    T* a = o_.centered ? slots[next].data<T>() : nullptr;
    detail::for_each_element(variable.numel(), [=](std::int64_t i) {
      v[i] = rho * v[i] + one_minus_rho * (g[i] * g[i]);
      T denominator;
      if (a) {
        a[i] = rho * a[i] + one_minus_rho * g[i];
        denominator = v[i] - a[i] * a[i] + eps;
      } else {
        denominator = v[i] + eps;
      }
      const T increment = (lr * g[i]) / std::sqrt(denominator);
      if (b) {
        b[i] = mu * b[i] + increment;
        w[i] -= b[i];
      } else {
        w[i] -= increment;
      }
    });
  });
}

nlohmann::json RMSprop::get_config() const {
  nlohmann::json c = Optimizer::get_config();
  c["rho"] = o_.rho;
  c["momentum"] = o_.momentum;
  c["epsilon"] = o_.epsilon;
  c["centered"] = o_.centered;
  return c;
}

std::unique_ptr<RMSprop> RMSprop::from_config(const nlohmann::json& config) {
  RMSpropOptions o;
  detail::read_common("RMSprop", config, o);
  o.rho = config.value("rho", o.rho);
  o.momentum = config.value("momentum", o.momentum);
  o.epsilon = config.value("epsilon", o.epsilon);
  o.centered = config.value("centered", o.centered);
  return std::make_unique<RMSprop>(std::move(o));
}

}  // namespace minidl::optim
