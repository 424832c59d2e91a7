#pragma once
// The cases of tests/fixtures/keras_masking.json (tests/reference/keras_masking.py), shared by
// tests/layers/test_masking.cpp and tests/optim/test_masked_loss.cpp.
#include <string>
#include <vector>

#include "support/fixtures.h"

namespace minidl::test {

inline const nlohmann::json& masking_fixture() {
  static const nlohmann::json f = load_fixture("keras_masking.json");
  return f;
}

// Weight i is pattern(shape_i, seed + 1 + i), as the reference script sets them.
inline void set_masking_case_weights(layers::Layer& model, const nlohmann::json& c) {
  std::vector<Tensor> ws;
  const std::int64_t seed = c["seed"];
  for (std::size_t i = 0; i < c["weight_shapes"].size(); ++i)
    ws.push_back(pattern(shape_from_json(c["weight_shapes"][i]), seed + 1 + static_cast<std::int64_t>(i)));
  model.set_weights(ws);
}

// The case's token ids (3, 5) under `key`, as float32.
inline Tensor masking_case_tokens(const nlohmann::json& c, const std::string& key = "tokens") {
  std::vector<double> v;
  for (const auto& row : c[key])
    for (const auto& t : row) v.push_back(t.get<double>());
  return Tensor::from_vector(v, {3, 5}).to(DType::Float32);
}

}  // namespace minidl::test
