#pragma once
// Keras's RMSprop (epsilon inside the square root, unlike PyTorch):
//   v = rho * v + (1 - rho) * g^2
//   centered: a = rho * a + (1 - rho) * g;  denominator = v - a^2 + epsilon   (else v + epsilon)
//   increment = lr * g / sqrt(denominator)
//   momentum > 0: b = momentum * b + increment;  w -= b      (else w -= increment)
#include <memory>

#include "minidl/optim/optimizer.h"

namespace minidl::optim {

struct RMSpropOptions {
  LearningRate learning_rate = 0.001;
  double rho = 0.9;
  double momentum = 0.0;
  double epsilon = 1e-7;
  bool centered = false;
  MINIDL_OPTIMIZER_COMMON_OPTIONS;
};

class RMSprop : public Optimizer {
 public:
  explicit RMSprop(RMSpropOptions options = {});
  nlohmann::json get_config() const override;
  const RMSpropOptions& options() const { return o_; }
  static std::unique_ptr<RMSprop> from_config(const nlohmann::json& config);

 protected:
  void update_step(const Tensor& gradient, Tensor& variable, std::span<Tensor> slots, double learning_rate) override;

 private:
  RMSpropOptions o_;
};

}  // namespace minidl::optim
