// MultiHeadAttention as a functional node with Keras's call options (use_causal_mask,
// attention_mask as a graph tensor, return_attention_scores giving two outputs, Embedding(mask_zero)
// masks combined with the causal mask), and Keras's mask= keyword on a node (an LSTM's, replacing
// the mask the graph hands along). Against the real Keras 3 (fixture:
// tests/reference/keras_mha_nodes.py): Keras's model JSON loads and gives Keras's outputs and
// gradients; the same models built with call_graph do too and write Keras's node kwargs; save and
// load_model; float64 gradient checks; errors; and tf.keras's (Keras 2) node format against tf_keras
// (tests/reference/tf_keras_mha_nodes.py).
#include <unistd.h>

#include <filesystem>

#include "minidl/layers/node_mask.h"
#include "support/functional_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;
using KTs = std::vector<KerasTensor>;

namespace {

// Float input i is pattern(shape, seed + i) (also a "mask_source", which only makes a mask), token
// ids pattern_indices(shape, seed + i, 7), an attention mask is stored in the fixture.
std::vector<Tensor> case_inputs(const json& c) {
  std::vector<Tensor> x;
  for (std::size_t i = 0; i < c["input_shapes"].size(); ++i) {
    const Shape s = test::shape_from_json(c["input_shapes"][i]);
    const std::string kind = c["kinds"][i];
    const std::int64_t seed = c["seed"].get<std::int64_t>() + static_cast<std::int64_t>(i);
    x.push_back(kind == "tokens" ? test::pattern_indices(s, seed, 7)
                : kind == "mask" ? test::fixture_tensor(c["stored_inputs"][i], s)
                                 : test::pattern(s, seed));
  }
  return x;
}

MultiHeadAttention mha(std::int64_t heads, std::int64_t key_dim, const std::string& dtype = "float32") {
  return MultiHeadAttention({.num_heads = heads, .key_dim = key_dim, .name = "mha", .dtype = dtype});
}

// The script's models, built with call_graph.
std::shared_ptr<Functional> model_for(const std::string& name) {
  clear_session();
  if (name == "causal_block") {
    auto x = Input({.shape = Shape{5, 4}, .name = "x"});
    auto a = mha(2, 3).call_graph(x, x, {.use_causal_mask = true});
    auto h = LayerNormalization({.name = "norm"})(Add({.name = "add"})(KTs{x, a}));
    return std::make_shared<Functional>(x, Dense({.units = 3, .name = "head"})(h), FunctionalOptions{.name = name});
  }
  if (name == "explicit_mask") {
    auto q = Input({.shape = Shape{3, 4}, .name = "q"});
    auto v = Input({.shape = Shape{5, 2}, .name = "v"});
    auto k = Input({.shape = Shape{5, 3}, .name = "k"});
    auto m = Input({.shape = Shape{3, 5}, .name = "m"});
    auto out = mha(2, 3).call_graph(q, v, {.key = k, .attention_mask = m});
    return std::make_shared<Functional>(KTs{q, v, k, m}, out, FunctionalOptions{.name = name});
  }
  if (name == "scores") {
    auto q = Input({.shape = Shape{4, 3}, .name = "q"});
    auto v = Input({.shape = Shape{4, 2}, .name = "v"});
    return std::make_shared<Functional>(KTs{q, v}, mha(3, 2).call_graph_with_scores(q, v, {.use_causal_mask = true}),
                                        FunctionalOptions{.name = name});
  }
  if (name == "lstm_mask_kwarg") {  // Keras's LSTM(4)(e, mask=ops.greater(m, 0.0))
    auto tok = Input({.shape = Shape{5}, .name = "tokens"});
    auto m = Input({.shape = Shape{5}, .name = "m"});
    auto e = Embedding({.input_dim = 7, .output_dim = 3, .mask_zero = true, .name = "embed"})(tok);
    auto keep = ops::greater(m, 0.0);
    auto lstm = std::make_shared<LSTM>(LSTMOptions{.units = 4, .return_sequences = true, .name = "lstm"});
    return std::make_shared<Functional>(KTs{tok, m}, call_with_mask(lstm, e, keep),
                                        FunctionalOptions{.name = name});
  }
  REQUIRE(name == "embedded_causal");
  auto tok = Input({.shape = Shape{6}, .name = "tokens"});
  auto e = Embedding({.input_dim = 7, .output_dim = 4, .mask_zero = true, .name = "embed"})(tok);
  auto a = mha(2, 2).call_graph(e, e, {.use_causal_mask = true});
  return std::make_shared<Functional>(tok, Dense({.units = 2, .name = "head"})(a), FunctionalOptions{.name = name});
}

using test::entry_named;
using test::functional_from_json;

// Every layer's inbound nodes (its calls with their kwargs) as Keras wrote them.
void check_nodes_as_keras(const json& ours, const json& keras) {
  REQUIRE(ours["layers"].size() == keras["layers"].size());
  for (const auto& l : ours["layers"]) {
    INFO("layer " << l["name"]);
    CHECK(l["inbound_nodes"] == entry_named(keras, l["name"])["inbound_nodes"]);
  }
  // Keras writes a single input/output reference unwrapped, minidl always as a list.
  auto listed = [](const json& refs) { return refs.size() == 3 && refs[0].is_string() ? json::array({refs}) : refs; };
  CHECK(ours["input_layers"] == listed(keras["input_layers"]));
  CHECK(ours["output_layers"] == listed(keras["output_layers"]));
}

// tf.keras's fixtures list the shapes of model.get_weights(): weight j is pattern(shape_j, seed + 100 + j).
void set_tf_keras_weights(Functional& model, const json& c) {
  const auto weights = model.weights();
  REQUIRE(weights.size() == c["weight_shapes"].size());
  std::vector<Tensor> values;
  for (std::size_t j = 0; j < weights.size(); ++j) {
    INFO("weight " << weights[j]->path);
    REQUIRE(weights[j]->value.shape() == test::shape_from_json(c["weight_shapes"][j]));
    values.push_back(test::pattern(weights[j]->value.shape(), c["seed"].get<std::int64_t>() + 100 + static_cast<std::int64_t>(j)));
  }
  model.set_weights(values);
}

}  // namespace

