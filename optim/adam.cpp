#include "minidl/optim/adam.h"

#include <cmath>

#include "minidl/optim/internal.h"

namespace minidl::optim {

Adam::Adam(AdamOptions options) : Adam("Adam", std::move(options)) {}

Adam::Adam(std::string class_name, AdamOptions options)
    : Optimizer(class_name, common_options(options)), o_(std::move(options)) {
  detail::require_range(class_name, "beta_1", o_.beta_1, 0.0, 1.0, false);
  detail::require_range(class_name, "beta_2", o_.beta_2, 0.0, 1.0, false);
  detail::require_non_negative(class_name, "epsilon", o_.epsilon);
  declare_slot("momentum");
  declare_slot("velocity");
  if (o_.amsgrad) declare_slot("velocity_hat");
}

void Adam::update_step(const Tensor& gradient, Tensor& variable, std::span<Tensor> slots, double learning_rate) {
  dispatch(variable.dtype(), [&](auto tag) {
    using T = decltype(tag);
    // Scalars in the variable's dtype, in Keras's order of operations.
    const T lr = static_cast<T>(learning_rate);
    const T local_step = static_cast<T>(iterations() + 1);
    const T beta_1_power = std::pow(static_cast<T>(o_.beta_1), local_step);
    const T beta_2_power = std::pow(static_cast<T>(o_.beta_2), local_step);
    const T alpha = lr * std::sqrt(T(1) - beta_2_power) / (T(1) - beta_1_power);
    const T one_minus_b1 = static_cast<T>(1 - o_.beta_1), one_minus_b2 = static_cast<T>(1 - o_.beta_2);
    const T eps = static_cast<T>(o_.epsilon);
    const T* g = gradient.data<T>();
    T* w = variable.data<T>();
    T* m = slots[0].data<T>();
    T* v = slots[1].data<T>();
    T* v_hat = o_.amsgrad ? slots[2].data<T>() : nullptr;
    detail::for_each_element(variable.numel(), [=](std::int64_t i) {
      m[i] += (g[i] - m[i]) * one_minus_b1;
      v[i] += (g[i] * g[i] - v[i]) * one_minus_b2;
      T denom_v = v[i];
      if (v_hat) denom_v = v_hat[i] = std::max(v_hat[i], v[i]);
      w[i] -= (m[i] * alpha) / (std::sqrt(denom_v) + eps);
    });
  });
}

nlohmann::json Adam::get_config() const {
  nlohmann::json c = Optimizer::get_config();
  c["beta_1"] = o_.beta_1;
  c["beta_2"] = o_.beta_2;
  c["epsilon"] = o_.epsilon;
  c["amsgrad"] = o_.amsgrad;
  return c;
}

std::unique_ptr<Adam> Adam::from_config(const nlohmann::json& config) {
  AdamOptions o;
  detail::read_common("Adam", config, o);
  o.beta_1 = config.value("beta_1", o.beta_1);
  o.beta_2 = config.value("beta_2", o.beta_2);
  o.epsilon = config.value("epsilon", o.epsilon);
  o.amsgrad = config.value("amsgrad", o.amsgrad);
  return std::make_unique<Adam>(std::move(o));
}

}  // namespace minidl::optim
