#pragma once
// One case of a Keras functional-model fixture (keras_seq2seq.json, keras_ops_nodes.json): weight j
// is pattern(shape_j, seed + 100 + j) in Keras's order and under Keras's path, the outputs are
// compared with Keras's, and the loss whose gradients the script recorded is
// sum_k sum(y_k * pattern(shape_k, seed + 200 + k)).
#include <string>
#include <vector>

#include "support/fixtures.h"

namespace minidl::test {

// A Functional rebuilt by minidl's loader from Keras's model JSON ({"class_name": "Functional", "config": ...}).
inline std::shared_ptr<layers::Functional> functional_from_json(const nlohmann::json& model_json) {
  auto model = std::dynamic_pointer_cast<layers::Functional>(optim::layer_from_config(model_json));
  REQUIRE(model);
  return model;
}

// The entry of layer `name` in a Functional's config.
inline const nlohmann::json& entry_named(const nlohmann::json& config, const std::string& name) {
  for (const auto& l : config["layers"])
    if (l["name"] == name) return l;
  FAIL("no layer " << name);
  static const nlohmann::json none;
  return none;
}

inline void set_model_weights(layers::Functional& model, const nlohmann::json& c) {
  const auto weights = model.weights();
  REQUIRE(weights.size() == c["weights"].size());
  std::vector<Tensor> values;
  for (std::size_t j = 0; j < weights.size(); ++j) {
    const nlohmann::json& k = c["weights"][j];
    INFO("ours " << weights[j]->path << " keras " << k["path"]);
    CHECK(weights[j]->path == model.name() + "/" + k["path"].get<std::string>());
    REQUIRE(weights[j]->value.shape() == shape_from_json(k["shape"]));
    values.push_back(pattern(weights[j]->value.shape(), c["seed"].get<std::int64_t>() + 100 + static_cast<std::int64_t>(j)));
  }
  model.set_weights(values);
}

inline void check_model_outputs(layers::Functional& model, const nlohmann::json& c, const std::vector<Tensor>& inputs) {
  const auto y = model.call_outputs(inputs, false);
  REQUIRE(y.size() == c["outputs"].size());
  for (std::size_t k = 0; k < y.size(); ++k) {
    INFO("output " << k);
    const nlohmann::json& o = c["outputs"][k];
    REQUIRE_CLOSE(y[k], fixture_tensor(o["y"], shape_from_json(o["shape"])), 1e-5, 1e-6);
  }
}

inline Tensor weighted_output_loss(const std::vector<Tensor>& y, const nlohmann::json& c) {
  Tensor loss;
  for (std::size_t k = 0; k < y.size(); ++k) {
    const Tensor term = (y[k] * pattern(y[k].shape(), c["seed"].get<std::int64_t>() + 200 + static_cast<std::int64_t>(k))).sum();
    loss = loss.defined() ? loss + term : term;
  }
  return loss;
}

// Differentiates weighted_output_loss through the tape and compares the gradients with the script's
// grads_inputs (null: an input without one, e.g. token ids) and grads_weights (model.weights() order).
inline void check_model_gradients(layers::Layer& model, std::vector<Tensor> x, const nlohmann::json& c) {
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!c["grads_inputs"][i].is_null()) x[i].set_requires_grad(true);
  auto* functional = dynamic_cast<layers::Functional*>(&model);
  REQUIRE(functional);
  weighted_output_loss(functional->call_outputs(x, false), c).backward();
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (c["grads_inputs"][i].is_null()) continue;
    INFO("gradient of input " << i);
    REQUIRE_CLOSE(x[i].grad(), fixture_tensor(c["grads_inputs"][i], x[i].shape()), 1e-5, 1e-6);
  }
  const auto weights = model.weights();
  REQUIRE(weights.size() == c["grads_weights"].size());
  for (std::size_t j = 0; j < weights.size(); ++j) {
    INFO("gradient of " << weights[j]->path);
    REQUIRE_CLOSE(weights[j]->value.grad(), fixture_tensor(c["grads_weights"][j], weights[j]->value.shape()), 1e-5, 1e-6);
  }
}

}  // namespace minidl::test
