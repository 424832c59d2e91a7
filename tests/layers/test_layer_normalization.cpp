// LayerNormalization: Keras's weights (gamma then beta, shaped like the normalized axes), its
// outputs against PyTorch (tests/reference/norm_embedding_reference.py), rms_scaling's weights,
// get_config keys and from_config, summary parameter counts, float64 gradchecks, Keras's errors.
#include <set>

#include "support/fixtures.h"

using namespace minidl;
using namespace minidl::layers;
using Inputs = std::vector<Tensor>;

namespace {

AxisArg axis_arg(const nlohmann::json& a) {
  if (a.is_array()) return AxisArg(a.get<std::vector<std::int64_t>>());
  return a.get<std::int64_t>();
}

std::set<std::string> keys_of(const nlohmann::json& j) {
  std::set<std::string> out;
  for (const auto& [k, v] : j.items()) out.insert(k);
  return out;
}

}  // namespace

TEST_CASE("LayerNormalization equals PyTorch's layer norm with Keras's axes and epsilon", "[layers][layer_normalization][reference]") {
  const auto fixture = test::load_fixture("norm_embedding_reference.json");
  for (const auto& c : fixture.at("layer_norm")) {
    for (const char* dtype : {"float64", "float32"}) {
      LayerNormalization layer({.axis = axis_arg(c.at("axis")),
                                .epsilon = c.at("epsilon").get<double>(),
                                .center = c.at("center").get<bool>(),
                                .scale = c.at("scale").get<bool>(),
                                .rms_scaling = c.at("rms_scaling").get<bool>(),
                                .dtype = dtype});
      const Tensor x = test::tensor_from_json(c.at("x"));
      layer.build(x.shape());
      std::vector<Tensor> weights;  // Keras's order: gamma, then beta
      if (c.contains("gamma")) weights.push_back(test::tensor_from_json(c.at("gamma")));
      if (c.contains("beta")) weights.push_back(test::tensor_from_json(c.at("beta")));
      INFO(dtype << " x" << x.shape() << " axis " << c.at("axis").dump());
      REQUIRE(layer.weights().size() == weights.size());
      layer.set_weights(weights);
      const bool f64 = std::string(dtype) == "float64";
      REQUIRE_CLOSE(layer(x).to(DType::Float64), test::tensor_from_json(c.at("y")), f64 ? 1e-10 : 1e-5,
                    f64 ? 1e-12 : 1e-5);
    }
  }
}

TEST_CASE("LayerNormalization makes gamma then beta over the normalized axes", "[layers][layer_normalization]") {
  clear_session();
  LayerNormalization ln;
  CHECK(ln.name() == "layer_normalization");
  ln.build({-1, 10, 64});
  REQUIRE(ln.weights().size() == 2);
  CHECK(ln.weights()[0]->name == "gamma");
  CHECK(ln.weights()[1]->name == "beta");
  CHECK(ln.gamma()->value.shape() == Shape{64});
  CHECK(ln.gamma()->value.to_vector<double>() == std::vector<double>(64, 1.0));  // "ones"
  CHECK(ln.beta()->value.to_vector<double>() == std::vector<double>(64, 0.0));   // "zeros"
  CHECK(ln.count_params() == 128);  // Keras: 2 * 64
  CHECK(ln.trainable_weights().size() == 2);

  // Keras's docstring example: axis=[1, 2, 3] on (5, 20, 30, 40) gives (20, 30, 40) weights.
  LayerNormalization cube({.axis = {1, 2, 3}});
  cube.build({5, 20, 30, 40});
  CHECK(cube.gamma()->value.shape() == Shape{20, 30, 40});
  CHECK(cube.beta()->value.shape() == Shape{20, 30, 40});
  // The extents in the order the axes are given.
  LayerNormalization unsorted({.axis = {3, 1}});
  unsorted.build({2, 3, 4, 5});
  CHECK(unsorted.gamma()->value.shape() == Shape{5, 3});

  // rms_scaling keeps gamma (even with scale=false) and never makes beta; scale/center off: nothing.
  LayerNormalization rms({.scale = false, .rms_scaling = true});
  rms.build({2, 6});
  REQUIRE(rms.weights().size() == 1);
  CHECK(rms.weights()[0]->name == "gamma");
  CHECK_FALSE(rms.beta());
  LayerNormalization bare({.center = false, .scale = false});
  bare.build({2, 6});
  CHECK(bare.weights().empty());
  CHECK(bare.compute_output_shape({-1, 7, 6}) == Shape{-1, 7, 6});
}

