#pragma once
// Keras's Adagrad: the accumulator starts at initial_accumulator_value (PyTorch: 0) and epsilon sits
// inside the square root:  acc += g^2;  w -= lr * g / sqrt(acc + epsilon).
#include <memory>

#include "minidl/optim/optimizer.h"

namespace minidl::optim {

struct AdagradOptions {
  LearningRate learning_rate = 0.001;
  double initial_accumulator_value = 0.1;
  double epsilon = 1e-7;
  MINIDL_OPTIMIZER_COMMON_OPTIONS;
};

class Adagrad : public Optimizer {
 public:
  explicit Adagrad(AdagradOptions options = {});
  nlohmann::json get_config() const override;
  const AdagradOptions& options() const { return o_; }
  static std::unique_ptr<Adagrad> from_config(const nlohmann::json& config);

 protected:
  void update_step(const Tensor& gradient, Tensor& variable, std::span<Tensor> slots, double learning_rate) override;

 private:
  AdagradOptions o_;
};

}  // namespace minidl::optim
