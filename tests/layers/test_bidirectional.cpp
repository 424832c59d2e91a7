// Keras's Bidirectional wrapper. Against the real Keras 3 (fixture: tests/reference/keras_bidirectional.py):
// SimpleRNN, LSTM and GRU, every merge mode, return_sequences, return_state, masks, initial_state, a
// custom backward layer and stateful calls: outputs, gradients w.r.t. the input and every weight,
// get_config, Keras's model config loaded. Also the flip op (a hand-written reversal and a float64
// gradient check), a float64 gradient check through the wrapper, and Keras's errors.
#include "support/functional_case.h"
#include "support/keras_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;
using Inputs = std::vector<Tensor>;
using KTs = std::vector<KerasTensor>;

namespace {

std::shared_ptr<RNNBase> rnn(const json& c, const std::string& name, bool backwards = false,
                             const std::string& activation = "tanh", const std::string& dtype = "float32") {
  const std::string cls = c["cls"];
  const std::int64_t units = c["units"];
  const bool seq = c["return_sequences"], state = c["return_state"], stateful = c["stateful"];
  if (cls == "LSTM")
    return std::make_shared<LSTM>(LSTMOptions{.units = units, .activation = activation, .return_sequences = seq,
                                              .return_state = state, .go_backwards = backwards, .stateful = stateful,
                                              .name = name, .dtype = dtype});
  if (cls == "GRU")
    return std::make_shared<GRU>(GRUOptions{.units = units, .activation = activation, .return_sequences = seq,
                                            .return_state = state, .go_backwards = backwards, .stateful = stateful,
                                            .name = name, .dtype = dtype});
  return std::make_shared<SimpleRNN>(SimpleRNNOptions{.units = units, .activation = activation, .return_sequences = seq,
                                                      .return_state = state, .go_backwards = backwards,
                                                      .stateful = stateful, .name = name, .dtype = dtype});
}

std::optional<std::string> merge_mode_of(const json& c) {
  return c["merge_mode"].is_null() ? std::nullopt : std::optional<std::string>(c["merge_mode"].get<std::string>());
}

// The script's case(): x (-> Masking) (+ initial states) -> Bidirectional, every output a model output.
std::shared_ptr<Functional> model_for(const json& c) {
  clear_session();
  const Shape shape = test::shape_from_json(c["shape"]);
  const bool stateful = c["stateful"];
  auto x = Input({.batch_shape = stateful ? shape : Shape{-1, shape[1], shape[2]}, .name = "x"});
  KerasTensor h = c["lengths"].is_null() ? x : Masking({.mask_value = 0.0, .name = "mask"})(x);
  BidirectionalOptions o{.merge_mode = merge_mode_of(c), .name = "bi"};
  if (!c["backward_activation"].is_null()) o.backward_layer = rnn(c, "back", true, c["backward_activation"]);
  auto bi = std::make_shared<Bidirectional>(*rnn(c, "rnn"), o);
  KTs inputs{x}, states;
  if (c["initial_state"].get<bool>()) {
    const std::size_t count = c["cls"] == "LSTM" ? 4 : 2;
    for (std::size_t i = 0; i < count; ++i)
      states.push_back(Input({.shape = Shape{c["units"].get<std::int64_t>()}, .name = fmt::format("s{}", i)}));
    inputs.insert(inputs.end(), states.begin(), states.end());
  }
  const KTs outs = bi->call_with_state(h, states);
  return std::make_shared<Functional>(inputs, outs, FunctionalOptions{.name = "model"});
}

Inputs case_inputs(const json& c) {
  const Shape shape = test::shape_from_json(c["shape"]);
  const std::int64_t seed = c["seed"];
  Tensor x = test::pattern(shape, seed);
  if (!c["lengths"].is_null()) {  // post-padding: Masking(0) masks the zeroed timesteps
    std::vector<float> v = x.to_vector<float>();
    for (std::int64_t b = 0; b < shape[0]; ++b)
      for (std::int64_t t = c["lengths"][static_cast<std::size_t>(b)].get<std::int64_t>(); t < shape[1]; ++t)
        for (std::int64_t f = 0; f < shape[2]; ++f) v[static_cast<std::size_t>((b * shape[1] + t) * shape[2] + f)] = 0.0f;
    x = Tensor::from_vector(v, shape);
  }
  Inputs in{x};
  const std::size_t states = c["initial_state"].get<bool>() ? (c["cls"] == "LSTM" ? 4 : 2) : 0;
  for (std::size_t i = 0; i < states; ++i)
    in.push_back(test::pattern({shape[0], c["units"].get<std::int64_t>()}, seed + 1 + static_cast<std::int64_t>(i)));
  return in;
}

void set_case_weights(Functional& model, const json& c) { test::set_model_weights(model, c); }
void check_outputs(Functional& model, const json& c) { test::check_model_outputs(model, c, case_inputs(c)); }
using test::fixture_tensor;

}  // namespace