TEST_CASE("LayerNormalization in a Sequential: summary counts and weight order", "[layers][layer_normalization][summary]") {
  clear_session();
  Sequential model({.input_shape = Shape{10, 64}});
  model.add(LayerNormalization({.gamma_initializer = initializers::RandomNormal{.seed = 1},
                                .beta_regularizer = "l2"}));
  CHECK(model.count_params() == 128);
  const std::string summary = model.summary_string();
  INFO(summary);
  CHECK(summary.find("(None, 10, 64)") != std::string::npos);
  CHECK(summary.find("Total params: 128 (512.00 B)") != std::string::npos);
  // get_weights / set_weights in Keras's order, gamma first.
  const Tensor g = test::pattern({64}, 1), b = test::pattern({64}, 2);
  model.set_weights({g, b});
  const auto got = model.get_weights();
  REQUIRE(got[0].to_vector<double>() == g.to_vector<double>());
  REQUIRE(got[1].to_vector<double>() == b.to_vector<double>());
  CHECK(model.losses().size() == 1);  // beta's l2
}

TEST_CASE("LayerNormalization get_config has Keras's keys and round-trips", "[layers][layer_normalization][config]") {
  clear_session();
  LayerNormalization ln({.axis = -1, .epsilon = 1e-5, .center = false, .rms_scaling = true,
                         .beta_initializer = initializers::Constant{.value = 0.5},
                         .gamma_initializer = "he_normal",
                         .gamma_regularizer = regularizers::L1L2{.l1 = 0.01, .l2 = 0.02},
                         .beta_constraint = "non_neg",
                         .gamma_constraint = constraints::MaxNorm{.max_value = 3.0},
                         .name = "norm"});
  const auto c = ln.get_config();
  // keras/src/layers/normalization/layer_normalization.py get_config, plus the base Layer's keys.
  CHECK(keys_of(c) == std::set<std::string>{"name", "trainable", "dtype", "axis", "epsilon", "center", "scale",
                                            "rms_scaling", "beta_initializer", "gamma_initializer",
                                            "beta_regularizer", "gamma_regularizer", "beta_constraint",
                                            "gamma_constraint"});
  CHECK(c["axis"] == -1);  // an int until built, as Keras
  CHECK(c["epsilon"] == 1e-5);
  CHECK(c["center"] == false);
  CHECK(c["scale"] == true);
  CHECK(c["rms_scaling"] == true);
  CHECK(c["gamma_initializer"]["class_name"] == "HeNormal");
  CHECK(c["beta_initializer"]["config"]["value"] == 0.5);
  CHECK(c["gamma_regularizer"]["config"]["l2"] == 0.02);
  CHECK(c["beta_constraint"]["class_name"] == "NonNeg");
  CHECK(c["gamma_constraint"]["config"]["max_value"] == 3.0);
  CHECK(c["beta_regularizer"].is_null());

  const LayerNormalization back = LayerNormalization::from_config(c);
  CHECK(back.get_config() == c);
  CHECK(back.name() == "norm");

  // Keras's build() turns axis=-1 into [-1]; a list stays a list.
  ln.build({2, 3});
  CHECK(ln.get_config()["axis"] == nlohmann::json::array({-1}));
  const auto listed = LayerNormalization({.axis = {1, 2}}).get_config();
  CHECK(listed["axis"] == nlohmann::json::array({1, 2}));
  CHECK(LayerNormalization::from_config(listed).get_config()["axis"] == nlohmann::json::array({1, 2}));
  // Defaults, as Keras writes them.
  const auto d = LayerNormalization().get_config();
  CHECK(d["epsilon"] == 1e-3);
  CHECK(d["center"] == true);
  CHECK(d["rms_scaling"] == false);
  CHECK(d["gamma_initializer"]["class_name"] == "Ones");
  CHECK(d["beta_initializer"]["class_name"] == "Zeros");
}

