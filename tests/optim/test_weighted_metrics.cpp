// Sample weights in optim::Model against the real Keras (tests/reference/keras_weighted_metrics.py):
// compiled `metrics` ignore sample_weight, `weighted_metrics` use it (renamed "weighted_<name>"
// when the plain metric has the name), and a multi-output model takes one weight per output, one
// weight for all, or validation weights with validation_data. Then compile_config and the errors.
#include "two_head_support.h"

using namespace minidl;
using namespace minidl::test;
using nlohmann::json;

namespace {

Tensor sample_weights(std::uint64_t seed) { return pattern({kN}, seed) * 0.5 + 1.0; }  // in [0.5, 1.5)

void check_history(const optim::History& history, const json& expected, std::size_t epochs) {
  std::vector<std::string> keys, expected_keys;
  for (const auto& [k, v] : history.history) keys.push_back(k);
  for (const auto& [k, v] : expected.items()) expected_keys.push_back(k);
  std::sort(expected_keys.begin(), expected_keys.end());
  REQUIRE(keys == expected_keys);
  for (const auto& [k, values] : history.history) {
    REQUIRE(values.size() == epochs);
    for (std::size_t e = 0; e < epochs; ++e) check_close(values[e], expected[k][e].get<double>(), k);
  }
}

void check_compile_config(const optim::Model& model, const json& expected) {
  const json cc = model.compile_config();
  CHECK(cc["metrics"] == expected["metrics_config"]);
  CHECK(cc["weighted_metrics"] == expected["weighted_metrics_config"]);
}

// The twin of single() in the reference script.
void run_single(std::vector<metrics::MetricArg> metrics, std::vector<metrics::MetricArg> weighted, const json& expected) {
  layers::clear_session();
  auto net = std::make_shared<layers::Sequential>(layers::SequentialOptions{.input_shape = Shape{3}});
  net->add(layers::Dense({.units = 2, .name = "out"}));
  net->set_weights({pattern({3, 2}, 1) * 0.5, pattern({2}, 2) * 0.1});
  optim::Model model(net);
  model.compile({.optimizer = optim::SGD({.learning_rate = 0.1}), .loss = "mse", .metrics = std::move(metrics),
                 .weighted_metrics = std::move(weighted)});
  const Tensor x = pattern({kN, 3}, 3), y = pattern({kN, 2}, 4), w = sample_weights(5);
  const auto history = model.fit(x, y, {.batch_size = 4, .epochs = 2, .verbose = 0, .validation_split = 0.2,
                                        .shuffle = false, .sample_weight = w});
  check_history(history, expected["history"], 2);
  check_logs(model.evaluate(x, y, {.batch_size = 4, .verbose = 0, .sample_weight = w}), expected["evaluate"], "evaluate");
  check_compile_config(model, expected);
}

// The twin of two_heads(): fit 2 epochs with validation_data (the first 6 samples) and its weights.
void run_two_heads(optim::CompileOptions options, const optim::SampleWeights& w, const optim::SampleWeights& vw,
                   const json& expected) {
  optim::Model model(two_head_net());
  options.optimizer = optim::SGD({.learning_rate = 0.1});
  options.losses = {"categorical_crossentropy", "mse"};
  model.compile(std::move(options));
  const auto d = two_head_data();
  const std::vector<std::int64_t> first6{0, 1, 2, 3, 4, 5};
  const optim::ModelInputs vx = optim::ModelInputs({d.a, d.b}).rows(first6);
  const optim::ModelOutputs vy = optim::ModelOutputs({d.one_hot, d.y_reg}).rows(first6);
  const auto history = model.fit({d.a, d.b}, {d.one_hot, d.y_reg},
                                 {.batch_size = 4, .epochs = 2, .verbose = 0, .validation_data = std::pair{vx, vy},
                                  .validation_sample_weight = vw, .shuffle = false, .sample_weight = w});
  check_history(history, expected["history"], 2);
  check_logs(model.evaluate({d.a, d.b}, {d.one_hot, d.y_reg}, {.batch_size = 4, .verbose = 0, .sample_weight = w}),
             expected["evaluate"], "evaluate");
  check_compile_config(model, expected);
}

}  // namespace

TEST_CASE("weighted_metrics: metrics ignore sample_weight, weighted ones use it, as Keras", "[optim][weighted][keras]") {
  const auto fixture = load_fixture("keras_weighted_metrics.json");
  SECTION("the same names: weighted_mae, weighted_mse") { run_single({"mae", "mse"}, {"mae", "mse"}, fixture["single"]); }
  SECTION("distinct names keep their names") { run_single({"mse"}, {"mae"}, fixture["single_unweighted_names"]); }
}

