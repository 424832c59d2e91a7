// Keras 3's MultiHeadAttention. Against the real Keras 3.15 (fixture: tests/reference/keras_mha.py):
// outputs, attention scores, gradients w.r.t. query/value/key and every weight, weight shapes and
// paths, get_config before and after building, and a functional model's config (mha(q, v), mha(x, x)).
// Also float64 gradient checks with and without masks, dropout, the errors, and a small model that
// trains, saves and loads.
#include <filesystem>
#include <unistd.h>

#include "support/fixtures.h"
#include "support/keras_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;

namespace {

std::optional<std::vector<std::int64_t>> int_list(const json& j) {
  if (j.is_null()) return std::nullopt;
  if (!j.is_array()) return std::vector<std::int64_t>{j.get<std::int64_t>()};
  return j.get<std::vector<std::int64_t>>();
}

MultiHeadAttentionOptions options_of(const json& l, const std::string& dtype = "float32") {
  return {.num_heads = l["num_heads"],
          .key_dim = l["key_dim"],
          .value_dim = l.contains("value_dim") ? std::optional<std::int64_t>(l["value_dim"].get<std::int64_t>()) : std::nullopt,
          .use_bias = l.value("use_bias", true),
          .output_shape = l.contains("output_shape") ? int_list(l["output_shape"]) : std::nullopt,
          .sliding_window = l.contains("sliding_window") ? std::optional<std::int64_t>(l["sliding_window"].get<std::int64_t>())
                                                         : std::nullopt,
          .use_gate = l.value("use_gate", false),
          .dtype = dtype};
}

Tensor mask_tensor(const json& m, DType dtype = DType::Float32) {
  if (m.is_null()) return {};
  std::vector<double> v;
  Shape s;
  if (m[0][0].is_array()) {
    for (const auto& a : m)
      for (const auto& b : a)
        for (const auto& c : b) v.push_back(c.get<double>());
    s = Shape{static_cast<std::int64_t>(m.size()), static_cast<std::int64_t>(m[0].size()), static_cast<std::int64_t>(m[0][0].size())};
  } else {
    for (const auto& a : m)
      for (const auto& b : a) v.push_back(b.get<double>());
    s = Shape{static_cast<std::int64_t>(m.size()), static_cast<std::int64_t>(m[0].size())};
  }
  return Tensor::from_vector(v, s).to(dtype);
}

double max_abs(const Tensor& x) { return max(abs(x)).item(); }

using test::fixture_tensor;

struct Case {
  std::shared_ptr<MultiHeadAttention> layer;
  Tensor query, value, key;
  AttentionCall call;
};

Case make_case(const json& c) {
  Case k;
  k.layer = std::make_shared<MultiHeadAttention>(options_of(c["layer"]));
  const std::int64_t seed = c["seed"], b = c["B"], t = c["T"], s = c["S"];
  k.query = test::pattern({b, t, c["dq"].get<std::int64_t>()}, seed).set_requires_grad();
  k.value = test::pattern({b, s, c["dv"].get<std::int64_t>()}, seed + 1).set_requires_grad();
  if (!c["dk"].is_null()) k.key = test::pattern({b, s, c["dk"].get<std::int64_t>()}, seed + 2).set_requires_grad();
  k.layer->build_for(k.query.shape(), k.value.shape(), k.key.defined() ? std::optional<Shape>(k.key.shape()) : std::nullopt);
  const auto weights = k.layer->weights();
  REQUIRE(weights.size() == c["weight_shapes"].size());
  std::vector<Tensor> w;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    REQUIRE(weights[i]->value.shape() == test::shape_from_json(c["weight_shapes"][i]));
    w.push_back(test::pattern(weights[i]->value.shape(), seed + 100 + static_cast<std::int64_t>(i)));
  }
  k.layer->set_weights(w);
  const json& call = c["call"];
  k.call = {.key = k.key,
            .attention_mask = mask_tensor(c["attention_mask"]),
            .query_mask = mask_tensor(c["query_mask"]),
            .value_mask = mask_tensor(c["value_mask"]),
            .use_causal_mask = call.value("use_causal_mask", false),
            .return_attention_scores = call.value("return_attention_scores", false)};
  return k;
}

}  // namespace

