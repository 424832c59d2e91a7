// Keras's encoder-decoder (seq2seq) in the functional API: an RNN with return_state gives a node with
// several outputs whose states seed a decoder through initial_state. Against the real Keras 3 (fixture:
// tests/reference/keras_seq2seq.py): outputs, the gradients of a weighted sum of the outputs w.r.t.
// the inputs and every weight, Keras's own model config loaded; our config written and reloaded;
// float64 gradient checks through a small encoder-decoder; masks; errors.
#include "support/functional_case.h"
#include "support/keras_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;
using Inputs = std::vector<Tensor>;
using KTs = std::vector<KerasTensor>;

namespace {

std::shared_ptr<RNNBase> rnn(const std::string& cls, std::int64_t units, bool sequences, bool state,
                             const std::string& name, const std::string& dtype = "float32") {
  if (cls == "LSTM")
    return std::make_shared<LSTM>(LSTMOptions{.units = units, .return_sequences = sequences, .return_state = state,
                                              .name = name, .dtype = dtype});
  if (cls == "GRU")
    return std::make_shared<GRU>(GRUOptions{.units = units, .return_sequences = sequences, .return_state = state,
                                            .name = name, .dtype = dtype});
  return std::make_shared<SimpleRNN>(SimpleRNNOptions{.units = units, .return_sequences = sequences,
                                                      .return_state = state, .name = name, .dtype = dtype});
}

// The script's seq2seq(): encoder (return_state) -> its states -> decoder(initial_state) -> Dense.
std::shared_ptr<Functional> seq2seq(const std::string& cls, std::int64_t units = 4, bool enc_sequences = false,
                                    bool state_output = false, bool embedding = false,
                                    const std::string& dtype = "float32") {
  clear_session();
  KerasTensor enc_in, enc_x;
  if (embedding) {
    enc_in = Input({.shape = Shape{-1}, .dtype = dtype, .name = "enc_tokens"});
    enc_x = Embedding({.input_dim = 7, .output_dim = 3, .mask_zero = true, .name = "embed", .dtype = dtype})(enc_in);
  } else {
    enc_in = enc_x = Input({.shape = Shape{-1, 3}, .dtype = dtype, .name = "enc_in"});
  }
  auto dec_in = Input({.shape = Shape{-1, 2}, .dtype = dtype, .name = "dec_in"});
  const KTs enc = rnn(cls, units, enc_sequences, true, "encoder", dtype)->call_with_state(enc_x);
  const KTs states(enc.begin() + 1, enc.end());
  const KTs dec = rnn(cls, units, true, false, "decoder", dtype)->call_with_state(dec_in, states);
  REQUIRE(dec.size() == 1);
  auto out = Dense({.units = 3, .activation = "softmax", .name = "head", .dtype = dtype})(dec[0]);
  KTs outputs{out};
  if (state_output) outputs.push_back(states[0]);
  else if (enc_sequences) outputs.push_back(enc[0]);
  return std::make_shared<Functional>(KTs{enc_in, dec_in}, outputs, FunctionalOptions{.name = "seq2seq"});
}

std::shared_ptr<Functional> model_for(const json& c) {
  const std::string name = c["name"];
  if (name == "lstm") return seq2seq("LSTM");
  if (name == "gru_state_output") return seq2seq("GRU", 4, false, true);
  if (name == "simple_rnn_sequences") return seq2seq("SimpleRNN", 4, true);
  if (name == "lstm_sequences_state_output") return seq2seq("LSTM", 3, true, true);
  if (name == "gru_positional_states") return seq2seq("GRU");  // Keras's config differs, not the graph
  return seq2seq("GRU", 4, false, false, true);  // gru_embedding_mask
}

Inputs case_inputs(const json& c) {
  Inputs x;
  const std::int64_t seed = c["seed"];
  for (std::size_t i = 0; i < c["input_shapes"].size(); ++i) {
    const Shape s = test::shape_from_json(c["input_shapes"][i]);
    const std::int64_t k = seed + static_cast<std::int64_t>(i);
    x.push_back(c["embedding"].get<bool>() && i == 0 ? test::pattern_indices(s, k, 7) : test::pattern(s, k));
  }
  return x;
}

void set_case_weights(Functional& model, const json& c) { test::set_model_weights(model, c); }
void check_outputs(Functional& model, const json& c) { test::check_model_outputs(model, c, case_inputs(c)); }
using test::fixture_tensor;

}  // namespace

