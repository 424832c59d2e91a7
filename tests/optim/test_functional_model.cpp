// Functional models in training and on disk: fit on a residual network, save / load_model /
// resume bit for bit, and configs written in Keras 3's and tf.keras's functional formats (by hand,
// as those libraries write them) rebuilt into the same graph.
#include "model_support.h"

using namespace minidl;
using namespace minidl::test;

namespace {

// 3 -> dense(8, relu) -> [dense(8, relu) + skip] -> dense(1), seeded.
std::shared_ptr<layers::Functional> residual_net() {
  layers::clear_session();
  auto x = layers::Input({3});
  auto h = layers::Dense({.units = 8, .activation = "relu", .kernel_initializer = initializers::GlorotUniform{.seed = 1}})(x);
  auto r = layers::Dense({.units = 8, .activation = "relu", .kernel_initializer = initializers::GlorotUniform{.seed = 2}})(h);
  auto s = layers::Add()({h, r});
  auto y = layers::Dense({.units = 1, .kernel_initializer = initializers::GlorotUniform{.seed = 3}})(s);
  return std::make_shared<layers::Functional>(x, y, layers::FunctionalOptions{.name = "residual"});
}

}  // namespace

TEST_CASE("functional: fit trains a residual network", "[optim][functional]") {
  auto [x, y] = regression_data(200);
  optim::Model model(residual_net());
  model.compile({.optimizer = optim::Adam({.learning_rate = 0.02}), .loss = "mse"});
  const double before = model.evaluate(x, y, {.verbose = 0}).at("loss");
  const auto history = model.fit(x, y, {.batch_size = 16, .epochs = 30, .verbose = 0, .seed = 7});
  CHECK(history["loss"].back() < 0.01);
  CHECK(history["loss"].back() < before / 50);
}

TEST_CASE("functional: save, load_model, resume bit for bit", "[optim][functional][saving]") {
  TempDir dir("functional");
  auto [x, y] = regression_data(48);
  auto make = [] {
    optim::Model m(residual_net());
    m.compile({.optimizer = optim::Adam({.learning_rate = 0.01}), .loss = "mse"});
    return m;
  };
  optim::Model straight = make();
  const auto h3 = straight.fit(x, y, {.batch_size = 8, .epochs = 3, .verbose = 0, .seed = 5});
  optim::Model first = make();
  first.fit(x, y, {.batch_size = 8, .epochs = 2, .verbose = 0, .seed = 5});
  first.save(dir.path / "ckpt/");
  optim::Model resumed = optim::load_model(dir / "ckpt");
  REQUIRE(resumed.network().class_name() == "Functional");
  REQUIRE(resumed.network().get_config() == first.network().get_config());
  REQUIRE(resumed.predict(x).to_vector<float>() == first.predict(x).to_vector<float>());
  const auto h1 = resumed.fit(x, y, {.batch_size = 8, .epochs = 3, .verbose = 0, .initial_epoch = 2, .seed = 5});
  CHECK(h1["loss"][0] == h3["loss"][2]);
  CHECK(same_values(resumed.get_weights(), straight.get_weights()));
}

TEST_CASE("functional: Keras 3 and tf.keras configs rebuild the graph", "[optim][functional][saving]") {
  // Two Dense branches from one input, added: written as Keras 3 serializes a functional model.
  const auto keras3 = nlohmann::json::parse(R"({
    "module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
    "config": {"name": "two_branch", "trainable": true,
      "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "registered_name": null, "name": "x",
         "config": {"batch_shape": [null, 4], "dtype": "float32", "sparse": false, "name": "x"}, "inbound_nodes": []},
        {"module": "keras.layers", "class_name": "Dense", "registered_name": null, "name": "a",
         "config": {"name": "a", "trainable": true, "units": 3, "activation": "relu", "use_bias": true},
         "build_config": {"input_shape": [null, 4]},
         "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__",
                                      "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["x", 0, 0]}}],
                            "kwargs": {}}]},
        {"module": "keras.layers", "class_name": "Add", "registered_name": null, "name": "sum",
         "config": {"name": "sum", "trainable": true},
         "inbound_nodes": [{"args": [[
             {"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["a", 0, 0]}},
             {"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["b", 0, 0]}}]],
           "kwargs": {}}]},
        {"module": "keras.layers", "class_name": "Dense", "registered_name": null, "name": "b",
         "config": {"name": "b", "trainable": true, "units": 3, "activation": "linear", "use_bias": false},
         "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__",
                                      "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["x", 0, 0]}}],
                            "kwargs": {}}]}
      ],
      "input_layers": [["x", 0, 0]], "output_layers": [["sum", 0, 0]]}})");
  // "b" is listed after the Add that reads it: the loader replays nodes once their inputs exist.
  auto net = std::dynamic_pointer_cast<layers::Functional>(optim::layer_from_config(keras3));
  REQUIRE(net);
  REQUIRE(net->name() == "two_branch");
  REQUIRE(net->layers().size() == 4);
  REQUIRE(net->compute_output_shape({2, 4}) == Shape{2, 3});
  REQUIRE(net->count_params() == 4 * 3 + 3 + 4 * 3);
  const Tensor in = Tensor::randn({2, 4});
  auto& a = *net->layers()[1];
  auto& b = *net->layers()[2];
  REQUIRE(a.name() == "a");
  REQUIRE((*net)(in).to_vector<float>() == (a(in) + b(in)).to_vector<float>());

  // tf.keras (Keras 2) writes inbound nodes as [[layer, node_index, tensor_index, kwargs], ...].
  const auto keras2 = nlohmann::json::parse(R"({"class_name": "Functional", "config": {"name": "m", "layers": [
      {"class_name": "InputLayer", "name": "in", "config": {"batch_input_shape": [null, 2], "dtype": "float32", "name": "in"},
       "inbound_nodes": []},
      {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 5}, "inbound_nodes": [[["in", 0, 0, {}]]]},
      {"class_name": "Concatenate", "name": "c", "config": {"name": "c", "axis": -1},
       "inbound_nodes": [[["d", 0, 0, {}], ["in", 0, 0, {}]]]}],
      "input_layers": [["in", 0, 0]], "output_layers": [["c", 0, 0]]}})");
  auto m2 = optim::layer_from_config(keras2);
  REQUIRE(m2->compute_output_shape({3, 2}) == Shape{3, 7});

  // A reference to a layer that never produces that node is an error naming it.
  auto broken = keras3;
  broken["config"]["layers"][2]["inbound_nodes"][0]["args"][0][1]["config"]["keras_history"] = {"b", 1, 0};
  REQUIRE_THROWS_WITH_ALL(optim::layer_from_config(broken), std::invalid_argument, "layer 'sum'", "no layer produces");
}
