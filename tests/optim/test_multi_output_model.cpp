// optim::Model on a functional model with two outputs (a classification head and a regression
// head), against the real Keras (tests/reference/keras_multi_output.py): losses, loss_weights and
// metrics given as maps, as lists, as one loss for both and with one output left without a loss;
// History keys and values, evaluate and predict. Then y as a map, the summary and config,
// save / load_model, and the errors Keras raises.
#include "two_head_support.h"

using namespace minidl;
using namespace minidl::test;
using nlohmann::json;

namespace {

optim::Model compiled(optim::CompileOptions options) {
  optim::Model model(two_head_net());
  options.optimizer = optim::SGD({.learning_rate = 0.1});
  model.compile(std::move(options));
  return model;
}

optim::CompileOptions maps_options() {
  return {.losses = std::map<std::string, optim::Loss>{{"cls", "sparse_categorical_crossentropy"}, {"reg", "mse"}},
          .loss_weights = {{"cls", 1.0}, {"reg", 0.5}},
          .output_metrics = std::map<std::string, std::vector<metrics::MetricArg>>{{"cls", {"accuracy"}}, {"reg", {"mae"}}}};
}

// Fits 3 epochs (batch 4, the last 20% for validation, no shuffling) and compares History,
// evaluate, predict_outputs and the weights with the fixture's case.
void run_case(optim::Model& model, const optim::ModelOutputs& y, const json& expected) {
  const auto d = two_head_data();
  const auto history = model.fit({d.a, d.b}, y, {.batch_size = 4, .epochs = 3, .verbose = 0, .validation_split = 0.2, .shuffle = false});
  std::vector<std::string> keys;
  for (const auto& [k, v] : history.history) keys.push_back(k);
  std::vector<std::string> expected_keys;
  for (const auto& [k, v] : expected["history"].items()) expected_keys.push_back(k);
  std::sort(expected_keys.begin(), expected_keys.end());
  REQUIRE(keys == expected_keys);
  for (const auto& [k, values] : history.history) {
    REQUIRE(values.size() == 3);
    for (std::size_t e = 0; e < 3; ++e) check_close(values[e], expected["history"][k][e].get<double>(), k);
  }
  check_logs(model.evaluate({d.a, d.b}, y, {.batch_size = 4, .verbose = 0}), expected["evaluate"], "evaluate");
  const auto predicted = model.predict_outputs({d.a, d.b}, {.batch_size = 4});
  REQUIRE(predicted.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) REQUIRE_CLOSE(predicted[i], tensor_from_json(expected["predict"][i], DType::Float32), 1e-5, 1e-6);
  const auto weights = model.get_weights();
  for (std::size_t i = 0; i < weights.size(); ++i)
    REQUIRE_CLOSE(weights[i], tensor_from_json(expected["weights"][i], DType::Float32), 1e-5, 1e-6);
}

}  // namespace

TEST_CASE("multi-output: losses, loss_weights and metrics as maps match Keras", "[optim][multi_output][keras]") {
  const auto fixture = load_fixture("keras_multi_output.json");
  const auto d = two_head_data();
  optim::Model model = compiled(maps_options());
  CHECK(model.output_names() == std::vector<std::string>{"cls", "reg"});
  run_case(model, {d.labels, d.y_reg}, fixture["maps"]);
}

TEST_CASE("multi-output: losses, loss_weights and metrics as lists match Keras", "[optim][multi_output][keras]") {
  const auto fixture = load_fixture("keras_multi_output.json");
  const auto d = two_head_data();
  optim::Model model = compiled({.losses = {"categorical_crossentropy", "mse"},
                                 .loss_weights = {0.3, 1.0},
                                 .output_metrics = {{"mae"}, {"mse", "mae"}}});
  run_case(model, {d.one_hot, d.y_reg}, fixture["lists"]);
}

TEST_CASE("multi-output: one loss applies to every output, as Keras", "[optim][multi_output][keras]") {
  const auto fixture = load_fixture("keras_multi_output.json");
  const auto d = two_head_data();
  optim::Model model = compiled({.loss = "mse"});
  run_case(model, {d.one_hot, d.y_reg}, fixture["single"]);
}

TEST_CASE("multi-output: an output without a loss, as Keras's None", "[optim][multi_output][keras]") {
  const auto fixture = load_fixture("keras_multi_output.json");
  const auto d = two_head_data();
  optim::Model model = compiled({.losses = {"mse", optim::Loss()}, .output_metrics = {{}, {"mae"}}});
  run_case(model, {d.one_hot, d.y_reg}, fixture["no_loss"]);
}