TEST_CASE("MultiHeadAttention matches Keras: outputs, scores, gradients, weights", "[layers][attention][keras]") {
  const auto fx = test::load_fixture("keras_mha.json");
  for (const auto& c : fx["cases"]) {
    SECTION(c["name"].get<std::string>()) {
      clear_session();
      Case k = make_case(c);
      const std::int64_t seed = c["seed"];
      // Keras's paths are "multi_head_attention_<i>/query/kernel": compare after the layer's name.
      const auto weights = k.layer->weights();
      for (std::size_t i = 0; i < weights.size(); ++i) {
        const std::string keras = c["weight_paths"][i];
        CHECK(weights[i]->path.substr(weights[i]->path.find('/')) == keras.substr(keras.find('/')));
      }
      AttentionResult r = k.layer->attend(k.query, k.value, k.call);
      REQUIRE(r.output.shape() == test::shape_from_json(c["y_shape"]));
      REQUIRE_CLOSE(r.output, fixture_tensor(c["y"], r.output.shape()), 1e-5, 1e-6);
      Tensor loss = (r.output * test::pattern(r.output.shape(), seed + 200)).sum();
      if (c.contains("scores")) {
        REQUIRE(r.scores.shape() == test::shape_from_json(c["scores_shape"]));
        REQUIRE_CLOSE(r.scores, fixture_tensor(c["scores"], r.scores.shape()), 1e-5, 1e-6);
        loss = loss + (r.scores * test::pattern(r.scores.shape(), seed + 201)).sum();
      } else {
        CHECK_FALSE(r.scores.defined());
      }
      if (k.call.query_mask.defined()) REQUIRE_CLOSE(r.mask, k.call.query_mask, 0.0, 1e-30);  // the output keeps it
      loss.backward();
      const std::vector<Tensor> inputs =
          k.key.defined() ? std::vector<Tensor>{k.query, k.value, k.key} : std::vector<Tensor>{k.query, k.value};
      REQUIRE(inputs.size() == c["grads_inputs"].size());
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        INFO("input " << i);
        REQUIRE_CLOSE(inputs[i].grad(), fixture_tensor(c["grads_inputs"][i], inputs[i].shape()), 1e-5, 1e-6);
      }
      for (std::size_t j = 0; j < weights.size(); ++j) {
        INFO("weight " << weights[j]->path);
        REQUIRE_CLOSE(weights[j]->value.grad(), fixture_tensor(c["grads_weights"][j], weights[j]->value.shape()), 1e-5, 1e-6);
      }
    }
  }
}

TEST_CASE("MultiHeadAttention's config is Keras's, before and after building", "[layers][attention][keras][config]") {
  const auto fx = test::load_fixture("keras_mha.json");
  for (const auto& c : fx["cases"]) {
    INFO(c["name"].get<std::string>());
    clear_session();
    MultiHeadAttention unbuilt(options_of(c["layer"]));
    json keras_unbuilt = c["config_unbuilt"], keras = c["config"];
    keras_unbuilt.erase("name");
    keras.erase("name");
    json ours = unbuilt.get_config();
    ours.erase("name");
    test::require_same_config("MultiHeadAttention", ours, keras_unbuilt);
    Case k = make_case(c);
    ours = k.layer->get_config();
    ours.erase("name");
    test::require_same_config("MultiHeadAttention", ours, keras);
    // Keras's config loads, and ours reloads to itself.
    auto again = std::dynamic_pointer_cast<MultiHeadAttention>(
        optim::layer_from_config({{"class_name", "MultiHeadAttention"}, {"config", c["config"]}}));
    REQUIRE(again);
    again->build_for(k.query.shape(), k.value.shape(), k.key.defined() ? std::optional<Shape>(k.key.shape()) : std::nullopt);
    json reloaded = again->get_config();
    reloaded.erase("name");
    CHECK(reloaded == ours);
  }
}