TEST_CASE("seq2seq: encoder states seed the decoder as in Keras (outputs and gradients)", "[layers][rnn][functional][keras]") {
  const auto fx = test::load_fixture("keras_seq2seq.json");
  REQUIRE(fx["cases"].size() == 6);
  for (const auto& c : fx["cases"]) {
    INFO("case " << c["name"]);
    auto model = model_for(c);
    set_case_weights(*model, c);
    check_outputs(*model, c);

    // loss = sum_k sum(y_k * pattern(shape_k, seed + 200 + k)), differentiated by the tape.
    test::check_model_gradients(*model, case_inputs(c), c);
  }
}

TEST_CASE("seq2seq: Keras's own model config loads, and ours round-trips", "[layers][rnn][functional][keras]") {
  const auto fx = test::load_fixture("keras_seq2seq.json");
  for (const auto& c : fx["cases"]) {
    INFO("case " << c["name"]);
    auto model = model_for(c);
    const json ours = model->get_config();
    // Keras writes the decoder's initial_state in kwargs and the states by tensor_index.
    const json& keras_layers = c["config"]["layers"];
    auto inbound = [](const json& layers_json, const std::string& name) {
      for (const auto& l : layers_json)
        if (l["name"] == name) return l["inbound_nodes"];
      return json();
    };
    if (c["name"] != "gru_positional_states") CHECK(inbound(ours["layers"], "decoder") == inbound(keras_layers, "decoder"));
    else CHECK(inbound(keras_layers, "decoder")[0]["args"].size() == 2);  // (dec_in, [h]): states loaded from args
    // Keras writes one output of a model given a bare tensor unnested (["head", 0, 0]); minidl always
    // writes the list, which Keras reads too.
    json keras_outputs = c["config"]["output_layers"];
    if (keras_outputs[0].is_string()) keras_outputs = json::array({keras_outputs});
    CHECK(ours["output_layers"] == keras_outputs);
    CHECK(ours["input_layers"] == c["config"]["input_layers"]);
    {
      INFO("ours reloaded");
      auto loaded = std::dynamic_pointer_cast<Functional>(optim::layer_from_config({{"class_name", "Functional"}, {"config", ours}}));
      REQUIRE(loaded);
      CHECK(loaded->get_config() == ours);
      set_case_weights(*loaded, c);
      check_outputs(*loaded, c);
    }
    // With Embedding(mask_zero), Keras's config also holds the NotEqual node of the mask it hands the
    // encoder in its `mask` keyword: read as an op node (op_layer.h); minidl hands masks along itself.
    INFO("Keras's config loaded");
    auto keras_model = std::dynamic_pointer_cast<Functional>(
        optim::layer_from_config({{"class_name", "Functional"}, {"config", c["config"]}}));
    REQUIRE(keras_model);
    set_case_weights(*keras_model, c);
    check_outputs(*keras_model, c);
  }
}

TEST_CASE("seq2seq: tf.keras's (Keras 2) nodes list an RNN's states after its sequence", "[layers][rnn][functional]") {
  // tf.keras's RNN.__call__ appended initial_state to the inputs ([x] + states), so its config holds
  // one list [[layer, node_index, tensor_index, kwargs], ...] per node.
  const auto fx = test::load_fixture("keras_seq2seq.json");
  const json& c = fx["cases"][0];  // LSTM
  json config = c["config"];
  for (auto& l : config["layers"]) {
    json nodes = json::array();
    for (const auto& n : l["inbound_nodes"]) {
      json refs = json::array();
      auto add = [&refs](const json& t) { refs.push_back(t["config"]["keras_history"]); refs.back().push_back(json::object()); };
      add(n["args"][0]);
      if (n["kwargs"].contains("initial_state"))
        for (const auto& t : n["kwargs"]["initial_state"]) add(t);
      nodes.push_back(refs);
    }
    l["inbound_nodes"] = nodes;
  }
  INFO(config.dump());
  auto model = std::dynamic_pointer_cast<Functional>(optim::layer_from_config({{"class_name", "Functional"}, {"config", config}}));
  REQUIRE(model);
  set_case_weights(*model, c);
  check_outputs(*model, c);
}