TEST_CASE("multi-output: train_on_batch and test_on_batch log every output", "[optim][multi_output]") {
  const auto d = two_head_data();
  optim::Model model = compiled(maps_options());
  const auto logs = model.test_on_batch({d.a, d.b}, {d.labels, d.y_reg});
  // The total is the weighted sum of the unweighted per-output losses.
  CHECK(logs.at("loss") == Approx(logs.at("cls_loss") + 0.5 * logs.at("reg_loss")).epsilon(1e-6));
  const auto evaluated = model.evaluate({d.a, d.b}, {d.labels, d.y_reg}, {.batch_size = kN, .verbose = 0});
  CHECK(logs == evaluated);
  const auto trained = model.train_on_batch({d.a, d.b}, {d.labels, d.y_reg});
  CHECK(trained.at("loss") == Approx(logs.at("loss")).epsilon(1e-6));  // the loss before the step
  CHECK(model.test_on_batch({d.a, d.b}, {d.labels, d.y_reg}).at("loss") < logs.at("loss"));
  CHECK(model.metrics().size() == 2);  // cls's accuracy, reg's mae
}

TEST_CASE("multi-output: y as a map keyed by output name is taken in output order", "[optim][multi_output]") {
  const auto d = two_head_data();
  const optim::FitOptions fit{.batch_size = 4, .epochs = 2, .verbose = 0, .validation_split = 0.2, .shuffle = false};
  optim::Model listed = compiled(maps_options()), named = compiled(maps_options());
  const auto h1 = listed.fit({d.a, d.b}, {d.labels, d.y_reg}, fit);
  const auto h2 = named.fit({d.a, d.b}, {{"reg", d.y_reg}, {"cls", d.labels}}, fit);
  CHECK(h1.history == h2.history);
  CHECK(same_values(listed.get_weights(), named.get_weights()));
  CHECK(listed.evaluate({d.a, d.b}, {d.labels, d.y_reg}, {.verbose = 0}) ==
        named.evaluate({d.a, d.b}, std::map<std::string, Tensor>{{"cls", d.labels}, {"reg", d.y_reg}}, {.verbose = 0}));
  REQUIRE_THROWS_WITH_ALL(named.fit({d.a, d.b}, {{"cls", d.labels}}, fit), std::invalid_argument,
                          "y_true and y_pred have different structures. y_true: {'cls': '*'} y_pred: ['*', '*']",
                          "output names ['cls', 'reg']");
  REQUIRE_THROWS_WITH_ALL(named.test_on_batch({d.a, d.b}, {{"cls", d.labels}, {"nope", d.y_reg}}), std::invalid_argument,
                          "Model.test_on_batch", "{'cls': '*', 'nope': '*'}");
}

TEST_CASE("multi-output: predict_outputs equals calling the model, per batch", "[optim][multi_output]") {
  const auto d = two_head_data();
  optim::Model model = compiled(maps_options());
  const auto predicted = model.predict_outputs({d.a, d.b}, {.batch_size = 3});  // batches 3, 3, 3, 1
  std::vector<Tensor> called;
  {
    NoGradGuard no_grad;
    called = model.call_outputs({d.a, d.b});
  }
  REQUIRE(predicted.size() == 2);
  CHECK(predicted[0].shape() == Shape{kN, 3});
  CHECK(predicted[1].shape() == Shape{kN, 1});
  for (std::size_t i = 0; i < 2; ++i) REQUIRE_CLOSE(predicted[i], called[i], 1e-6, 1e-7);
  // A single-output model's predict_outputs is its predict.
  optim::Model single(regression_net());
  const auto x = regression_data(5).first;
  CHECK(same_values(single.predict_outputs(x).tensors(), {single.predict(x)}));
}

TEST_CASE("multi-output: summary and get_config list both outputs as Keras", "[optim][multi_output][keras]") {
  const auto fixture = load_fixture("keras_multi_output.json");
  auto net = two_head_net();
  CHECK(net->summary_string() == fixture["summary"].get<std::string>());
  CHECK(net->get_config()["output_layers"] == fixture["output_layers"]);
  // from_config rebuilds the same two outputs.
  const auto rebuilt = std::dynamic_pointer_cast<layers::Functional>(optim::layer_from_config(optim::Model(net).to_json()));
  REQUIRE(rebuilt);
  CHECK(rebuilt->output_names() == std::vector<std::string>{"cls", "reg"});
  CHECK(rebuilt->get_config() == net->get_config());
}