TEST_CASE("MultiHeadAttention initializes its EinsumDense kernels with Keras's fans", "[layers][attention][initializers]") {
  // Keras hands glorot_uniform the kernel's input axes and output axes: for query/kernel (dq, N, H)
  // fan_in = dq and fan_out = N * H, so the limit is sqrt(6 / (dq + N * H)), not the conv rule's
  // sqrt(6 / (N * dq + H * dq)); attention_output/kernel (N, Hv, out): sqrt(6 / (N * Hv + out)).
  MultiHeadAttention mha({.num_heads = 4, .key_dim = 8, .value_dim = 2, .output_shape = std::vector<std::int64_t>{3}});
  mha.build_for({2, 5, 40}, {2, 6, 40});
  const double query_limit = std::sqrt(6.0 / (40 + 4 * 8)), output_limit = std::sqrt(6.0 / (4 * 2 + 3));
  const Tensor q = mha.weights()[0]->value, out = mha.weights()[6]->value;
  CHECK(max_abs(q) <= query_limit);
  CHECK(max_abs(q) > 0.9 * query_limit);  // 1280 draws fill the range (the conv rule's limit is 0.112)
  CHECK(max_abs(out) <= output_limit);
  CHECK(max_abs(out) > 0.5 * output_limit);
  CHECK(max_abs(mha.weights()[1]->value) == 0.0);  // zeros bias
}

TEST_CASE("MultiHeadAttention: float64 gradients, with and without masks", "[layers][attention][gradcheck]") {
  using Inputs = std::vector<Tensor>;
  struct Config {
    const char* label;
    MultiHeadAttentionOptions options;
    bool key, causal, scores, masks;
  };
  const std::vector<Config> configs = {
      {"plain", {.num_heads = 2, .key_dim = 2, .dtype = "float64"}, false, false, false, false},
      {"key, value_dim, output_shape", {.num_heads = 2, .key_dim = 2, .value_dim = 3, .output_shape = std::vector<std::int64_t>{2}, .dtype = "float64"}, true, false, true, false},
      {"causal, no bias, scores", {.num_heads = 1, .key_dim = 3, .use_bias = false, .dtype = "float64"}, false, true, true, false},
      {"masks (fully masked rows), gate, window", {.num_heads = 2, .key_dim = 2, .sliding_window = 2, .use_gate = true, .dtype = "float64"}, false, true, true, true},
      {"masks, fused path", {.num_heads = 3, .key_dim = 1, .dtype = "float64"}, true, false, false, true},
  };
  std::uint64_t seed = 40;
  for (const auto& cfg : configs) {
    clear_session();
    MultiHeadAttention mha(cfg.options);
    const Tensor q = test::random_leaf({2, 3, 3}, ++seed), v = test::random_leaf({2, 4, 2}, ++seed);
    const Tensor k = cfg.key ? test::random_leaf({2, 4, 3}, ++seed) : Tensor();
    mha.build_for(q.shape(), v.shape(), cfg.key ? std::optional<Shape>(k.shape()) : std::nullopt);
    Inputs inputs{q, v};
    if (cfg.key) inputs.push_back(k);
    const std::size_t tensors = inputs.size();
    for (const auto& w : mha.trainable_weights()) {  // biases away from zero
      w->assign(test::random_leaf(w->value.shape(), ++seed).detach());
      inputs.push_back(w->value);
    }
    AttentionCall call{.use_causal_mask = cfg.causal, .return_attention_scores = cfg.scores};
    if (cfg.masks) {
      call.query_mask = Tensor::from_vector(std::vector<double>{1, 1, 0, 1, 1, 1}, Shape{2, 3});
      call.value_mask = Tensor::from_vector(std::vector<double>{1, 1, 1, 0, 0, 1, 1, 1}, Shape{2, 4});
      call.attention_mask = Tensor::from_vector(std::vector<double>{1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1,  //
                                                                    1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 0, 1},
                                                Shape{2, 3, 4});
    }
    const Tensor pattern = test::pattern({2, 3, cfg.options.output_shape ? 2 : 3}, 5, DType::Float64);
    const Tensor score_pattern = test::pattern({2, cfg.options.num_heads, 3, 4}, 6, DType::Float64);
    REQUIRE_GRADCHECK(cfg.label,
                      [&](const Inputs& in) {
                        AttentionCall c = call;
                        if (tensors == 3) c.key = in[2];
                        AttentionResult r = mha.attend(in[0], in[1], c);
                        Tensor loss = (r.output * pattern).sum();
                        return r.scores.defined() ? loss + (r.scores * score_pattern).sum() : loss;
                      },
                      inputs);
  }
}

