// Functional models used as layers of other functional models, several outputs among them (Keras's
// `z_mean, z_log_var, h = encoder(x)`). Against the real Keras 3 (fixture:
// tests/reference/keras_nested_models.py): outputs, the gradients of a weighted sum of the outputs
// w.r.t. inputs and weights, Keras's configs loaded (with its two node numberings), ours written the
// same way and reloaded; a float64 gradient check; training, saving and loading; errors.
#include <catch2/catch.hpp>

#include <minidl/minidl.h>

#include "model_support.h"
#include "support/functional_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;
using Inputs = std::vector<Tensor>;
using KTs = std::vector<KerasTensor>;

namespace {

std::shared_ptr<Dense> dense(std::int64_t units, const std::string& name, const std::string& activation = "linear",
                             const std::string& dtype = "float32") {
  return std::make_shared<Dense>(DenseOptions{.units = units, .activation = activation, .name = name, .dtype = dtype});
}

// The script's encoder(): z_mean, z_log_var and the hidden features.
std::shared_ptr<Functional> encoder(const std::string& dtype) {
  auto x = Input({.shape = Shape{4}, .dtype = dtype, .name = "enc_in"});
  auto h = (*dense(5, "h", "tanh", dtype))(x);
  return std::make_shared<Functional>(x, KTs{(*dense(2, "z_mean", "linear", dtype))(h), (*dense(2, "z_log_var", "linear", dtype))(h), h},
                                      FunctionalOptions{.name = "encoder"});
}

std::shared_ptr<Functional> vae_like(const std::string& dtype = "float32") {
  clear_session();
  auto enc = encoder(dtype);
  auto x = Input({.shape = Shape{4}, .dtype = dtype, .name = "inp"});
  const KTs z = enc->call_outputs(x);
  auto s = Add({.name = "add", .dtype = dtype})({z[0], z[1]});
  auto d = (*dense(4, "dec", "sigmoid", dtype))(s);
  auto cat = Concatenate({.name = "cat", .dtype = dtype})({d, z[2]});
  return std::make_shared<Functional>(x, KTs{cat, z[1]}, FunctionalOptions{.name = "vae"});
}

std::shared_ptr<Functional> autoencoder() {
  clear_session();
  auto u = Input({.shape = Shape{4}, .name = "u"});
  auto enc = std::make_shared<Functional>(u, (*dense(2, "code", "relu"))(u), FunctionalOptions{.name = "enc"});
  auto v = Input({.shape = Shape{2}, .name = "v"});
  auto dec = std::make_shared<Functional>(v, (*dense(4, "recon", "sigmoid"))(v), FunctionalOptions{.name = "dec"});
  auto x = Input({.shape = Shape{4}, .name = "x"});
  return std::make_shared<Functional>(x, (*dec)((*enc)(x)), FunctionalOptions{.name = "autoencoder"});
}

std::shared_ptr<Functional> siamese() {
  clear_session();
  auto enc = encoder("float32");
  auto a = Input({.shape = Shape{4}, .name = "a"});
  auto b = Input({.shape = Shape{4}, .name = "b"});
  const KTs za = enc->call_outputs(a), zb = enc->call_outputs(b);
  auto dist = Subtract({.name = "diff"})({za[0], zb[0]});
  return std::make_shared<Functional>(KTs{a, b}, KTs{dist, zb[1], za[2]}, FunctionalOptions{.name = "siamese"});
}

std::shared_ptr<Functional> two_inputs_two_outputs() {
  clear_session();
  auto p = Input({.shape = Shape{3}, .name = "p"});
  auto q = Input({.shape = Shape{2}, .name = "q"});
  auto cat = Concatenate({.name = "pq"})({p, q});
  auto inner = std::make_shared<Functional>(KTs{p, q}, KTs{(*dense(3, "left"))(cat), (*dense(2, "right"))(cat)},
                                            FunctionalOptions{.name = "inner"});
  auto head = std::make_shared<Sequential>(SequentialOptions{.name = "head"});
  head->add(std::make_shared<Dense>(DenseOptions{.units = 3, .activation = "relu", .name = "hd", .input_shape = Shape{2}}));
  auto x = Input({.shape = Shape{3}, .name = "x"});
  auto y = Input({.shape = Shape{2}, .name = "y"});
  const KTs lr = inner->call_outputs({x, y});
  return std::make_shared<Functional>(KTs{x, y}, KTs{(*head)(lr[1]), lr[0]}, FunctionalOptions{.name = "outer"});
}

std::shared_ptr<Functional> model_for(const std::string& name) {
  if (name == "vae_like") return vae_like();
  if (name == "autoencoder") return autoencoder();
  if (name == "siamese") return siamese();
  REQUIRE(name == "two_inputs_two_outputs");
  return two_inputs_two_outputs();
}

Inputs case_inputs(const json& c) {
  Inputs x;
  for (std::size_t i = 0; i < c["input_shapes"].size(); ++i)
    x.push_back(test::pattern(test::shape_from_json(c["input_shapes"][i]), c["seed"].get<std::int64_t>() + static_cast<std::int64_t>(i)));
  return x;
}

// Weight j is pattern(shape_j, seed + 100 + j) in Keras's order.
void set_case_weights(Functional& model, const json& c) {
  const auto weights = model.weights();
  REQUIRE(weights.size() == c["weights"].size());
  std::vector<Tensor> values;
  for (std::size_t j = 0; j < weights.size(); ++j) {
    INFO("ours " << weights[j]->path << " keras " << c["weights"][j]["path"]);
    REQUIRE(weights[j]->value.shape() == test::shape_from_json(c["weights"][j]["shape"]));
    values.push_back(test::pattern(weights[j]->value.shape(), c["seed"].get<std::int64_t>() + 100 + static_cast<std::int64_t>(j)));
  }
  model.set_weights(values);
}

void check_outputs(Functional& model, const json& c) { test::check_model_outputs(model, c, case_inputs(c)); }

json inbound_of(const json& layers_json, const std::string& name) {
  for (const auto& l : layers_json)
    if (l["name"] == name) return l["inbound_nodes"];
  FAIL("no layer " << name);
  return json();
}

// The tensors a node reads, as keras_history triples (Keras adds kwargs {"mask": null} for a model).
json node_args(const json& nodes) {
  json out = json::array();
  for (const auto& n : nodes) {
    json refs = json::array();
    for (const auto& a : n["args"]) {
      if (a.is_array())
        for (const auto& t : a) refs.push_back(t["config"]["keras_history"]);
      else refs.push_back(a["config"]["keras_history"]);
    }
    out.push_back(refs);
  }
  return out;
}

json as_list(json refs) { return refs[0].is_string() ? json::array({refs}) : refs; }

std::shared_ptr<Functional> functional_from(const json& config) {
  auto model = std::dynamic_pointer_cast<Functional>(optim::layer_from_config({{"class_name", "Functional"}, {"config", config}}));
  REQUIRE(model);
  return model;
}

}  // namespace

