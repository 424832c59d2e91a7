#include "minidl/optim/nadam.h"

#include <cmath>

#include "minidl/optim/internal.h"

namespace minidl::optim {

Nadam::Nadam(NadamOptions options) : Optimizer("Nadam", common_options(options)), o_(std::move(options)) {
  detail::require_range("Nadam", "beta_1", o_.beta_1, 0.0, 1.0, false);
  detail::require_range("Nadam", "beta_2", o_.beta_2, 0.0, 1.0, false);
  detail::require_non_negative("Nadam", "epsilon", o_.epsilon);
  declare_slot("momentum");
  declare_slot("velocity");
  u_product_ = declare_global("u_product", 1.0);
}

void Nadam::before_updates(double) {
  const double t = static_cast<double>(iterations() + 1);
  u_product_.data<double>()[0] *= o_.beta_1 * (1.0 - 0.5 * std::pow(0.96, t));
}

void Nadam::update_step(const Tensor& gradient, Tensor& variable, std::span<Tensor> slots, double learning_rate) {
  dispatch(variable.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T lr = static_cast<T>(learning_rate);
    const T local_step = static_cast<T>(iterations() + 1), next_step = static_cast<T>(iterations() + 2);
    const T decay = static_cast<T>(0.96);
    const T beta_1 = static_cast<T>(o_.beta_1), beta_2 = static_cast<T>(o_.beta_2);
    const T u_t = beta_1 * (T(1) - T(0.5) * std::pow(decay, local_step));
    const T u_t_1 = beta_1 * (T(1) - T(0.5) * std::pow(decay, next_step));
    const T u_product_t = static_cast<T>(u_product_.data<double>()[0]);
    const T u_product_t_1 = u_product_t * u_t_1;
    const T beta_2_power = std::pow(beta_2, local_step);
    const T eps = static_cast<T>(o_.epsilon);
    const T* g = gradient.data<T>();
    T* w = variable.data<T>();
    T* m = slots[0].data<T>();
    T* v = slots[1].data<T>();
    detail::for_each_element(variable.numel(), [=](std::int64_t i) {
      m[i] += (g[i] - m[i]) * (T(1) - beta_1);
      v[i] += (g[i] * g[i] - v[i]) * (T(1) - beta_2);
      const T m_hat = (u_t_1 * m[i]) / (T(1) - u_product_t_1) + ((T(1) - u_t) * g[i]) / (T(1) - u_product_t);
      const T v_hat = v[i] / (T(1) - beta_2_power);
      w[i] -= (m_hat * lr) / (std::sqrt(v_hat) + eps);
    });
  });
}

nlohmann::json Nadam::get_config() const {
  nlohmann::json c = Optimizer::get_config();
  c["beta_1"] = o_.beta_1;
  c["beta_2"] = o_.beta_2;
  c["epsilon"] = o_.epsilon;
  return c;
}

std::unique_ptr<Nadam> Nadam::from_config(const nlohmann::json& config) {
  NadamOptions o;
  detail::read_common("Nadam", config, o);
  o.beta_1 = config.value("beta_1", o.beta_1);
  o.beta_2 = config.value("beta_2", o.beta_2);
  o.epsilon = config.value("epsilon", o.epsilon);
  return std::make_unique<Nadam>(std::move(o));
}

}  // namespace minidl::optim