TEST_CASE("MultiHeadAttention: a fully masked query row, as Keras's two paths give it", "[layers][attention][masking]") {
  // Keras zeroes the probabilities of masked keys on its explicit path (dropout or returned scores),
  // so a row with no visible key attends to nothing: the output there is attention_output's bias.
  // Its fused path (neither) leaves the -1e9 row uniform: the mean of the projected values.
  MultiHeadAttention mha({.num_heads = 1, .key_dim = 2, .bias_initializer = "ones"});
  const Tensor q = test::pattern({1, 2, 2}, 1), v = test::pattern({1, 3, 2}, 2);
  const Tensor mask = Tensor::from_vector(std::vector<float>{1, 1, 0, 0, 0, 0}, Shape{1, 2, 3});
  AttentionResult explicit_path = mha.attend(q, v, {.attention_mask = mask, .return_attention_scores = true});
  CHECK(max_abs(explicit_path.scores.slice(2, 1, 2)) == 0.0);
  REQUIRE_CLOSE(explicit_path.output.slice(1, 1, 2), Tensor::ones({1, 1, 2}), 1e-6, 1e-6);
  const Tensor fused = mha.attend(q, v, {.attention_mask = mask}).output;
  const Tensor unmasked_uniform = mha.attend(q, v, {.attention_mask = Tensor::full({1, 2, 3}, 0.0)}).output;  // all -1e9
  REQUIRE_CLOSE(fused.slice(1, 1, 2), unmasked_uniform.slice(1, 1, 2), 1e-6, 1e-6);
  REQUIRE_CLOSE(fused.slice(1, 0, 1), explicit_path.output.slice(1, 0, 1), 1e-6, 1e-6);
}

TEST_CASE("MultiHeadAttention: dropout on the attention probabilities, seeded", "[layers][attention][dropout]") {
  auto run = [](bool training, std::uint64_t seed) {
    clear_session();
    MultiHeadAttention mha({.num_heads = 2, .key_dim = 2, .dropout = 0.5, .kernel_initializer = initializers::GlorotUniform{.seed = 3}, .seed = seed});
    const Tensor q = test::pattern({2, 4, 3}, 1);
    return mha.attend(q, q, {.return_attention_scores = true, .training = training});
  };
  const AttentionResult inference = run(false, 1), a = run(true, 1), b = run(true, 1), other = run(true, 2);
  REQUIRE_CLOSE(a.output, b.output, 0.0, 1e-30);  // the same seed drops the same probabilities
  CHECK(max_abs(a.output - inference.output) > 1e-3);
  CHECK(max_abs(a.output - other.output) > 1e-3);
  REQUIRE_CLOSE(a.scores, inference.scores, 1e-7, 1e-7);  // the scores are returned before the dropout
}

