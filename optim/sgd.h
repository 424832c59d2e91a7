#pragma once
// Keras's SGD. Without momentum: w -= lr * g. With momentum: m = momentum * m - lr * g, then
// w += m, or w += momentum * m - lr * g with nesterov.
#include <memory>

#include "minidl/optim/optimizer.h"

namespace minidl::optim {

struct SGDOptions {
  LearningRate learning_rate = 0.01;
  double momentum = 0.0;  // in [0, 1]
  bool nesterov = false;
  MINIDL_OPTIMIZER_COMMON_OPTIONS;
};

class SGD : public Optimizer {
 public:
  explicit SGD(SGDOptions options = {});
  nlohmann::json get_config() const override;
  const SGDOptions& options() const { return o_; }
  static std::unique_ptr<SGD> from_config(const nlohmann::json& config);

 protected:
  void update_step(const Tensor& gradient, Tensor& variable, std::span<Tensor> slots, double learning_rate) override;

 private:
  SGDOptions o_;
};

}  // namespace minidl::optim
