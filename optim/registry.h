#pragma once
// Optimizers by name or config, as keras.optimizers.get / deserialize. Names are Keras's
// identifiers (the class name lowercased: "sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta",
// "nadam"), matched case-insensitively like Keras.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "minidl/optim/optimizer.h"

namespace minidl::optim {

// An optimizer with Keras's defaults.
OptimizerPtr get(std::string_view identifier);
inline OptimizerPtr get(const char* identifier) { return get(std::string_view(identifier)); }
inline OptimizerPtr get(const std::string& identifier) { return get(std::string_view(identifier)); }
// A name (string), or a serialized optimizer {"class_name": "Adam", "config": {...}} as written by
// Optimizer::serialize() or Keras.
OptimizerPtr get(const nlohmann::json& identifier);
// Keras's deserialize(): {"class_name", "config"}.
OptimizerPtr from_config(const nlohmann::json& serialized);

}  // namespace minidl::optim