TEST_CASE("flip reverses an axis; its gradient is the flipped seed", "[autograd][shape_ops][flip]") {
  const Tensor x = Tensor::from_vector(std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {2, 3, 2});
  CHECK(flip(x, 1).to_vector<double>() == std::vector<double>{4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7});
  CHECK(flip(x, 0).to_vector<double>() == std::vector<double>{6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5});
  CHECK(flip(x, -1).to_vector<double>() == std::vector<double>{1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10});
  CHECK(flip(Tensor::zeros({2, 0, 3}), 1).shape() == Shape{2, 0, 3});
  for (std::int64_t axis : {0, 1, 2})
    REQUIRE_GRADCHECK("flip axis " + std::to_string(axis), [axis](const Inputs& in) { return flip(in[0] * in[0], axis); },
                      Inputs{test::random_leaf({3, 4, 2}, 80 + static_cast<std::uint64_t>(axis))});
  REQUIRE_THROWS_WITH_ALL(flip(x, 3), std::out_of_range, "flip axis=3", "rank 3");
}

TEST_CASE("Bidirectional matches Keras: outputs and gradients", "[layers][rnn][bidirectional][keras]") {
  const auto fx = test::load_fixture("keras_bidirectional.json");
  REQUIRE(fx["cases"].size() == 12);
  for (const auto& c : fx["cases"]) {
    INFO("case " << c["name"]);
    auto model = model_for(c);
    set_case_weights(*model, c);
    check_outputs(*model, c);
    if (c["stateful"].get<bool>()) {  // the second call starts from the first call's final states
      const auto y = model->call_outputs(case_inputs(c), false);
      REQUIRE_CLOSE(y[0], fixture_tensor(c["second_outputs"][0], y[0].shape()), 1e-5, 1e-6);
      std::dynamic_pointer_cast<Bidirectional>(model->get_layer("bi"))->reset_states();
      check_outputs(*model, c);  // Keras's gradients below start from the first call's final states too
    }

    test::check_model_gradients(*model, case_inputs(c), c);
  }
}

TEST_CASE("Bidirectional's config is Keras's; Keras's model configs load", "[layers][rnn][bidirectional][keras]") {
  const auto fx = test::load_fixture("keras_bidirectional.json");
  for (const auto& c : fx["cases"]) {
    INFO("case " << c["name"]);
    auto model = model_for(c);
    const auto bi = std::dynamic_pointer_cast<Bidirectional>(model->get_layer("bi"));
    REQUIRE(bi);
    const json ours = bi->get_config(), keras = c["layer_config"];
    for (const char* key : {"name", "trainable", "merge_mode"}) CHECK(ours[key] == keras[key]);
    for (const char* key : {"layer", "backward_layer"}) {
      INFO(key);
      CHECK(ours[key]["class_name"] == keras[key]["class_name"]);
      test::require_same_config(keras[key]["class_name"], ours[key]["config"], keras[key]["config"]);
    }
    {
      INFO("our config reloaded");
      auto again = std::dynamic_pointer_cast<Bidirectional>(optim::layer_from_config({{"class_name", "Bidirectional"}, {"config", ours}}));
      REQUIRE(again);
      CHECK(again->get_config() == ours);
    }
    INFO("Keras's model config loaded");
    auto loaded = std::dynamic_pointer_cast<Functional>(
        optim::layer_from_config({{"class_name", "Functional"}, {"config", c["model_config"]}}));
    REQUIRE(loaded);
    set_case_weights(*loaded, c);
    check_outputs(*loaded, c);
  }
}

