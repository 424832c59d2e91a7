// A Model over a stateful SimpleRNN, LSTM or GRU runs predict's and fit's batches in order through the
// same states, as Keras documents (fixture: tests/reference/keras_stateful_rnn.py's "model" cases,
// the Keras model called on the batches in order; Keras 3's jax backend does not carry the states
// through its jitted predict and fit, which the script records and minidl does not copy).
#include "support/stateful_rnn_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;

TEST_CASE("predict and fit over a stateful RNN carry the states across batches as Keras", "[optim][rnn][stateful]") {
  for (const auto& c : test::stateful_rnn_fixture()["model"]) {
    const std::string cls = c["cls"];
    const std::int64_t seed = c["seed"];
    INFO(cls);
    auto rnn = test::stateful_rnn(cls);
    auto net = std::make_shared<Sequential>(SequentialOptions{.input_shape = Shape{4, 3}});
    net->add(rnn);
    net->add(Dense({.units = 2}));
    std::vector<Tensor> ws;
    for (std::size_t i = 0; i < c["weight_shapes"].size(); ++i)
      ws.push_back(test::pattern(test::shape_from_json(c["weight_shapes"][i]), seed + 1 + static_cast<std::int64_t>(i)));
    net->set_weights(ws);
    optim::Model model(net);
    const Tensor x = test::pattern({6, 4, 3}, seed + 30), y = test::pattern({6, 2}, seed + 31);
    REQUIRE_CLOSE(model.predict(x, {.batch_size = 2}), test::stateful_values(c["predict"], {6, 2}), 1e-5, 1e-6);
    // No reset in between: the second pass continues from the first's states.
    REQUIRE_CLOSE(model.predict(x, {.batch_size = 2}), test::stateful_values(c["predict_again"], {6, 2}), 1e-5, 1e-6);
    test::require_detached_states(*rnn);

    // fit runs its batches in order through the states too (learning rate 0 keeps the weights, so
    // the states after one epoch are those of the three batches in order).
    rnn->reset_state();
    model.compile({.optimizer = optim::SGD({.learning_rate = 0.0}), .loss = "mse"});
    model.fit(x, y, {.batch_size = 2, .epochs = 1, .verbose = 0, .shuffle = false});
    for (std::size_t i = 0; i < rnn->states().size(); ++i)
      REQUIRE_CLOSE(rnn->states()[i], test::stateful_values(c["states_after_3_batches"][i], {2, 3}), 1e-5, 1e-6);
    test::require_detached_states(*rnn);

    // A last partial batch has another batch size: refused, as Keras.
    REQUIRE_THROWS_WITH_ALL(model.predict(test::pattern({5, 4, 3}, seed), {.batch_size = 2}), std::invalid_argument,
                            "Expected batch size: 2", "received batch size: 1");
  }
}
