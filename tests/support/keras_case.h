#pragma once
// One case of tests/fixtures/keras_layers_extra.json run through a minidl layer: weights from
// pattern(), output and get_config() compared with what Keras recorded.
#include <map>
#include <set>
#include <string>

#include "support/fixtures.h"

namespace minidl::test {

// Keras's config keys minidl does not write, per class, with why:
//  - Embedding's and Dense's quantization_config: minidl has no quantized layers (a non-null value is
//    refused on load).
inline const std::map<std::string, std::set<std::string>>& keras_keys_minidl_lacks() {
  static const std::map<std::string, std::set<std::string>> m = {{"Embedding", {"quantization_config"}},
                                                                 {"Dense", {"quantization_config"}}};
  return m;
}

// Keras >= 3.15 writes input_axes / output_axes (fan-axis overrides) into the configs of the
// variance-scaling initializers (GlorotUniform, HeNormal, ...); minidl's initializers have no such
// arguments. Null ones (Keras's default) are dropped before comparing; a non-null one stays and fails.
inline nlohmann::json without_null_fan_axes(const std::string& key, nlohmann::json value) {
  if (!key.ends_with("_initializer") || !value.is_object() || !value.contains("config")) return value;
  for (const char* axes : {"input_axes", "output_axes"})
    if (value["config"].contains(axes) && value["config"][axes].is_null()) value["config"].erase(axes);
  return value;
}

// Our config equals Keras's on every key both have; Keras's other keys are the listed ones, and we
// write no key Keras lacks.
inline void require_same_config(const std::string& cls, const nlohmann::json& ours, const nlohmann::json& keras) {
  const auto it = keras_keys_minidl_lacks().find(cls);
  const std::set<std::string> missing = it == keras_keys_minidl_lacks().end() ? std::set<std::string>{} : it->second;
  for (const auto& [key, value] : keras.items()) {
    INFO(cls << " key " << key);
    if (missing.count(key)) {
      CHECK_FALSE(ours.contains(key));  // a stale entry in the list fails here
      continue;
    }
    REQUIRE(ours.contains(key));
    INFO("ours " << ours[key].dump() << " keras " << value.dump());
    CHECK(ours[key] == without_null_fan_axes(key, value));
  }
  for (const auto& [key, value] : ours.items()) {
    INFO(cls << ": minidl writes key " << key << " which Keras does not");
    CHECK(keras.contains(key));
  }
}

// Sets weight i to pattern(shape_i, seed + 1 + i) as the script does, checking Keras's shapes.
inline void set_case_weights(layers::Layer& layer, const nlohmann::json& c) {
  const std::int64_t seed = c["seed"];
  const auto weights = layer.weights();
  REQUIRE(weights.size() == c["weight_shapes"].size());
  std::vector<Tensor> w;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    REQUIRE(weights[i]->value.shape() == shape_from_json(c["weight_shapes"][i]));
    w.push_back(pattern(weights[i]->value.shape(), seed + 1 + static_cast<std::int64_t>(i)));
  }
  layer.set_weights(w);
}

// Compares `layer`'s config before build with Keras's, builds it for the case, sets its weights,
// compares output (1e-5 relative) and config. Before build Keras's config is "config_unbuilt" when
// it differs, except for a layer made from Keras's built config (`from_built_config`), which keeps it.
inline void check_case(layers::Layer& layer, const nlohmann::json& c, const Tensor& x, bool from_built_config = false) {
  {
    INFO("before build");
    require_same_config(layer.class_name(), layer.get_config(),
                        from_built_config ? c["config"] : c.value("config_unbuilt", c["config"]));
  }
  const Shape in = shape_from_json(c["input_shape"]), out = shape_from_json(c["output_shape"]);
  REQUIRE(layer.compute_output_shape(in) == out);
  layer.build(in);
  set_case_weights(layer, c);
  const Tensor expected = Tensor::from_vector(c["y"].get<std::vector<double>>(), out).to(DType::Float32);
  const auto closeness = compare(layer(x), expected, 1e-5, 1e-6);
  INFO(closeness.detail);
  REQUIRE(closeness.ok);
  require_same_config(layer.class_name(), layer.get_config(), c["config"]);
}

// The case's input: pattern() plus the case's offset, or Embedding's indices.
inline Tensor case_input(const nlohmann::json& c) {
  const Shape in = shape_from_json(c["input_shape"]);
  if (c.contains("input_dim")) return pattern_indices(in, c["seed"], c["input_dim"]);
  return (pattern(in, c["seed"], DType::Float64) + c.value("offset", 0.0)).to(DType::Float32);
}

}  // namespace minidl::test