TEST_CASE("Bidirectional: Sequential use, masks out, float64 gradient check", "[layers][rnn][bidirectional][gradcheck]") {
  // A plain layer call (one output): Keras's Sequential([Bidirectional(LSTM(..., return_sequences)), ...]).
  Bidirectional bi(LSTM({.units = 2, .return_sequences = true, .dtype = "float64"}), {.dtype = "float64"});
  CHECK(bi.name().starts_with("bidirectional"));
  CHECK(bi.forward_layer()->name().starts_with("forward_lstm"));
  CHECK(bi.backward_layer()->name().starts_with("backward_lstm"));
  CHECK(bi.backward_layer()->args().go_backwards);
  CHECK(bi.forward_layer()->args().zero_output_for_mask);  // forced to return_sequences, as Keras
  CHECK(bi.compute_output_shape({-1, 4, 3}) == Shape{-1, 4, 4});
  const Tensor mask = Tensor::from_vector(std::vector<double>{1, 1, 1, 0, 1, 0, 0, 0}, {2, 4});
  const Masked out = bi.call_with_mask(test::random_leaf({2, 4, 3}, 5), mask, false);
  CHECK(out.mask.to_vector<double>() == mask.to_vector<double>());
  std::uint64_t seed = 40;
  Inputs inputs{test::random_leaf({2, 4, 3}, ++seed)};
  for (const auto& v : bi.weights()) {
    v->assign(test::random_leaf(v->value.shape(), ++seed).detach());
    inputs.push_back(v->value);
  }
  for (const std::string mode : {"concat", "sum", "mul", "ave"}) {
    Bidirectional b(LSTM({.units = 2, .return_sequences = true, .dtype = "float64"}), {.merge_mode = mode, .dtype = "float64"});
    b.build({2, 4, 3});
    const auto w = b.weights();
    for (std::size_t j = 0; j < w.size(); ++j) w[j]->value = inputs[j + 1];
    REQUIRE_GRADCHECK("Bidirectional " + mode, [&](const Inputs&) { return b.call_with_mask(inputs[0], mask, false).value; }, inputs);
  }
}

TEST_CASE("Bidirectional errors are Keras's", "[layers][rnn][bidirectional][errors]") {
  REQUIRE_THROWS_WITH_ALL(Bidirectional(GRU({.units = 2}), {.merge_mode = "max"}), std::invalid_argument,
                          "Invalid merge mode. Received: max", "\"concat\", None");
  REQUIRE_THROWS_WITH_ALL(Bidirectional(GRU({.units = 2}), {.backward_layer = std::make_shared<GRU>(GRUOptions{.units = 2})}),
                          std::invalid_argument, "different `go_backwards` value");
  REQUIRE_THROWS_WITH_ALL(
      Bidirectional(GRU({.units = 2}), {.backward_layer = std::make_shared<GRU>(GRUOptions{.units = 2, .return_sequences = true, .go_backwards = true})}),
      std::invalid_argument, "same value for attribute \"return_sequences\"", "\"False\" for forward layer");
  Bidirectional states(LSTM({.units = 2, .return_state = true}));
  REQUIRE_THROWS_WITH_ALL(states(Tensor::zeros({1, 3, 2})), std::invalid_argument, "returns 5 tensors", "call_with_state");
  CHECK(states.call_with_state(Tensor::zeros({1, 3, 2})).size() == 5);
  REQUIRE_THROWS_WITH_ALL(states.call_with_state(Tensor::zeros({1, 3, 2}), false, {Tensor::zeros({1, 2})}),
                          std::invalid_argument, "even count", "received 1");
  REQUIRE_THROWS_WITH_ALL(states(Tensor::zeros({3, 2})), std::invalid_argument, "expected ndim=3", "found ndim=2");
  REQUIRE_THROWS_WITH_ALL(states.reset_states(), std::invalid_argument, "Layer must be stateful");
  auto x = Input({.shape = Shape{4, 3}});
  auto none = std::make_shared<Bidirectional>(LSTM({.units = 2}), BidirectionalOptions{.merge_mode = std::nullopt});
  REQUIRE_THROWS_WITH_ALL((*none)(x), std::invalid_argument, "returns 2 tensors", "merge_mode=None");
  CHECK(none->call_with_state(x).size() == 2);
}
