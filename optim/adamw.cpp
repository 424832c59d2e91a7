#include "minidl/optim/adamw.h"

#include "minidl/optim/internal.h"

namespace minidl::optim {

namespace {
AdamOptions as_adam(const AdamWOptions& o) {
  return {.learning_rate = o.learning_rate,
          .beta_1 = o.beta_1,
          .beta_2 = o.beta_2,
          .epsilon = o.epsilon,
          .amsgrad = o.amsgrad,
          .weight_decay = o.weight_decay,
          .clipnorm = o.clipnorm,
          .clipvalue = o.clipvalue,
          .global_clipnorm = o.global_clipnorm,
          .name = o.name};
}
}  // namespace

AdamW::AdamW(AdamWOptions options) : Adam("AdamW", as_adam(options)) {}

std::unique_ptr<AdamW> AdamW::from_config(const nlohmann::json& config) {
  AdamWOptions o;
  detail::read_common("AdamW", config, o);
  if (config.contains("weight_decay")) {
    if (!config["weight_decay"].is_number())
      throw_invalid_argument("AdamW: Argument `weight_decay` must be a float. Received: weight_decay={}",
                             config["weight_decay"].dump());
    o.weight_decay = config["weight_decay"].get<double>();
  }
  o.beta_1 = config.value("beta_1", o.beta_1);
  o.beta_2 = config.value("beta_2", o.beta_2);
  o.epsilon = config.value("epsilon", o.epsilon);
  o.amsgrad = config.value("amsgrad", o.amsgrad);
  return std::make_unique<AdamW>(std::move(o));
}

}  // namespace minidl::optim
