#pragma once
// Keras's Adam, with the bias corrections folded into the step size and epsilon added to the
// uncorrected sqrt(v) (the paper's "epsilon hat"):
//   m += (g - m) * (1 - beta_1);   v += (g^2 - v) * (1 - beta_2)
//   alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t);   w -= alpha * m / (sqrt(v) + epsilon)
// with t = iterations + 1; amsgrad uses v_hat = max(v_hat, v) in place of v.
#include <memory>
#include <string>

#include "minidl/optim/optimizer.h"

namespace minidl::optim {

struct AdamOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
  MINIDL_OPTIMIZER_COMMON_OPTIONS;
};

class Adam : public Optimizer {
 public:
  explicit Adam(AdamOptions options = {});
  nlohmann::json get_config() const override;
  const AdamOptions& options() const { return o_; }
  static std::unique_ptr<Adam> from_config(const nlohmann::json& config);

 protected:
  Adam(std::string class_name, AdamOptions options);  // for AdamW
  void update_step(const Tensor& gradient, Tensor& variable, std::span<Tensor> slots, double learning_rate) override;

 private:
  AdamOptions o_;
};

}  // namespace minidl::optim