TEST_CASE("MultiHeadAttention's errors", "[layers][attention][errors]") {
  REQUIRE_THROWS_WITH_ALL(MultiHeadAttention({.num_heads = 0, .key_dim = 2}), std::invalid_argument, "`num_heads`",
                          "num_heads=0");
  REQUIRE_THROWS_WITH_ALL(MultiHeadAttention({.num_heads = 2, .key_dim = -1}), std::invalid_argument, "`key_dim`",
                          "key_dim=-1");
  REQUIRE_THROWS_WITH_ALL(MultiHeadAttention({.num_heads = 2, .key_dim = 2, .value_dim = 0}), std::invalid_argument,
                          "`value_dim`", "value_dim=0");
  REQUIRE_THROWS_WITH_ALL(MultiHeadAttention({.num_heads = 2, .key_dim = 2, .dropout = 1.0}), std::invalid_argument,
                          "`dropout`", "dropout=1");
  REQUIRE_THROWS_WITH_ALL(MultiHeadAttention({.num_heads = 2, .key_dim = 2, .sliding_window = 0}),
                          std::invalid_argument, "`sliding_window`", "sliding_window=0");
  REQUIRE_THROWS_WITH_ALL(MultiHeadAttention({.num_heads = 2, .key_dim = 2, .attention_axes = std::vector<std::int64_t>{2}}),
                          std::invalid_argument, "attention_axes=(2,)", "use attention_axes=None");
  REQUIRE_THROWS_WITH_ALL(MultiHeadAttention({.num_heads = 2, .key_dim = 2, .flash_attention = true}),
                          std::invalid_argument, "flash_attention=true");
  CHECK_NOTHROW(MultiHeadAttention({.num_heads = 2, .key_dim = 2, .attention_axes = std::vector<std::int64_t>{-2}, .flash_attention = false}));

  MultiHeadAttention mha({.num_heads = 2, .key_dim = 2, .name = "att"});
  const Tensor q = test::pattern({2, 3, 4}, 1), v = test::pattern({2, 5, 4}, 2);
  REQUIRE_THROWS_WITH_ALL(mha.attend(q, v, {.key = test::pattern({2, 4, 4}, 3)}), std::invalid_argument,
                          "All dimensions of `value` and `key`, except the last one, must be equal",
                          "value_shape=(2, 5, 4) and key_shape=(2, 4, 4)");
  REQUIRE_THROWS_WITH_ALL(mha.attend(test::pattern({2, 3, 4, 1}, 1), v), std::invalid_argument, "`query` must have rank 3",
                          "(2, 3, 4, 1)");
  mha.attend(q, v);
  REQUIRE_THROWS_WITH_ALL(mha.attend(test::pattern({2, 3, 5}, 1), v), std::invalid_argument, "Input `query` of layer 'att'",
                          "expected axis -1 of input shape to have value 4", "(2, 3, 5)");
  REQUIRE_THROWS_WITH_ALL(mha.attend(q, test::pattern({2, 5, 3}, 1)), std::invalid_argument, "Input `value`",
                          "to have value 4");
  REQUIRE_THROWS_WITH_ALL(mha.attend(q, v, {.attention_mask = Tensor::ones({2, 3, 4})}), std::invalid_argument,
                          "`mask` must be broadcastable", "inputs.shape=(2, 2, 3, 5)", "mask.shape=(2, 1, 3, 4)");
  REQUIRE_THROWS_WITH_ALL(mha.attend(q, v, {.query_mask = Tensor::ones({2, 5})}), std::invalid_argument, "query mask",
                          "(2, 3)", "received (2, 5)");
  REQUIRE_THROWS_WITH_ALL(mha(std::vector<Tensor>{q}), std::invalid_argument, "[query, value]", "received 1 tensor");
  REQUIRE_THROWS_WITH_ALL(mha(q), std::invalid_argument, "needs a query and a value");
}