TEST_CASE("multi-output: save and load_model restore outputs, compile arguments and training", "[optim][multi_output][saving]") {
  TempDir dir("multi_output");
  const auto d = two_head_data();
  const optim::FitOptions fit{.batch_size = 4, .epochs = 1, .verbose = 0, .shuffle = false};
  for (const auto& options : {maps_options(), optim::CompileOptions{.losses = {"categorical_crossentropy", "mse"},
                                                                    .loss_weights = {0.3, 1.0},
                                                                    .output_metrics = {{"mae"}, {"mse", "mae"}}}}) {
    const bool maps = options.losses.is_map();
    const optim::ModelOutputs y{maps ? d.labels : d.one_hot, d.y_reg};
    optim::Model first = compiled(options);
    first.fit({d.a, d.b}, y, fit);
    first.save(dir / "model.safetensors");
    optim::Model loaded = optim::load_model(dir / "model.safetensors");
    CHECK(loaded.output_names() == first.output_names());
    CHECK(loaded.compile_config() == first.compile_config());
    CHECK(loaded.compile_config()["loss"].is_object() == maps);
    const auto p1 = first.predict_outputs({d.a, d.b}), p2 = loaded.predict_outputs({d.a, d.b});
    CHECK(same_values(p2.tensors(), p1.tensors()));
    // Resumed training logs the same keys and values.
    const auto h1 = first.fit({d.a, d.b}, y, fit), h2 = loaded.fit({d.a, d.b}, y, fit);
    CHECK(h1.history == h2.history);
    CHECK(same_values(first.get_weights(), loaded.get_weights()));
  }
}

TEST_CASE("multi-output: the single-output API is unchanged", "[optim][multi_output]") {
  // A Sequential: one y tensor, unprefixed logs, no per-output loss entries.
  const auto [x, y] = regression_data(16);
  optim::Model model(regression_net());
  model.compile({.optimizer = optim::SGD({.learning_rate = 0.05}), .loss = "mse", .metrics = {"mae"}});
  const auto logs = model.evaluate(x, y, {.verbose = 0});
  CHECK(logs.size() == 2);
  CHECK(logs.count("loss") == 1);
  CHECK(logs.count("mae") == 1);
  // A one-output loss_weights scales the loss (Keras's float weight).
  optim::Model weighted(regression_net());
  weighted.compile({.optimizer = optim::SGD({.learning_rate = 0.05}), .loss = "mse", .loss_weights = {2.0}});
  CHECK(weighted.evaluate(x, y, {.verbose = 0}).at("loss") == Approx(2.0 * logs.at("loss")).epsilon(1e-6));
}

TEST_CASE("multi-output: compile arguments that do not fit the outputs fail with Keras's messages",
          "[optim][multi_output][errors]") {
  optim::Model model(two_head_net());
  auto compile = [&](optim::CompileOptions o) { model.compile(std::move(o)); };
  REQUIRE_THROWS_WITH_ALL(compile({.losses = std::map<std::string, optim::Loss>{{"cls", "mse"}, {"nope", "mse"}}}),
                          std::invalid_argument, "Model.compile",
                          "Expected keys ['cls', 'reg'] in loss dict, but found loss.keys()=['cls', 'nope']");
  REQUIRE_THROWS_WITH_ALL(compile({.losses = std::map<std::string, optim::Loss>{{"cls", "mse"}}}), std::invalid_argument,
                          "found loss.keys()=['cls']");
  REQUIRE_THROWS_WITH_ALL(compile({.losses = {"mse", "mse", "mse"}}), std::invalid_argument,
                          "The path: (2,) in the `loss` argument, can't be found");
  REQUIRE_THROWS_WITH_ALL(compile({.losses = {"mse"}}), std::invalid_argument, "`losses` holds 1 losses",
                          "2 outputs ['cls', 'reg']");
  REQUIRE_THROWS_WITH_ALL(compile({.loss = "mse", .losses = {"mse", "mse"}}), std::invalid_argument, "not both");
  REQUIRE_THROWS_WITH_ALL(compile({.losses = {"mse", "mse"}, .loss_weights = {1.0}}), std::invalid_argument,
                          "`loss_weights` must match the number of losses, got 2 losses and 1 weights.");
  REQUIRE_THROWS_WITH_ALL(compile({.loss = "mse", .loss_weights = {1.0, 2.0}}), std::invalid_argument,
                          "got 1 losses and 2 weights");
  REQUIRE_THROWS_WITH_ALL(compile({.loss = "mse", .loss_weights = {{"cls", 1.0}, {"nope", 2.0}}}), std::invalid_argument,
                          "in loss_weights dict", "['cls', 'nope']");
  REQUIRE_THROWS_WITH_ALL(compile({.loss = "mse", .metrics = {"mae"}}), std::invalid_argument, "Invalid `metrics`",
                          "output names of the functional model ['cls', 'reg']", "['X', 'X']", "Received: metrics=['mae']");
  REQUIRE_THROWS_WITH_ALL(
      compile({.loss = "mse", .output_metrics = std::map<std::string, std::vector<metrics::MetricArg>>{{"nope", {"mae"}}}}),
      std::invalid_argument, "Invalid `metrics`", "Received: metrics={'nope': ['mae']}");
  REQUIRE_THROWS_WITH_ALL(compile({.loss = "mse", .output_metrics = {{"mae"}}}), std::invalid_argument,
                          "Received: metrics=[['mae']]");
  REQUIRE_THROWS_WITH_ALL(compile({.loss = "mse", .output_metrics = {{"no_such_metric"}, {}}}), std::invalid_argument,
                          "no_such_metric");
  CHECK_FALSE(model.compiled());  // nothing was half-applied
  // Keras's flat list with one metric per output is accepted.
  compile({.loss = "mse", .metrics = {"mae", "mse"}});
  const auto d = two_head_data();
  const auto logs = model.evaluate({d.a, d.b}, {d.one_hot, d.y_reg}, {.verbose = 0});
  CHECK(logs.count("cls_mae") == 1);
  CHECK(logs.count("reg_mse") == 1);
}