TEST_CASE("MHA nodes: Keras's model JSON loads and gives Keras's outputs and gradients", "[optim][attention][functional][keras]") {
  const auto fx = test::load_fixture("keras_mha_nodes.json");
  REQUIRE(fx["cases"].size() == 5);
  for (const auto& c : fx["cases"]) {
    INFO("case " << c["name"]);
    clear_session();
    auto model = functional_from_json(c["model_json"]);
    test::set_model_weights(*model, c);
    test::check_model_outputs(*model, c, case_inputs(c));
    test::check_model_gradients(*model, case_inputs(c), c);
    // get_config writes Keras's node kwargs back (attention_mask, use_causal_mask, return_attention_scores).
    check_nodes_as_keras(model->get_config(), c["model_json"]["config"]);
  }
}

TEST_CASE("MHA nodes: the models built with call_graph give Keras's outputs and configs", "[optim][attention][functional][keras]") {
  const auto fx = test::load_fixture("keras_mha_nodes.json");
  for (const auto& c : fx["cases"]) {
    INFO("case " << c["name"]);
    auto model = model_for(c["name"]);
    test::set_model_weights(*model, c);
    test::check_model_outputs(*model, c, case_inputs(c));
    test::check_model_gradients(*model, case_inputs(c), c);
    const json ours = model->get_config();
    check_nodes_as_keras(ours, c["model_json"]["config"]);
    INFO("ours reloaded");
    auto again = functional_from_json({{"class_name", "Functional"}, {"config", ours}});
    CHECK(again->get_config() == ours);
    test::set_model_weights(*again, c);
    test::check_model_outputs(*again, c, case_inputs(c));
  }
}

TEST_CASE("MHA nodes: the scores are a second output, without a mask; the output keeps the query's", "[optim][attention][functional]") {
  clear_session();
  auto tok = Input({.shape = Shape{4}, .name = "tokens"});
  auto e = Embedding({.input_dim = 5, .output_dim = 4, .mask_zero = true})(tok);
  auto att = std::make_shared<MultiHeadAttention>(MultiHeadAttentionOptions{.num_heads = 2, .key_dim = 2});
  const auto outs = att->call_graph_with_scores(e, e, {.use_causal_mask = true});
  REQUIRE(outs.size() == 2);
  CHECK(outs[0].shape() == Shape{-1, 4, 4});
  CHECK(outs[1].shape() == Shape{-1, 2, 4, 4});
  Functional model(tok, outs);
  const Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 0, 3, 4, 0, 0, 1}, Shape{2, 4});
  const auto y = model.call_outputs_masked({x}, {}, false);
  REQUIRE(y[0].mask.defined());
  REQUIRE_CLOSE(y[0].mask.to(DType::Float64), Tensor::from_vector(std::vector<double>{1, 1, 0, 1, 1, 0, 0, 1}, Shape{2, 4}), 0.0, 1e-30);  // identical
  CHECK_FALSE(y[1].mask.defined());
  // The eager call with the same masks gives the same (the node runs attend()).
  const Tensor emb = (*model.layers()[1])(x, false);
  const Tensor keep = y[0].mask;
  const auto eager = att->attend(emb, emb, {.query_mask = keep, .value_mask = keep, .key_mask = keep,
                                            .use_causal_mask = true, .return_attention_scores = true});
  REQUIRE_CLOSE(y[0].value, eager.output, 0.0, 1e-30);  // identical
  REQUIRE_CLOSE(y[1].value, eager.scores, 0.0, 1e-30);  // identical
  // Causal and padding: position 0 attends to itself only; a padded key gets no weight.
  CHECK(y[1].value.value_at({0, 0, 0, 0}) == Approx(1.0));
  // Four positional tensors are not a MultiHeadAttention call.
  REQUIRE_THROWS_WITH_ALL((*att)(KTs{e, e, e, e}), std::invalid_argument, "takes query and value");
}

