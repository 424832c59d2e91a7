#include "minidl/optim/registry.h"

#include <cctype>
#include <string>

#include "minidl/core/error.h"
#include "minidl/optim/adadelta.h"
#include "minidl/optim/adagrad.h"
#include "minidl/optim/adam.h"
#include "minidl/optim/adamw.h"
#include "minidl/optim/nadam.h"
#include "minidl/optim/rmsprop.h"
#include "minidl/optim/sgd.h"

namespace minidl::optim {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

OptimizerPtr build(std::string_view class_name, const nlohmann::json& config) {
  const std::string key = lower(class_name);
  if (key == "sgd") return SGD::from_config(config);
  if (key == "adam") return Adam::from_config(config);
  if (key == "adamw") return AdamW::from_config(config);
  if (key == "rmsprop") return RMSprop::from_config(config);
  if (key == "adagrad") return Adagrad::from_config(config);
  if (key == "adadelta") return Adadelta::from_config(config);
  if (key == "nadam") return Nadam::from_config(config);
  throw_invalid_argument(
      "Could not interpret optimizer identifier: '{}'. Known: sgd, adam, adamw, rmsprop, adagrad, adadelta, nadam "
      "(case-insensitive)",
      class_name);
}

}  // namespace

OptimizerPtr get(std::string_view identifier) { return build(identifier, nlohmann::json::object()); }

OptimizerPtr get(const nlohmann::json& identifier) {
  if (identifier.is_string()) return get(identifier.get<std::string>());
  return from_config(identifier);
}

OptimizerPtr from_config(const nlohmann::json& serialized) {
  if (!serialized.is_object() || !serialized.contains("class_name") || !serialized["class_name"].is_string())
    throw_invalid_argument("optim::from_config: expected {{\"class_name\": ..., \"config\": {{...}}}}, received {}",
                           serialized.dump());
  return build(serialized["class_name"].get<std::string>(), serialized.value("config", nlohmann::json::object()));
}

}  // namespace minidl::optim
