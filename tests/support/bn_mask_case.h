#pragma once
// The fixture of tests/reference/keras_bn_mask.py (tests/fixtures/keras_bn_mask.json), shared by
// tests/layers/test_bn_mask.cpp and tests/optim/test_bn_mask_fit.cpp.
#include "support/fixtures.h"

namespace minidl::test {

inline const nlohmann::json& bn_mask_fixture() {
  static const nlohmann::json f = load_fixture("keras_bn_mask.json");
  return f;
}

// A flat list of reference values as a tensor of `shape` (float64, compared against float32 results).
inline Tensor bn_mask_values(const nlohmann::json& v, const Shape& shape) {
  return Tensor::from_vector(v.get<std::vector<double>>(), shape);
}

}  // namespace minidl::test