TEST_CASE("LayerNormalization gradients pass float64 gradcheck", "[layers][layer_normalization][gradcheck]") {
  const std::vector<std::pair<LayerNormalizationOptions, Shape>> configs = {
      {{.axis = -1, .dtype = "float64"}, {4, 5}},
      {{.axis = {1, 2}, .dtype = "float64"}, {2, 3, 4}},
      {{.axis = {1, 3}, .epsilon = 1e-2, .dtype = "float64"}, {2, 3, 2, 2}},
      {{.axis = -1, .rms_scaling = true, .dtype = "float64"}, {3, 4}},
  };
  std::uint64_t seed = 60;
  for (const auto& [o, shape] : configs) {
    LayerNormalization layer(o);
    Tensor x = test::random_leaf(shape, ++seed, -1.0, 2.0);
    layer.build(x.shape());
    // gamma and beta away from their initial 1 and 0, so every term of the gradient matters.
    Inputs inputs{x};
    for (const auto& v : layer.trainable_weights()) {
      v->assign(test::random_leaf(v->value.shape(), ++seed, 0.5, 1.5).detach());
      inputs.push_back(v->value);
    }
    REQUIRE(inputs.size() == (o.rms_scaling ? 2u : 3u));
    REQUIRE_GRADCHECK(layer.name(), [&layer](const Inputs& in) { return layer(in[0], true); }, inputs);
  }
}

TEST_CASE("LayerNormalization rejects what Keras rejects", "[layers][layer_normalization][errors]") {
  clear_session();
  // Keras: "Axis 3 is out of bounds for input shape (None, 4, 5)".
  LayerNormalization ln({.axis = 3, .name = "ln"});
  REQUIRE_THROWS_WITH_ALL(ln.compute_output_shape({-1, 4, 5}), std::out_of_range, "'ln'", "axis 3",
                          "out of bounds", "(None, 4, 5)");
  REQUIRE_THROWS_WITH_ALL(ln(Tensor::zeros({2, 4, 5})), std::out_of_range, "axis 3", "(2, 4, 5)", "-3 to 2");
  LayerNormalization neg({.axis = {1, -4}, .name = "neg"});
  REQUIRE_THROWS_WITH_ALL(neg.build({2, 4, 5}), std::out_of_range, "'neg'", "axis -4", "(2, 4, 5)");
  REQUIRE_THROWS_WITH_ALL(LayerNormalization({.axis = {2, -1}})(Tensor::zeros({2, 4, 5})), std::invalid_argument,
                          "axis", "twice", "[2, -1]");
  // The normalized extents must be known, and stay what the layer was built for.
  REQUIRE_THROWS_WITH_ALL(LayerNormalization({.axis = 1}).build({-1, -1, 3}), std::invalid_argument, "axis 1",
                          "(None, None, 3)", "must be known");
  LayerNormalization built({.name = "built"});
  built(Tensor::zeros({2, 5}));
  REQUIRE_THROWS_WITH_ALL(built(Tensor::zeros({2, 6})), std::invalid_argument, "'built'", "axis -1", "value 5",
                          "(2, 6)");
  REQUIRE_THROWS_WITH_ALL(LayerNormalization({.axis = AxisArg(std::vector<std::int64_t>{})}), std::invalid_argument, "axis",
                          "axis=[]");
  REQUIRE_THROWS_WITH_ALL(LayerNormalization({.epsilon = -1.0}), std::invalid_argument, "epsilon", "epsilon=-1");
  REQUIRE_THROWS_WITH_ALL(LayerNormalization::from_config({{"axis", "last"}}), std::invalid_argument, "axis");
}