TEST_CASE("multi-output: y that does not fit the outputs fails with Keras's messages", "[optim][multi_output][errors]") {
  const auto d = two_head_data();
  optim::Model model = compiled(maps_options());
  REQUIRE_THROWS_WITH_ALL(model.fit({d.a, d.b}, {d.labels}, {.verbose = 0}), std::invalid_argument, "Model.fit",
                          "y_true and y_pred have different structures", "y_true: ['*'] y_pred: ['*', '*']");
  REQUIRE_THROWS_WITH_ALL(model.evaluate({d.a, d.b}, d.labels, {.verbose = 0}), std::invalid_argument, "Model.evaluate",
                          "different structures");
  REQUIRE_THROWS_WITH_ALL(model.train_on_batch({d.a, d.b}, {d.labels, d.y_reg, d.y_reg}), std::invalid_argument,
                          "y_true: ['*', '*', '*']");
  const Tensor y9 = d.y_reg.slice(0, 0, 9);
  REQUIRE_THROWS_WITH_ALL(model.fit({d.a, d.b}, {d.labels, y9}, {.verbose = 0}), std::invalid_argument,
                          "Data cardinality is ambiguous", "'x' sizes: 10, 10 'y' sizes: 10, 9");
  REQUIRE_THROWS_WITH_ALL(model.test_on_batch({d.a, d.b}, {d.labels, Tensor()}), std::invalid_argument,
                          "y 1 (output 'reg') must be a tensor with a batch axis");
  REQUIRE_THROWS_WITH_ALL(model.predict({d.a, d.b}), std::invalid_argument, "2 outputs ['cls', 'reg']", "predict_outputs()");
  REQUIRE_THROWS_WITH_ALL(model({d.a, d.b}), std::invalid_argument, "call_outputs(x)");
  // One model output, two y tensors.
  optim::Model single(regression_net());
  single.compile({.loss = "mse"});
  const auto [x, y] = regression_data(4);
  REQUIRE_THROWS_WITH_ALL(single.fit(x, {y, y}, {.verbose = 0}), std::invalid_argument, "y_true: ['*', '*'] y_pred: ['*']");
}

TEST_CASE("multi-output: a Functional with several outputs is not a single-tensor layer", "[layers][multi_output][errors]") {
  auto net = two_head_net();
  CHECK(net->outputs().size() == 2);
  REQUIRE_THROWS_WITH_ALL(net->output(), std::invalid_argument, "'two_heads'", "2 (cls, reg)", "outputs()");
  const auto d = two_head_data();
  REQUIRE_THROWS_WITH_ALL((*net)({d.a, d.b}), std::invalid_argument, "calling it as a layer", "call_outputs()");
  auto a = layers::Input({.shape = Shape{3}});
  auto b = layers::Input({.shape = Shape{2}});
  // Inside another graph it is one node of two outputs, which call_outputs returns (test_nested_models.cpp).
  REQUIRE_THROWS_WITH_ALL((*net)(std::vector{a, b}), std::invalid_argument, "returns 2 tensors", "call_outputs(inputs)");
  REQUIRE(net->call_outputs({a, b}).size() == 2);
  const auto outs = net->call_outputs({d.a, d.b}, false);
  REQUIRE(outs.size() == 2);
  CHECK(outs[0].shape() == Shape{kN, 3});
  CHECK(net->compute_output_shapes_for({Shape{-1, 3}, Shape{-1, 2}}) == std::vector<Shape>{Shape{-1, 3}, Shape{-1, 1}});
  // An output that another output depends on is kept, not freed after its last reader.
  auto x = layers::Input({.shape = Shape{2}});
  auto h = layers::Dense({.units = 3, .name = "h"})(x);
  auto y = layers::Dense({.units = 1, .name = "y"})(h);
  layers::Functional both(x, std::vector{h, y});
  const auto hy = both.call_outputs({d.b}, false);
  REQUIRE(hy.size() == 2);
  CHECK(hy[0].shape() == Shape{kN, 3});
  CHECK(hy[1].shape() == Shape{kN, 1});
}
