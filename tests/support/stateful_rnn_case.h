#pragma once
// The fixture of tests/reference/keras_stateful_rnn.py (tests/fixtures/keras_stateful_rnn.json), shared
// by tests/layers/test_stateful_rnn.cpp and tests/optim/test_stateful_rnn_model.cpp.
#include <memory>
#include <string>

#include "support/fixtures.h"

namespace minidl::test {

inline const nlohmann::json& stateful_rnn_fixture() {
  static const nlohmann::json f = load_fixture("keras_stateful_rnn.json");
  return f;
}

// Batch k of a case: pattern(shape, seed + 10 + k), as the script draws it.
inline Tensor stateful_batch(std::int64_t seed, std::int64_t k, const Shape& shape = {2, 4, 3}) {
  return pattern(shape, seed + 10 + k);
}

inline Tensor stateful_values(const nlohmann::json& v, const Shape& shape) {
  return Tensor::from_vector(v.get<std::vector<double>>(), shape);
}

// A stateful SimpleRNN, LSTM or GRU of 3 units.
inline std::shared_ptr<layers::RNNBase> stateful_rnn(const std::string& cls, bool return_sequences = false,
                                                     bool stateful = true) {
  if (cls == "SimpleRNN")
    return std::make_shared<layers::SimpleRNN>(
        layers::SimpleRNNOptions{.units = 3, .return_sequences = return_sequences, .stateful = stateful});
  if (cls == "LSTM")
    return std::make_shared<layers::LSTM>(
        layers::LSTMOptions{.units = 3, .return_sequences = return_sequences, .stateful = stateful});
  return std::make_shared<layers::GRU>(
      layers::GRUOptions{.units = 3, .return_sequences = return_sequences, .stateful = stateful});
}

// No graph survives a call: the kept states are plain values.
inline void require_detached_states(const layers::RNNBase& layer) {
  for (const Tensor& s : layer.states()) {
    REQUIRE_FALSE(s.requires_grad());
    REQUIRE(s.grad_fn() == nullptr);
  }
}

}  // namespace minidl::test