TEST_CASE("nested models: several outputs of an inner model feed the outer graph as in Keras", "[optim][functional][nested][keras]") {
  const auto fx = test::load_fixture("keras_nested_models.json");
  REQUIRE(fx["cases"].size() == 4);
  for (const auto& c : fx["cases"]) {
    INFO("case " << c["name"]);
    auto model = model_for(c["name"]);
    set_case_weights(*model, c);
    check_outputs(*model, c);

    test::check_model_gradients(*model, case_inputs(c), c);
  }
}

TEST_CASE("nested models: Keras's configs load, ours number the nodes as Keras and round-trip", "[optim][functional][nested][keras]") {
  const auto fx = test::load_fixture("keras_nested_models.json");
  for (const auto& c : fx["cases"]) {
    INFO("case " << c["name"]);
    const json& keras = c["config"];
    {
      INFO("Keras's config loaded");
      auto loaded = functional_from(keras);
      set_case_weights(*loaded, c);
      check_outputs(*loaded, c);
    }
    auto model = model_for(c["name"]);
    CHECK(model->summary_string() == c["summary"].get<std::string>());
    const json ours = model->get_config();
    // A nested Functional is ["encoder", 0, k] where a node reads it but ["encoder", 1, k] among
    // output_layers; a Sequential is 0 in both.
    CHECK(as_list(ours["output_layers"]) == as_list(keras["output_layers"]));
    CHECK(as_list(ours["input_layers"]) == as_list(keras["input_layers"]));
    REQUIRE(ours["layers"].size() == keras["layers"].size());
    for (const auto& l : keras["layers"]) {
      INFO("layer " << l["name"]);
      CHECK(node_args(inbound_of(ours["layers"], l["name"])) == node_args(l["inbound_nodes"]));
    }
    INFO("ours reloaded");
    auto reloaded = functional_from(ours);
    CHECK(reloaded->get_config() == ours);
    set_case_weights(*reloaded, c);
    check_outputs(*reloaded, c);
  }
}

TEST_CASE("nested models: float64 gradient check through a three-output inner model", "[optim][functional][nested][gradcheck]") {
  auto model = vae_like("float64");
  std::uint64_t seed = 900;
  Inputs inputs{test::random_leaf({3, 4}, ++seed)};
  for (const auto& v : model->weights()) {
    v->assign(test::random_leaf(v->value.shape(), ++seed).detach());
    inputs.push_back(v->value);
  }
  auto f = [&model](const Inputs& in) {
    Inputs all;
    for (const Tensor& y : model->call_outputs({in[0]}, false)) all.push_back(reshape(y, {-1}));
    return concat(all, 0);
  };
  REQUIRE_GRADCHECK("vae_like", f, inputs);
}

