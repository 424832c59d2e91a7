#pragma once
// The two-input, two-head functional model of tests/reference/keras_multi_output.py (also used by
// keras_weighted_metrics.py), its data, and Keras-log comparisons.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "model_support.h"

namespace minidl::test {

inline constexpr std::int64_t kN = 10;

// The twin of build() in the reference script: a -> shared(tanh) -+-> concat -> cls (softmax)
// (layers made in Keras's summary order)                   b ------+         -> reg
inline std::shared_ptr<layers::Functional> two_head_net() {
  layers::clear_session();
  auto a = layers::Input({.shape = Shape{3}, .name = "a"});
  auto h = layers::Dense({.units = 4, .activation = "tanh", .name = "shared"})(a);
  auto b = layers::Input({.shape = Shape{2}, .name = "b"});
  auto c = layers::Concatenate({.name = "concat"})({h, b});
  auto cls = layers::Dense({.units = 3, .activation = "softmax", .name = "cls"})(c);
  auto reg = layers::Dense({.units = 1, .name = "reg"})(c);
  auto net = std::make_shared<layers::Functional>(std::vector{a, b}, std::vector{cls, reg},
                                                  layers::FunctionalOptions{.name = "two_heads"});
  // Kernels 0.5 * pattern, biases 0.1 * pattern, seeds 1..6 in weight order (float32 products, as NumPy).
  std::vector<Tensor> weights;
  std::int64_t seed = 1;
  for (const auto& w : net->weights())
    weights.push_back(pattern(w->value.shape(), seed++) * (w->value.ndim() == 2 ? 0.5 : 0.1));
  net->set_weights(weights);
  return net;
}

struct TwoHeadData {
  Tensor a, b, labels, one_hot, y_reg;
};

inline TwoHeadData two_head_data() {
  std::vector<float> labels, one_hot(kN * 3, 0.0f);
  for (std::int64_t i = 0; i < kN; ++i) {
    labels.push_back(static_cast<float>((i * 7) % 3));
    one_hot[static_cast<std::size_t>(i * 3 + (i * 7) % 3)] = 1.0f;
  }
  return {pattern({kN, 3}, 7), pattern({kN, 2}, 8), Tensor::from_vector(labels, {kN}),
          Tensor::from_vector(one_hot, {kN, 3}), pattern({kN, 1}, 9)};
}

inline void check_close(double actual, double expected, const std::string& what) {
  INFO(what << ": minidl " << actual << ", Keras " << expected);
  CHECK(std::abs(actual - expected) <= 1e-5 * std::abs(expected) + 1e-6);
}

inline void check_logs(const optim::Logs& logs, const nlohmann::json& expected, const std::string& what) {
  std::vector<std::string> keys, expected_keys;
  for (const auto& [k, v] : logs) keys.push_back(k);
  for (const auto& [k, v] : expected.items()) expected_keys.push_back(k);
  std::sort(expected_keys.begin(), expected_keys.end());
  REQUIRE(keys == expected_keys);
  for (const auto& [k, v] : logs) check_close(v, expected[k].get<double>(), what + " " + k);
}

}  // namespace minidl::test