TEST_CASE("weighted_metrics: one sample weight per output, validation weights", "[optim][weighted][multi_output][keras]") {
  const auto fixture = load_fixture("keras_weighted_metrics.json");
  const std::vector<std::int64_t> first6{0, 1, 2, 3, 4, 5};
  SECTION("lists") {
    run_two_heads({.output_metrics = {{"mae"}, {"mse"}}, .output_weighted_metrics = {{"mae"}, {"mse", "mae"}}},
                  {sample_weights(6), sample_weights(7)},
                  {sample_weights(8).slice(0, 0, 6), sample_weights(9).slice(0, 0, 6)}, fixture["lists"]);
  }
  SECTION("one weight for both outputs, weighted metrics keyed by output") {
    run_two_heads({.output_metrics = {{"accuracy"}, {"mae"}},
                   .output_weighted_metrics = std::map<std::string, std::vector<metrics::MetricArg>>{
                       {"cls", {"accuracy"}}, {"reg", {"mae"}}}},
                  sample_weights(6), sample_weights(8).slice(0, 0, 6), fixture["one_weight"]);
  }
}

TEST_CASE("weighted_metrics: sample weights keyed by output name equal the list form", "[optim][weighted][multi_output]") {
  const auto d = two_head_data();
  auto evaluate = [&](const optim::SampleWeights& w) {
    optim::Model model(two_head_net());
    model.compile({.losses = {"categorical_crossentropy", "mse"}, .output_weighted_metrics = {{"mae"}, {"mae"}}});
    return model.evaluate({d.a, d.b}, {d.one_hot, d.y_reg}, {.verbose = 0, .sample_weight = w});
  };
  const Tensor w1 = sample_weights(6), w2 = sample_weights(7);
  CHECK(evaluate({{"reg", w2}, {"cls", w1}}) == evaluate({w1, w2}));
  // An output left out of the map is unweighted: its weighted metric equals the plain one.
  const auto only_reg = evaluate(std::map<std::string, Tensor>{{"reg", w2}});
  CHECK(only_reg.at("cls_mae") == Approx(evaluate({}).at("cls_mae")).epsilon(1e-12));
  CHECK(only_reg.at("reg_mae") == Approx(evaluate({w1, w2}).at("reg_mae")).epsilon(1e-12));
}

TEST_CASE("weighted_metrics: compile_config round trip through save and load_model", "[optim][weighted][saving]") {
  const TempDir dir("weighted_metrics");
  optim::Model model(two_head_net());
  model.compile({.losses = {"categorical_crossentropy", "mse"},
                 .output_weighted_metrics = std::map<std::string, std::vector<metrics::MetricArg>>{{"reg", {"mae"}}}});
  model.save(dir / "m.safetensors");
  const auto loaded = optim::load_model(dir / "m.safetensors");
  CHECK(loaded.compile_config()["weighted_metrics"] == json{{"reg", {"mae"}}});
  CHECK(loaded.compiled_outputs()[1].weighted_metric_args.size() == 1);
  CHECK(loaded.compiled_outputs()[0].weighted_metric_args.empty());
}

TEST_CASE("weighted_metrics: errors name the argument and the value", "[optim][weighted][errors]") {
  const auto d = two_head_data();
  optim::Model model(two_head_net());
  REQUIRE_THROWS_WITH_ALL(model.compile({.losses = {"mse", "mse"}, .weighted_metrics = {"mae", "mse", "mae"}}),
                          std::invalid_argument, "Invalid `weighted_metrics`", "['cls', 'reg']",
                          "weighted_metrics=['mae', 'mse', 'mae']");
  REQUIRE_THROWS_WITH_ALL(model.compile({.weighted_metrics = {"mae"}, .output_weighted_metrics = {{"mae"}, {"mae"}}}),
                          std::invalid_argument, "`weighted_metrics` or `output_weighted_metrics`");
  REQUIRE_THROWS_WITH_ALL(model.compile({.losses = {"mse", "mse"}, .weighted_metrics = {"no_such_metric", "mae"}}),
                          std::invalid_argument, "no_such_metric");
  model.compile({.losses = {"categorical_crossentropy", "mse"}});
  const optim::ModelInputs x{d.a, d.b};
  const optim::ModelOutputs y{d.one_hot, d.y_reg};
  REQUIRE_THROWS_WITH_ALL(model.evaluate(x, y, {.verbose = 0, .sample_weight = {Tensor::ones({kN}), Tensor::ones({kN}),
                                                                                 Tensor::ones({kN})}}),
                          std::invalid_argument, "sample_weight holds 3 tensors", "2 outputs", "['cls', 'reg']");
  REQUIRE_THROWS_WITH_ALL(model.evaluate(x, y, {.verbose = 0, .sample_weight = {{"cls", Tensor::ones({kN})},
                                                                                {"head", Tensor::ones({kN})}}}),
                          std::invalid_argument, "sample_weight", "'head'", "['cls', 'reg']");
  REQUIRE_THROWS_WITH_ALL(model.fit(x, y, {.verbose = 0, .sample_weight = {Tensor::ones({kN}), Tensor::ones({4})}}),
                          std::invalid_argument, "Model.fit", "sample_weight for output 'reg'", "(10)", "(4,)");
  REQUIRE_THROWS_WITH_ALL(model.fit(x, y, {.verbose = 0, .validation_sample_weight = Tensor::ones({kN})}),
                          std::invalid_argument, "validation_sample_weight", "without validation_data");
  REQUIRE_THROWS_WITH_ALL(model.fit(x, y, {.verbose = 0, .validation_data = std::pair{x, y},
                                           .validation_sample_weight = Tensor::ones({3})}),
                          std::invalid_argument, "fit (validation_data)", "sample_weight", "(3,)");
}
