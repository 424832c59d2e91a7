#pragma once
// Keras's Adadelta (learning_rate defaults to 0.001, PyTorch's to 1.0):
//   acc_g = rho * acc_g + (1 - rho) * g^2
//   delta = -sqrt(acc_delta + epsilon) * g / sqrt(acc_g + epsilon)
//   acc_delta = rho * acc_delta + (1 - rho) * delta^2;   w += lr * delta
#include <memory>

#include "minidl/optim/optimizer.h"

namespace minidl::optim {

struct AdadeltaOptions {
  LearningRate learning_rate = 0.001;
  double rho = 0.95;
  double epsilon = 1e-7;
  MINIDL_OPTIMIZER_COMMON_OPTIONS;
};

class Adadelta : public Optimizer {
 public:
  explicit Adadelta(AdadeltaOptions options = {});
  nlohmann::json get_config() const override;
  const AdadeltaOptions& options() const { return o_; }
  static std::unique_ptr<Adadelta> from_config(const nlohmann::json& config);

 protected:
  void update_step(const Tensor& gradient, Tensor& variable, std::span<Tensor> slots, double learning_rate) override;

 private:
  AdadeltaOptions o_;
};

}  // namespace minidl::optim