TEST_CASE("seq2seq: nodes with several outputs, shapes, masks and summary", "[layers][rnn][functional]") {
  auto model = seq2seq("LSTM", 4, true, true);
  const auto& enc_node = model->outputs()[1].node();
  REQUIRE(enc_node->output_count() == 3);
  CHECK(model->outputs()[1].index() == 1);
  CHECK(enc_node->output_shapes == std::vector<Shape>{Shape{-1, -1, 4}, Shape{-1, 4}, Shape{-1, 4}});
  CHECK(model->output_names() == std::vector<std::string>{"head", "encoder"});  // Keras's model.output_names
  CHECK(model->compute_output_shapes_for({Shape{5, 7, 3}, Shape{5, 2, 2}}) ==
        std::vector<Shape>{Shape{5, 2, 3}, Shape{5, 4}});
  const std::string summary = model->summary_string();
  INFO(summary);
  // Keras lists the node's outputs, [(None, None, 4), (None, 4), (None, 4)], wrapped in the cell.
  CHECK(summary.find("│ encoder (LSTM)      │ [(None, None, 4), │") != std::string::npos);
  CHECK(summary.find("│ (None, 4), (None, │") != std::string::npos);
  CHECK(summary.find("│ 4)]               │") != std::string::npos);
  CHECK(summary.find("│ encoder[0]") != std::string::npos);  // encoder[0][1], wrapped
  CHECK(summary.find("[1],    │") != std::string::npos);
  CHECK(summary.find("[2]     │") != std::string::npos);

  SECTION("masks: the output keeps the input's with return_sequences, the states carry none (Keras's compute_mask)") {
    auto lstm = std::make_shared<LSTM>(LSTMOptions{.units = 2, .return_sequences = true, .return_state = true});
    const Tensor x = test::pattern({2, 3, 4}, 3), mask = Tensor::from_vector(std::vector<float>{1, 1, 0, 1, 0, 0}, {2, 3});
    lstm->build(x.shape());
    const auto out = lstm->call_node({x}, {mask}, {}, false);
    REQUIRE(out.size() == 3);
    REQUIRE(out[0].mask.defined());
    CHECK(out[0].mask.to_vector<float>() == mask.to_vector<float>());
    CHECK_FALSE(out[1].mask.defined());
    CHECK_FALSE(out[2].mask.defined());
    const RNNOutput eager = lstm->call_with_state(x, false, {}, mask);
    REQUIRE_CLOSE(out[2].value, eager.states[1], 1e-7, 1e-9);
  }
}

TEST_CASE("seq2seq: float64 gradient check through an encoder-decoder graph", "[layers][rnn][functional][gradcheck]") {
  for (const std::string cls : {"LSTM", "GRU", "SimpleRNN"})
    for (bool state_output : {false, true}) {
      auto model = seq2seq(cls, 2, state_output, state_output, false, "float64");
      std::uint64_t seed = 700;
      Inputs inputs{test::random_leaf({2, 3, 3}, ++seed), test::random_leaf({2, 2, 2}, ++seed)};
      for (const auto& v : model->weights()) {
        v->assign(test::random_leaf(v->value.shape(), ++seed).detach());
        inputs.push_back(v->value);
      }
      auto f = [&model](const Inputs& in) {
        Inputs all;
        for (const Tensor& y : model->call_outputs({in[0], in[1]}, false)) all.push_back(reshape(y, {-1}));
        return concat(all, 0);
      };
      REQUIRE_GRADCHECK(cls + (state_output ? " with a state output" : ""), f, inputs);
    }
}