TEST_CASE("nested models: fit trains the inner model's weights, save and load keep the graph", "[optim][functional][nested][saving]") {
  auto net = vae_like();
  optim::Model model(net);
  model.compile({.optimizer = "adam", .losses = {"mse", "mse"}});
  const Tensor x = test::pattern({32, 4}, 7);
  const Tensor y0 = test::pattern({32, 9}, 8) * 0.5 + 0.5, y1 = test::pattern({32, 2}, 9) * 0.1;
  const std::vector<float> h_before = net->weights()[0]->value.to_vector<float>();
  const auto history = model.fit(x, optim::ModelOutputs{y0, y1},
                                 {.batch_size = 8, .epochs = 80, .verbose = 0, .shuffle = false});
  const auto& loss = history.history.at("loss");
  CHECK(loss.back() < 0.8 * loss.front());
  // The inner encoder's first kernel is trained through the outer graph.
  CHECK(net->weights()[0]->value.to_vector<float>() != h_before);

  test::TempDir dir("nested_models");
  const std::string path = (dir / "vae.keras").string();
  model.save(path);
  optim::Model loaded = optim::load_model(path);
  const auto a = model.predict_outputs(x).tensors(), b = loaded.predict_outputs(x).tensors();
  REQUIRE(a.size() == 2);
  CHECK(test::same_values(a, b));
}

TEST_CASE("nested models: errors name the model, the call and the value", "[optim][functional][nested][errors]") {
  clear_session();
  auto enc = encoder("float32");
  auto x = Input({.shape = Shape{4}, .name = "x"});
  REQUIRE_THROWS_WITH_ALL((*enc)(x), std::invalid_argument, "layer 'encoder' (Functional)", "returns 3 tensors",
                          "call_outputs(inputs)");
  auto wrong = Input({.shape = Shape{5}, .name = "wrong"});
  REQUIRE_THROWS_WITH_ALL(enc->call_outputs(wrong), std::invalid_argument, "model 'encoder'", "(None, 4)", "(None, 5)");
  REQUIRE_THROWS_WITH_ALL(enc->call_outputs({x, x}), std::invalid_argument, "encoder", "expects 1 input(s)",
                          "received 2 input tensors");
  REQUIRE_THROWS_WITH_ALL(enc->call_node({Tensor::zeros({1, 4}), Tensor::zeros({1, 2})}, {}, layers::CallArgs::initial_state(1), false),
                          std::invalid_argument, "model 'encoder'", "takes no initial_state", "1 initial_state");

  // Keras's output_layers name a nested Functional's call from 1: a 0 there is refused, not guessed.
  const auto fx = test::load_fixture("keras_nested_models.json");
  json config = fx["cases"][0]["config"];
  REQUIRE(config["output_layers"][1] == json::array({"encoder", 1, 1}));
  config["output_layers"][1][1] = 0;
  REQUIRE_THROWS_WITH_ALL(functional_from(config), std::invalid_argument, "nested model 'encoder'", "node 0",
                          "numbers from 1");
}

TEST_CASE("nested models: tf.keras (Keras 2) configs number nested calls from 1 everywhere", "[optim][functional][nested][keras]") {
  // Fixture: tests/reference/tf_keras_nested_models.py (tf_keras 2.21): a three-output encoder called
  // twice, a Sequential with an Input and one built by its call, both on the encoder's outputs.
  const auto fx = test::load_fixture("tf_keras_nested_models.json");
  const json& c = fx["cases"][0];
  REQUIRE(c["config"]["output_layers"][1] == json::array({"head", 1, 0}));
  auto model = functional_from(c["config"]);
  const auto weights = model->weights();
  REQUIRE(weights.size() == c["weight_shapes"].size());
  std::vector<Tensor> values;
  for (std::size_t j = 0; j < weights.size(); ++j) {
    REQUIRE(weights[j]->value.shape() == test::shape_from_json(c["weight_shapes"][j]));
    values.push_back(test::pattern(weights[j]->value.shape(), c["seed"].get<std::int64_t>() + 100 + static_cast<std::int64_t>(j)));
  }
  model->set_weights(values);
  check_outputs(*model, c);

  // Node 0 of a nested model is the built-in one tf.keras never lets another layer read.
  json config = c["config"];
  for (auto& l : config["layers"])
    if (l["name"] == "diff") l["inbound_nodes"][0][0][1] = 0;
  REQUIRE_THROWS_WITH_ALL(functional_from(config), std::invalid_argument, "a node names node 0", "nested model 'encoder'",
                          "tf.keras numbers from 1");
}