TEST_CASE("MHA nodes: save and load_model keep the call options", "[optim][attention][functional][saving]") {
  const auto dir = std::filesystem::temp_directory_path() / ("minidl_mha_nodes_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto fx = test::load_fixture("keras_mha_nodes.json");
  for (const auto& c : fx["cases"]) {
    INFO("case " << c["name"]);
    auto net = model_for(c["name"]);
    test::set_model_weights(*net, c);
    optim::Model model(net);
    model.save(dir / "m.safetensors");
    optim::Model loaded = optim::load_model(dir / "m.safetensors");
    CHECK(loaded.to_json()["config"] == model.to_json()["config"]);
    auto* f = dynamic_cast<Functional*>(&loaded.network());
    REQUIRE(f);
    test::check_model_outputs(*f, c, case_inputs(c));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("MHA nodes: float64 gradients through use_causal_mask and attention_mask match finite differences", "[optim][attention][functional][gradcheck]") {
  for (const bool scores : {false, true}) {
    for (const bool masking : {false, true}) {
      INFO("scores " << scores << " masking " << masking);
      clear_session();
      auto x = Input({.shape = Shape{4, 3}, .dtype = "float64", .name = "x"});
      auto v = Input({.shape = Shape{5, 2}, .dtype = "float64", .name = "v"});
      auto m = Input({.shape = Shape{4, 5}, .dtype = "float64", .name = "m"});
      // Masking zeroes nothing here (no all-zero step) but hands a Keras mask along the graph.
      auto q = masking ? Masking({.mask_value = 7.0, .dtype = "float64"})(x) : x;
      auto att = std::make_shared<MultiHeadAttention>(
          MultiHeadAttentionOptions{.num_heads = 2, .key_dim = 2, .bias_initializer = "glorot_uniform", .dtype = "float64"});
      const GraphAttentionCall call{.attention_mask = m, .use_causal_mask = true};
      KTs outs = scores ? att->call_graph_with_scores(q, v, call) : KTs{att->call_graph(q, v, call)};
      outs.push_back(Dense({.units = 2, .dtype = "float64"})(outs[0]));
      Functional model(KTs{x, v, m}, outs);
      // (2, 4, 5), every query keeps key 0 (which the causal mask keeps too).
      std::vector<double> keep{1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0};
      keep.insert(keep.end(), {1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1});
      const Tensor m2 = Tensor::from_vector(keep, Shape{2, 4, 5}).to(DType::Float64);
      auto f = [&](const std::vector<Tensor>& in) {
        const auto y = model.call_outputs({in[0], in[1], m2}, false);
        Tensor total;
        for (std::size_t k = 0; k < y.size(); ++k) {
          const Tensor term = (y[k] * test::pattern(y[k].shape(), 7 + static_cast<std::int64_t>(k), DType::Float64)).sum();
          total = total.defined() ? total + term : term;
        }
        return total;
      };
      REQUIRE_GRADCHECK("mha node", f, {test::random_leaf({2, 4, 3}, 11), test::random_leaf({2, 5, 2}, 12)});
    }
  }
}

TEST_CASE("MHA nodes: bad call options are refused with a clear message", "[optim][attention][functional][errors]") {
  clear_session();
  auto q = Input({.shape = Shape{3, 4}, .name = "q"});
  auto v = Input({.shape = Shape{5, 2}, .name = "v"});
  auto wrong = Input({.shape = Shape{3, 4}, .name = "wrong"});
  auto att = std::make_shared<MultiHeadAttention>(MultiHeadAttentionOptions{.num_heads = 2, .key_dim = 2, .name = "att"});
  REQUIRE_THROWS_WITH_ALL(att->call_graph(q, v, {.attention_mask = wrong}), std::invalid_argument, "layer 'att'",
                          "`attention_mask` must have shape", "(None, 3, 5)", "received attention_mask shape (None, 3, 4)");
  auto rank1 = Input({.batch_shape = Shape{5}, .name = "rank1"});
  REQUIRE_THROWS_WITH_ALL(att->call_graph(q, v, {.attention_mask = rank1}), std::invalid_argument, "attention_mask",
                          "(5,)");
  // A keyword on a layer that does not take it names the layer, the keyword and the value.
  auto dense = std::make_shared<Dense>(DenseOptions{.units = 2, .name = "dense"});
  CallArgs causal;
  causal.values["use_causal_mask"] = true;
  REQUIRE_THROWS_WITH_ALL(record_node(dense, {q}, causal), std::invalid_argument, "layer 'dense' (Dense)",
                          "takes no use_causal_mask", "use_causal_mask=true");
  CallArgs mask_kw;
  mask_kw.tensors.emplace_back("attention_mask", 1);
  REQUIRE_THROWS_WITH_ALL(record_node(dense, {q, v}, mask_kw), std::invalid_argument, "layer 'dense' (Dense)",
                          "takes no attention_mask", "1 attention_mask tensor(s)");
  auto lstm = std::make_shared<LSTM>(LSTMOptions{.units = 2, .name = "lstm"});
  REQUIRE_THROWS_WITH_ALL(record_node(lstm, {q}, causal), std::invalid_argument, "layer 'lstm' (LSTM)",
                          "takes no use_causal_mask", "use_causal_mask=true");
  CallArgs not_bool;
  not_bool.values["use_causal_mask"] = 1;
  REQUIRE_THROWS_WITH_ALL(record_node(att, {q, v}, not_bool), std::invalid_argument, "layer 'att' (MultiHeadAttention)",
                          "`use_causal_mask` must be a boolean", "use_causal_mask=1");
  CallArgs unknown;
  unknown.values["scale"] = 2.0;
  REQUIRE_THROWS_WITH_ALL(record_node(att, {q, v}, unknown), std::invalid_argument, "layer 'att' (MultiHeadAttention)",
                          "takes no scale", "scale=2.0");
  // Keras's mask= keyword of the wrong shape: named with the layer and both shapes.
  REQUIRE_THROWS_WITH_ALL(call_with_mask(lstm, q, v), std::invalid_argument, "layer 'lstm' (LSTM)",
                          "`mask` keyword", "(None, 3, 4)", "(None, 5, 2)");
  // Keras's config: an attention_mask naming a tensor of the wrong shape.
  auto model = std::make_shared<Functional>(KTs{q, v, wrong}, att->call_graph(q, v, {.use_causal_mask = true}));
  json config = model->get_config();
  for (auto& l : config["layers"])
    if (l["name"] == "att") l["inbound_nodes"][0]["kwargs"]["attention_mask"] = l["inbound_nodes"][0]["args"][0];
  REQUIRE_THROWS_WITH_ALL(functional_from_json({{"class_name", "Functional"}, {"config", config}}), std::invalid_argument,
                          "layer 'att'", "attention_mask", "(None, 3, 4)");
}

TEST_CASE("MHA nodes: tf.keras (Keras 2) configs with attention and mask keywords load and give tf.keras's outputs", "[optim][attention][functional][keras]") {
  // Fixture: tests/reference/tf_keras_mha_nodes.py (tf_keras 2.21). Keras 2 writes the query's reference
  // with a dict of the other arguments: [[["q", 0, 0, {"value": ["v", 0, 0], "key": ..., "attention_mask": ...}]]],
  // and an LSTM's explicit mask= as [[["embed", 0, 0, {"mask": ["m", 0, 0]}]]].
  const auto fx = test::load_fixture("tf_keras_mha_nodes.json");
  REQUIRE(fx["cases"].size() == 3);
  for (const auto& c : fx["cases"]) {
    INFO("case " << c["name"]);
    clear_session();
    auto model = functional_from_json({{"class_name", "Functional"}, {"config", c["config"]}});
    set_tf_keras_weights(*model, c);
    test::check_model_outputs(*model, c, case_inputs(c));
  }
  // The explicit_mask_scores case really used its mask and its key: without them the output differs.
  const json& c = fx["cases"][0];
  REQUIRE(c["name"] == "explicit_mask_scores");
  json config = c["config"];
  for (auto& l : config["layers"])
    if (l["name"] == "mha") {
      REQUIRE(l["inbound_nodes"][0][0][3].contains("attention_mask"));
      l["inbound_nodes"][0][0][3].erase("attention_mask");
    }
  clear_session();
  auto unmasked = functional_from_json({{"class_name", "Functional"}, {"config", config}});
  set_tf_keras_weights(*unmasked, c);
  const Tensor y = unmasked->call_outputs(case_inputs(c), false)[0];
  CHECK_FALSE(test::compare(y, test::fixture_tensor(c["outputs"][0]["y"], y.shape()), 1e-3, 1e-4).ok);
  // A Keras 2 node of another shape is refused with the node in the message.
  for (auto& l : config["layers"])
    if (l["name"] == "mha") l["inbound_nodes"][0][0][3] = "value";
  REQUIRE_THROWS_WITH_ALL(functional_from_json({{"class_name", "Functional"}, {"config", config}}), std::invalid_argument,
                          "MultiHeadAttention 'mha'", "Keras 2 inbound node", "[[query_layer, node_index, tensor_index");
}
