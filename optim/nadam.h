#pragma once
// Keras's Nadam (Dozat's momentum schedule, not PyTorch's NAdam momentum_decay):
//   u_t = beta_1 * (1 - 0.5 * 0.96^t),  u_{t+1} likewise,  u_product *= u_t once per step (t = iterations + 1)
//   m += (g - m) * (1 - beta_1);   v += (g^2 - v) * (1 - beta_2)
//   m_hat = u_{t+1} * m / (1 - u_product * u_{t+1}) + (1 - u_t) * g / (1 - u_product)
//   w -= lr * m_hat / (sqrt(v / (1 - beta_2^t)) + epsilon)
// u_product is kept in float64 (Keras keeps it in the first variable's dtype) and is part of state().
#include <memory>

#include "minidl/optim/optimizer.h"

namespace minidl::optim {

struct NadamOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  MINIDL_OPTIMIZER_COMMON_OPTIONS;
};

class Nadam : public Optimizer {
 public:
  explicit Nadam(NadamOptions options = {});
  nlohmann::json get_config() const override;
  const NadamOptions& options() const { return o_; }
  static std::unique_ptr<Nadam> from_config(const nlohmann::json& config);

 protected:
  void before_updates(double learning_rate) override;
  void update_step(const Tensor& gradient, Tensor& variable, std::span<Tensor> slots, double learning_rate) override;

 private:
  NadamOptions o_;
  Tensor u_product_;  // float64 scalar, shared with the base's exported globals
};

}  // namespace minidl::optim
