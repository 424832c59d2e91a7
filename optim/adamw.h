#pragma once
// Keras's AdamW: Adam plus the base optimizer's decoupled weight decay, w -= w * weight_decay * lr
// before each Adam step, with weight_decay required (default 0.004; PyTorch's default is 0.01).
// weight_decay comes second, as in Keras's signature.
#include <memory>

#include "minidl/optim/adam.h"

namespace minidl::optim {

struct AdamWOptions {
  LearningRate learning_rate = 0.001;
  double weight_decay = 0.004;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
  MINIDL_OPTIMIZER_CLIP_OPTIONS;
};

class AdamW : public Adam {
 public:
  explicit AdamW(AdamWOptions options = {});
  static std::unique_ptr<AdamW> from_config(const nlohmann::json& config);
};

}  // namespace minidl::optim
