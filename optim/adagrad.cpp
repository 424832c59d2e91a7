#include "minidl/optim/adagrad.h"

#include <cmath>

#include "minidl/optim/internal.h"

namespace minidl::optim {

Adagrad::Adagrad(AdagradOptions options) : Optimizer("Adagrad", common_options(options)), o_(std::move(options)) {
  detail::require_non_negative("Adagrad", "initial_accumulator_value", o_.initial_accumulator_value);
  detail::require_non_negative("Adagrad", "epsilon", o_.epsilon);
  declare_slot("accumulator", o_.initial_accumulator_value);
}

void Adagrad::update_step(const Tensor& gradient, Tensor& variable, std::span<Tensor> slots, double learning_rate) {
  dispatch(variable.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T lr = static_cast<T>(learning_rate), eps = static_cast<T>(o_.epsilon);
    const T* g = gradient.data<T>();
    T* w = variable.data<T>();
    T* acc = slots[0].data<T>();
    detail::for_each_element(variable.numel(), [=](std::int64_t i) {
      acc[i] += g[i] * g[i];
      w[i] -= (lr * g[i]) / std::sqrt(acc[i] + eps);
    });
  });
}

nlohmann::json Adagrad::get_config() const {
  nlohmann::json c = Optimizer::get_config();
  c["initial_accumulator_value"] = o_.initial_accumulator_value;
  c["epsilon"] = o_.epsilon;
  return c;
}

std::unique_ptr<Adagrad> Adagrad::from_config(const nlohmann::json& config) {
  AdagradOptions o;
  detail::read_common("Adagrad", config, o);
  o.initial_accumulator_value = config.value("initial_accumulator_value", o.initial_accumulator_value);
  o.epsilon = config.value("epsilon", o.epsilon);
  return std::make_unique<Adagrad>(std::move(o));
}

}  // namespace minidl::optim
