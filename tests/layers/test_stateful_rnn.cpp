// Stateful SimpleRNN, LSTM and GRU against the real Keras 3 (fixture: tests/reference/keras_stateful_rnn.py):
// three consecutive calls carry the states, reset_states() / reset_state() zero them, a given
// initial_state replaces them for one call, masked timesteps carry them over, another batch size is
// refused; the states are not weights, hold no graph after a call, and "stateful" round-trips in the
// config.
#include "support/stateful_rnn_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;

namespace {

std::vector<Tensor> pattern_weights(const Layer& layer, std::int64_t seed) {
  std::vector<Tensor> ws;
  const auto vars = layer.weights();
  for (std::size_t i = 0; i < vars.size(); ++i)
    ws.push_back(test::pattern(vars[i]->value.shape(), seed + 1 + static_cast<std::int64_t>(i)));
  return ws;
}

}  // namespace

TEST_CASE("Stateful SimpleRNN, LSTM and GRU carry their states across calls as Keras", "[layers][rnn][stateful]") {
  for (const auto& c : test::stateful_rnn_fixture()["layer"]) {
    const std::string cls = c["cls"];
    const bool rs = c["return_sequences"];
    const std::int64_t seed = c["seed"];
    INFO(cls << " return_sequences " << rs);
    auto layer = test::stateful_rnn(cls, rs);
    layer->build({2, 4, 3});
    layer->set_weights(pattern_weights(*layer, seed));
    const Shape out = rs ? Shape{2, 4, 3} : Shape{2, 3};
    // The states exist from build (its shape has the batch size), zero, and are not weights.
    REQUIRE(layer->states().size() == (cls == "LSTM" ? 2u : 1u));
    REQUIRE_CLOSE(layer->states()[0], Tensor::zeros({2, 3}), 0.0, 1e-12);
    CHECK(layer->weights().size() == c["weight_count"].get<std::size_t>());
    CHECK(layer->get_weights().size() == c["get_weights_count"].get<std::size_t>());
    CHECK(layer->non_trainable_weights().size() == c["non_trainable_weight_count"].get<std::size_t>());

    for (std::int64_t k = 0; k < 3; ++k) {
      INFO("call " << k);
      REQUIRE_CLOSE((*layer)(test::stateful_batch(seed, k)), test::stateful_values(c["y"][k], out), 1e-5, 1e-6);
      test::require_detached_states(*layer);
    }
    for (std::size_t i = 0; i < layer->states().size(); ++i)
      REQUIRE_CLOSE(layer->states()[i], test::stateful_values(c["states_after"][i], {2, 3}), 1e-5, 1e-6);

    // After reset_states() a call equals Keras's, and a fresh non-stateful layer's.
    layer->reset_states();
    const Tensor x3 = test::stateful_batch(seed, 3);
    const Tensor after_reset = (*layer)(x3);
    REQUIRE_CLOSE(after_reset, test::stateful_values(c["after_reset"], out), 1e-5, 1e-6);
    auto fresh = test::stateful_rnn(cls, rs, false);
    fresh->build({2, 4, 3});
    fresh->set_weights(layer->get_weights());
    REQUIRE_CLOSE(after_reset, (*fresh)(x3), 0.0, 1e-12);

    // A given initial_state replaces the kept one for this call; its final states are kept.
    layer->reset_state();
    std::vector<Tensor> init;
    for (std::int64_t j = 0; j < static_cast<std::int64_t>(layer->states().size()); ++j)
      init.push_back(test::stateful_batch(seed, 10 + j, {2, 3}));
    REQUIRE_CLOSE(layer->call_with_state(test::stateful_batch(seed, 4), false, init).output,
                  test::stateful_values(c["with_initial_state"], out), 1e-5, 1e-6);
    REQUIRE_CLOSE((*layer)(test::stateful_batch(seed, 5)), test::stateful_values(c["after_initial_state"], out), 1e-5,
                  1e-6);

    // Masked timesteps carry the states over, into the next call too.
    layer->reset_state();
    std::vector<double> m;
    for (const auto& row : c["mask"])
      for (const auto& v : row) m.push_back(v.get<double>());
    const Tensor mask = Tensor::from_vector(m, {2, 4}).to(DType::Float32);
    REQUIRE_CLOSE(layer->call_with_mask(test::stateful_batch(seed, 6), mask).value,
                  test::stateful_values(c["with_mask"], out), 1e-5, 1e-6);
    REQUIRE_CLOSE((*layer)(test::stateful_batch(seed, 7)), test::stateful_values(c["after_mask"], out), 1e-5, 1e-6);

    // Another batch size: Keras's ValueError.
    REQUIRE(c["batch_size_error"].get<std::string>().find("Expected batch size: 2") != std::string::npos);
    REQUIRE_THROWS_WITH_ALL((*layer)(test::pattern({3, 4, 3}, seed)), std::invalid_argument, cls.c_str(),
                            "If an RNN is stateful, the batch size of the input sequences must be the same as the "
                            "batch size of the initial state",
                            "Expected batch size: 2", "received batch size: 3");

    // "stateful" round-trips through the config and the registry.
    const json config = layer->get_config();
    CHECK(config["stateful"] == c["config_stateful"]);
    auto loaded = std::dynamic_pointer_cast<RNNBase>(optim::layer_from_config({{"class_name", cls}, {"config", config}}));
    REQUIRE(loaded);
    CHECK(loaded->args().stateful);
    CHECK(loaded->get_config() == config);
  }
}

TEST_CASE("A stateful RNN built without a batch size takes it from its first call", "[layers][rnn][stateful]") {
  LSTM lstm({.units = 2, .stateful = true});
  lstm.build({-1, 4, 3});
  CHECK(lstm.states().empty());
  lstm.reset_state();  // nothing to reset yet
  const Tensor x = test::pattern({5, 4, 3}, 3);
  const Tensor first = lstm(x);
  REQUIRE(lstm.states().size() == 2u);
  CHECK(lstm.states()[1].shape() == Shape{5, 2});
  REQUIRE_THROWS_WITH_ALL(lstm(test::pattern({4, 4, 3}, 3)), std::invalid_argument, "Expected batch size: 5",
                          "received batch size: 4");
  lstm.reset_states();
  REQUIRE_CLOSE(lstm(x), first, 0.0, 1e-12);
}

TEST_CASE("A stateful RNN keeps no graph across 1000 training calls", "[layers][rnn][stateful]") {
  // Keras assigns the final states to variables: values. Each call's graph (through trainable
  // weights and an input that requires grad) ends with the call, so memory cannot grow with calls.
  GRU gru({.units = 4, .return_sequences = true, .stateful = true});
  Tensor x = test::pattern({2, 3, 5}, 9, DType::Float32).set_requires_grad();
  for (int i = 0; i < 1000; ++i) {
    Tensor y = gru(x, true);
    REQUIRE(y.grad_fn() != nullptr);  // this call's graph exists...
    test::require_detached_states(gru);  // ...and the kept states are not part of it
    if (i == 999) y.sum().backward();
  }
  REQUIRE(x.grad().defined());  // the last call's graph is whole
}