TEST_CASE("seq2seq: errors name the argument and the value", "[layers][rnn][functional][errors]") {
  clear_session();
  auto x = Input({.shape = Shape{-1, 3}, .name = "x"});
  auto lstm_state = std::make_shared<LSTM>(LSTMOptions{.units = 4, .return_state = true, .name = "enc"});
  REQUIRE_THROWS_WITH_ALL((*lstm_state)(x), std::invalid_argument, "layer 'enc' (LSTM)", "returns 3 tensors",
                          "return_state=True", "call_with_state");
  const KTs enc = lstm_state->call_with_state(x);
  REQUIRE(enc.size() == 3);
  auto gru = std::make_shared<GRU>(GRUOptions{.units = 4, .name = "dec"});
  REQUIRE_THROWS_WITH_ALL(gru->call_with_state(x, {enc[1], enc[2]}), std::invalid_argument, "layer 'dec' (GRU)",
                          "initial_state must hold 1 tensor(s)", "received 2");
  auto lstm = std::make_shared<LSTM>(LSTMOptions{.units = 4, .name = "dec2"});
  REQUIRE_THROWS_WITH_ALL(lstm->call_with_state(x, {enc[1]}), std::invalid_argument, "layer 'dec2' (LSTM)",
                          "initial_state must hold 2 tensor(s), received 1", "[h, c]");
  auto narrow = std::make_shared<LSTM>(LSTMOptions{.units = 2, .name = "narrow"});
  REQUIRE_THROWS_WITH_ALL(narrow->call_with_state(x, {enc[1], enc[2]}), std::invalid_argument, "layer 'narrow' (LSTM)",
                          "initial state must have shape (None, 2), received (None, 4) (initial_state[0])");
  REQUIRE_THROWS_WITH_ALL(narrow->call_with_state(x, {enc[0], enc[0]}), std::invalid_argument, "(None, 4) (initial_state[0])");
  auto seq = std::make_shared<LSTM>(LSTMOptions{.units = 4, .return_sequences = true, .return_state = true, .name = "seq"});
  const KTs s = seq->call_with_state(x);
  REQUIRE_THROWS_WITH_ALL(lstm->call_with_state(x, {s[0], s[1]}), std::invalid_argument,
                          "received (None, None, 4) (initial_state[0])");
  REQUIRE_THROWS_WITH_ALL(lstm->call_with_state(x, {KerasTensor(), enc[1]}), std::invalid_argument, "layer 'dec2'",
                          "empty KerasTensor");
  auto fixed = Input({.batch_shape = Shape{3, 5, 3}, .name = "fixed"});
  auto other = Input({.batch_shape = Shape{2, 4}, .name = "other"});
  REQUIRE_THROWS_WITH_ALL(lstm->call_with_state(fixed, {other, other}), std::invalid_argument,
                          "initial state must have shape (3, 4), received (2, 4) (initial_state[0])");
  // The states as plain inputs of a layer call: the sequence only.
  REQUIRE_THROWS_WITH_ALL((*lstm)(KTs{x, enc[1], enc[2]}), std::invalid_argument, "layer 'dec2' (LSTM)",
                          "takes one sequence tensor", "call_with_state(x, initial_state)", "received 3 tensors");
  // Dense takes no initial_state.
  auto dense = std::make_shared<Dense>(DenseOptions{.units = 2, .name = "d"});
  REQUIRE_THROWS_WITH_ALL(record_node(dense, {enc[1], enc[2]}, CallArgs::initial_state(1)), std::invalid_argument, "layer 'd' (Dense)",
                          "takes no initial_state", "received 1 initial_state tensor(s)");
  // A reference to an output a node does not have, in a model config.
  auto model = std::make_shared<Functional>(x, enc[2]);
  json config = model->get_config();
  CHECK(config["output_layers"] == json::parse(R"([["enc", 0, 2]])"));
  config["output_layers"] = json::parse(R"([["enc", 0, 3]])");
  REQUIRE_THROWS_WITH_ALL(optim::layer_from_config({{"class_name", "Functional"}, {"config", config}}),
                          std::invalid_argument, "node 0 of layer 'enc' has 3 output(s)", "tensor_index=3");
}

TEST_CASE("seq2seq: the activity regularizer covers every output of a return_state node", "[layers][rnn][functional]") {
  // Keras's Layer.__call__ adds regularizer(y) / batch for each output in tree.flatten(outputs):
  // with return_state the states count too (checked with Keras 3: 0.1 * sum over [y, h, c] of sum(t^2) / batch).
  clear_session();
  auto x = Input({.shape = Shape{-1, 2}});
  auto lstm = std::make_shared<LSTM>(LSTMOptions{.units = 2, .activity_regularizer = regularizers::L2{.l2 = 0.1},
                                                 .return_state = true});
  const KTs outs = lstm->call_with_state(x);
  Functional model(x, outs);
  const Tensor in = test::pattern({3, 4, 2}, 8);
  const auto y = model.call_outputs({in}, false);
  REQUIRE(y.size() == 3);
  double expected = 0.0;
  for (const Tensor& t : y)
    for (float v : t.to_vector<float>()) expected += 0.1 * v * v / 3.0;
  const auto losses = lstm->losses();
  REQUIRE(losses.size() == 1);
  CHECK(losses[0].item() == Approx(expected).epsilon(1e-6));
}