TEST_CASE("MultiHeadAttention in a functional model: Keras's config loads and predicts", "[layers][attention][functional][keras]") {
  // mha(q, v) then mha(x, x); and Embedding(mask_zero) -> mha(e, e), whose Keras masks reach the
  // attention (a sequence of padding only has every row fully masked: Keras's fused path, uniform).
  const auto fx = test::load_fixture("keras_mha.json");
  for (const auto& f : fx["functional"]) {
    clear_session();
    auto model = std::dynamic_pointer_cast<Functional>(optim::layer_from_config({{"class_name", "Functional"}, {"config", f["model_config"]}}));
    REQUIRE(model);
    const std::int64_t seed = f["seed"];
    std::vector<Tensor> w;
    for (std::size_t i = 0; i < model->weights().size(); ++i)
      w.push_back(test::pattern(model->weights()[i]->value.shape(), seed + 100 + static_cast<std::int64_t>(i)));
    model->set_weights(w);
    std::vector<Tensor> x;
    if (f.contains("tokens")) {
      std::vector<double> t;
      for (const auto& row : f["tokens"]) for (const auto& v : row) t.push_back(v.get<double>());
      x.push_back(Tensor::from_vector(t, Shape{4, 5}).to(DType::Float32));
    } else {
      x = {test::pattern({2, 3, 4}, seed), test::pattern({2, 5, 6}, seed + 1)};
    }
    const Tensor y = model->call_inputs(x, false);
    REQUIRE_CLOSE(y, fixture_tensor(f["y"], test::shape_from_json(f["y_shape"])), 1e-5, 1e-6);
    // Our config writes the calls as Keras does (args [query, value]) and reloads to the same model.
    const json ours = model->get_config();
    for (const auto& l : ours["layers"])
      for (const auto& k : f["model_config"]["layers"])
        if (l["name"] == k["name"] && l["class_name"] == "MultiHeadAttention") CHECK(l["inbound_nodes"] == k["inbound_nodes"]);
    auto again = std::dynamic_pointer_cast<Functional>(optim::layer_from_config({{"class_name", "Functional"}, {"config", ours}}));
    again->set_weights(w);
    REQUIRE_CLOSE(again->call_inputs(x, false), y, 0.0, 1e-30);  // identical
  }
}

TEST_CASE("MultiHeadAttention in a functional config: key reads, unknown or ill-typed call options are refused", "[layers][attention][functional][errors]") {
  clear_session();
  auto q = Input({.shape = Shape{3, 4}, .name = "q"});
  auto v = Input({.shape = Shape{5, 2}, .name = "v"});
  auto k = Input({.shape = Shape{5, 3}, .name = "k"});
  auto att = std::make_shared<MultiHeadAttention>(MultiHeadAttentionOptions{.num_heads = 2, .key_dim = 2, .name = "att"});
  auto model = std::make_shared<Functional>(std::vector<KerasTensor>{q, v, k}, (*att)(std::vector<KerasTensor>{q, v, k}));
  CHECK(model->compute_output_shape_for({Shape{2, 3, 4}, Shape{2, 5, 2}, Shape{2, 5, 3}}) == Shape{2, 3, 4});
  json config = model->get_config();
  json* node = nullptr;
  for (auto& l : config["layers"])
    if (l["name"] == "att") node = &l["inbound_nodes"][0];
  REQUIRE(node);
  CHECK((*node)["args"].size() == 2);
  CHECK((*node)["kwargs"]["key"]["config"]["keras_history"][0] == "k");
  auto loaded = std::dynamic_pointer_cast<Functional>(optim::layer_from_config({{"class_name", "Functional"}, {"config", config}}));
  const std::vector<Tensor> x{test::pattern({2, 3, 4}, 1), test::pattern({2, 5, 2}, 2), test::pattern({2, 5, 3}, 3)};
  loaded->set_weights(model->get_weights());
  REQUIRE_CLOSE(loaded->call_inputs(x, false), model->call_inputs(x, false), 0.0, 1e-30);  // identical
  // The call options are read (tests/optim/test_mha_nodes.cpp); what is not a boolean, or not an
  // argument of MultiHeadAttention.call, is refused.
  (*node)["kwargs"]["use_causal_mask"] = "yes";
  REQUIRE_THROWS_WITH_ALL(optim::layer_from_config({{"class_name", "Functional"}, {"config", config}}), std::invalid_argument,
                          "MultiHeadAttention 'att'", "use_causal_mask must be a boolean", "use_causal_mask=\"yes\"");
  (*node)["kwargs"].erase("use_causal_mask");
  (*node)["kwargs"]["scale"] = 2.0;
  REQUIRE_THROWS_WITH_ALL(optim::layer_from_config({{"class_name", "Functional"}, {"config", config}}), std::invalid_argument,
                          "MultiHeadAttention 'att'", "scale=2.0", "not an argument of MultiHeadAttention.call");
}

