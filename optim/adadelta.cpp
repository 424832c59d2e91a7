#include "minidl/optim/adadelta.h"

#include <cmath>

#include "minidl/optim/internal.h"

namespace minidl::optim {

Adadelta::Adadelta(AdadeltaOptions options) : Optimizer("Adadelta", common_options(options)), o_(std::move(options)) {
  detail::require_range("Adadelta", "rho", o_.rho, 0.0, 1.0);
  detail::require_non_negative("Adadelta", "epsilon", o_.epsilon);
  declare_slot("accumulated_grad");
  declare_slot("accumulated_delta_var");
}

void Adadelta::update_step(const Tensor& gradient, Tensor& variable, std::span<Tensor> slots, double learning_rate) {
  dispatch(variable.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T lr = static_cast<T>(learning_rate), eps = static_cast<T>(o_.epsilon);
    const T rho = static_cast<T>(o_.rho), one_minus_rho = static_cast<T>(1 - o_.rho);
    const T* g = gradient.data<T>();
    T* w = variable.data<T>();
    T* acc_g = slots[0].data<T>();
    T* acc_d = slots[1].data<T>();
    detail::for_each_element(variable.numel(), [=](std::int64_t i) {
      acc_g[i] = rho * acc_g[i] + one_minus_rho * (g[i] * g[i]);
      const T delta = -((std::sqrt(acc_d[i] + eps) * g[i]) / std::sqrt(acc_g[i] + eps));
      acc_d[i] = rho * acc_d[i] + one_minus_rho * (delta * delta);
      w[i] += lr * delta;
    });
  });
}

nlohmann::json Adadelta::get_config() const {
  nlohmann::json c = Optimizer::get_config();
  c["rho"] = o_.rho;
  c["epsilon"] = o_.epsilon;
  return c;
}

std::unique_ptr<Adadelta> Adadelta::from_config(const nlohmann::json& config) {
  AdadeltaOptions o;
  detail::read_common("Adadelta", config, o);
  o.rho = config.value("rho", o.rho);
  o.epsilon = config.value("epsilon", o.epsilon);
  return std::make_unique<Adadelta>(std::move(o));
}

}  // namespace minidl::optim
