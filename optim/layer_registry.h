#pragma once
// Layers rebuilt from Keras's serialized form {"class_name": "Dense", "config": {...}} (what
// Sequential::get_config lists), as keras.layers.deserialize. Every minidl layer class is
// registered; user layers can be added with register_layer.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "minidl/layers/layer.h"

namespace minidl::optim {

using LayerFactory = std::function<std::shared_ptr<layers::Layer>(const nlohmann::json& config)>;

// Adds (or replaces) the factory for `class_name`.
void register_layer(const std::string& class_name, LayerFactory factory);
std::vector<std::string> registered_layers();

// Keras's keras.saving.CustomObjectScope: while one lives, layer_from_config (and so load_model)
// on this thread also knows its classes, ahead of the registry; scopes nest, the innermost wins.
class CustomObjectScope {
 public:
  explicit CustomObjectScope(std::map<std::string, LayerFactory> factories);
  ~CustomObjectScope();
  CustomObjectScope(const CustomObjectScope&) = delete;
  CustomObjectScope& operator=(const CustomObjectScope&) = delete;

 private:
  std::map<std::string, LayerFactory> factories_;
};

// Rebuilds a layer from {"class_name", "config"}. A Sequential's "InputLayer" entry becomes its
// input_shape, so it is built (weights created) right away. Unknown classes and malformed configs
// throw invalid_argument naming the class.
std::shared_ptr<layers::Layer> layer_from_config(const nlohmann::json& serialized);

// The "Functional" factory (functional_config.cpp): a model's config with its layers' inbound nodes.
std::shared_ptr<layers::Layer> functional_from_config(const nlohmann::json& config);

}  // namespace minidl::optim