TEST_CASE("MultiHeadAttention: Embedding(mask_zero) -> self-attention -> Dense fits, saves and loads", "[layers][attention][model]") {
  const auto dir = std::filesystem::temp_directory_path() / ("minidl_mha_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  clear_session();
  manual_seed(0);  // the initial weights (and so the loss reached) must not depend on the tests run before
  auto tokens = Input({.shape = Shape{5}, .name = "tokens"});
  auto e = Embedding({.input_dim = 7, .output_dim = 4, .mask_zero = true})(tokens);
  auto a = MultiHeadAttention({.num_heads = 2, .key_dim = 3})(std::vector<KerasTensor>{e, e});
  auto y = Dense({.units = 1})(Flatten()(a));
  auto net = std::make_shared<Functional>(tokens, y);
  const std::string table = net->summary_string();
  INFO(table);
  CHECK(table.find("multi_head_attenti") != std::string::npos);  // Keras cuts long names too
  CHECK(table.find("(None, 5, 4)") != std::string::npos);
  CHECK(table.find(std::to_string(3 * (4 * 2 * 3 + 2 * 3) + 2 * 3 * 4 + 4)) != std::string::npos);  // 118 parameters
  optim::Model model(net);
  model.compile({.optimizer = optim::Adam({.learning_rate = 0.01}), .loss = "mse"});
  Tensor x = test::pattern_indices({8, 5}, 3, 7);
  const Tensor target = test::pattern({8, 1}, 4);
  const double before = model.evaluate(x, target, {.verbose = 0}).at("loss");
  model.fit(x, target, {.epochs = 20, .verbose = 0, .seed = 1});
  CHECK(model.evaluate(x, target, {.verbose = 0}).at("loss") < 0.5 * before);
  model.save(dir);
  auto loaded = optim::load_model(dir);
  REQUIRE_CLOSE(loaded.predict(x), model.predict(x), 1e-7, 1e-7);
  std::filesystem::remove_all(dir);
}

TEST_CASE("MultiHeadAttention: activity_regularizer on each projection, as Keras's sublayers", "[layers][attention][regularizers]") {
  // Keras hands activity_regularizer to its four EinsumDense sublayers (query, key, value,
  // attention_output), each adding l2(output) / batch; the layer itself adds none.
  MultiHeadAttention mha({.num_heads = 2, .key_dim = 3, .bias_initializer = "ones", .activity_regularizer = "l2"});
  const Tensor q = test::pattern({2, 3, 4}, 1), v = test::pattern({2, 5, 4}, 2);
  const Tensor y = mha.attend(q, v).output;
  const auto w = mha.weights();
  auto l2 = [](const Tensor& t) { return 0.01 * (t * t).sum().item() / 2.0; };
  auto proj = [](const Tensor& x, const VariablePtr& k, const VariablePtr& b) {
    return matmul(x, k->value.reshape({4, 6})) + b->value.reshape({6});
  };
  const double expected = l2(proj(q, w[0], w[1])) + l2(proj(v, w[2], w[3])) + l2(proj(v, w[4], w[5])) + l2(y);
  double total = 0.0;
  for (const auto& loss : mha.losses()) total += loss.item();
  CHECK(total == Approx(expected).epsilon(1e-5));
}
