// Rescaling and Normalization against the real Keras (tests/reference/keras_preprocessing.py):
// outputs, get_config and the statistics adapt() learns (one array or a list of batches, merged
// with Keras's running formula); gradients through both layers; from_config round trips; errors.
#include "support/keras_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;
using Inputs = std::vector<Tensor>;

namespace {

// 3 * pattern + 1 in double, then float32, as the script's NumPy.
Tensor data(const json& shape, std::int64_t seed) {
  return (test::pattern(test::shape_from_json(shape), seed, DType::Float64) * 3.0 + 1.0).to(DType::Float32);
}

ValuesArg values(const json& j) { return ValuesArg::from_json(j, "test"); }

void check_output(Layer& layer, const json& c) {
  const Shape out = test::shape_from_json(c["output_shape"]);
  const Tensor expected = Tensor::from_vector(c["y"].get<std::vector<double>>(), out).to(DType::Float32);
  const auto closeness = test::compare(layer(data(c["input_shape"], c["seed"])), expected, 1e-5, 1e-6);
  INFO(closeness.detail);
  REQUIRE(closeness.ok);
  test::require_same_config(layer.class_name(), layer.get_config(), c["config"]);
}

NormalizationOptions normalization_options(const json& c) {
  const json& kw = c["kwargs"];
  NormalizationOptions o{.name = c["config"]["name"].get<std::string>()};
  if (kw.contains("axis")) {
    if (kw["axis"].is_null()) o.axis = AxisArg(std::vector<std::int64_t>{});
    else if (kw["axis"].is_array()) o.axis = AxisArg(kw["axis"].get<std::vector<std::int64_t>>());
    else o.axis = kw["axis"].get<std::int64_t>();
  }
  if (kw.contains("mean")) o.mean = values(kw["mean"]), o.variance = values(kw["variance"]);
  o.invert = kw.value("invert", false);
  return o;
}

}  // namespace

TEST_CASE("Rescaling equals Keras for numbers and per-channel lists", "[layers][rescaling][keras]") {
  const auto fx = test::load_fixture("keras_preprocessing.json");
  REQUIRE(fx["rescaling"].size() == 4);
  for (const auto& c : fx["rescaling"]) {
    INFO("kwargs " << c["kwargs"].dump());
    RescalingOptions o{.name = c["config"]["name"].get<std::string>()};
    o.scale = values(c["kwargs"]["scale"]);
    if (c["kwargs"].contains("offset")) o.offset = values(c["kwargs"]["offset"]);
    Rescaling layer(o);
    check_output(layer, c);
    // Rebuilt from its config (the registry load_model uses), the same numbers.
    auto copy = optim::layer_from_config({{"class_name", "Rescaling"}, {"config", layer.get_config()}});
    CHECK((*copy)(data(c["input_shape"], c["seed"])).to_vector<float>() ==
          layer(data(c["input_shape"], c["seed"])).to_vector<float>());
  }
}

TEST_CASE("Normalization equals Keras with given statistics and after adapt", "[layers][normalization][keras]") {
  const auto fx = test::load_fixture("keras_preprocessing.json");
  int adapted = 0, batched = 0;
  for (const auto& c : fx["normalization"]) {
    INFO("kwargs " << c["kwargs"].dump() << " input " << c["input_shape"].dump());
    Normalization layer(normalization_options(c));
    if (c.contains("adapt")) {
      std::vector<Tensor> batches;
      for (const auto& b : c["adapt"]) batches.push_back(data(b[0], b[1].get<std::int64_t>()));
      if (c["adapt_kind"] == "array") layer.adapt(batches[0]);
      else layer.adapt(batches), ++batched;
      ++adapted;
      // Keras's weights: mean, variance (the statistics) and count.
      const auto weights = layer.get_weights();
      REQUIRE(weights.size() == c["weights"].size());
      for (std::size_t i = 0; i < weights.size(); ++i) {
        INFO("weight " << c["weights"][i]["name"]);
        CHECK(layer.weights()[i]->name == c["weights"][i]["name"].get<std::string>());
        const auto closeness = test::compare(weights[i], test::tensor_from_json(c["weights"][i], DType::Float32), 1e-5, 1e-6);
        INFO(closeness.detail);
        CHECK(closeness.ok);
      }
      CHECK(layer.trainable_weights().empty());
    } else {
      CHECK(layer.get_weights().empty());
    }
    check_output(layer, c);
  }
  CHECK(adapted == 6);
  CHECK(batched == 2);
}

TEST_CASE("Normalization and Rescaling pass gradients to their input", "[layers][normalization][rescaling][gradcheck]") {
  const Tensor x = test::random_leaf({3, 2, 4}, 5);
  Rescaling rescaling({.scale = {0.5, -2.0, 1.5, 3.0}, .offset = 0.25, .dtype = "float64"});
  REQUIRE_GRADCHECK("Rescaling", [&](const Inputs& in) { return rescaling(in[0]); }, Inputs{x});
  Normalization given({.axis = 1, .mean = {0.5, -1.0}, .variance = {4.0, 0.5}, .dtype = "float64"});
  REQUIRE_GRADCHECK("Normalization (given)", [&](const Inputs& in) { return given(in[0]); }, Inputs{x});
  Normalization adapted({.axis = -1, .invert = true, .dtype = "float64"});
  adapted.adapt(test::random_leaf({6, 2, 4}, 6).detach());
  REQUIRE_GRADCHECK("Normalization (adapted, invert)", [&](const Inputs& in) { return adapted(in[0]); }, Inputs{x});
}

TEST_CASE("Normalization adapt: one array equals the same data in batches; config round trip",
          "[layers][normalization]") {
  const Tensor all = data(json{10, 3}, 40);
  Normalization whole, parts;
  whole.adapt(all);
  parts.adapt(std::vector<Tensor>{all.slice(0, 0, 4), all.slice(0, 4, 9), all.slice(0, 9, 10)});
  const auto closeness = test::compare(parts.get_weights()[0], whole.get_weights()[0], 1e-6, 1e-6);
  CHECK(closeness.ok);
  CHECK(test::compare(parts.get_weights()[1], whole.get_weights()[1], 1e-5, 1e-6).ok);
  // A model saved with given statistics rebuilds with them.
  Normalization given({.axis = -1, .mean = 2.0, .variance = 9.0, .invert = true});
  auto copy = optim::layer_from_config({{"class_name", "Normalization"}, {"config", given.get_config()}});
  CHECK(copy->get_config() == given.get_config());
  CHECK((*copy)(all).to_vector<float>() == given(all).to_vector<float>());
}

TEST_CASE("Rescaling and Normalization refuse what Keras refuses, naming the value", "[layers][normalization][errors]") {
  REQUIRE_THROWS_WITH_ALL(Normalization({.mean = 1.0}), std::invalid_argument, "both `mean` and `variance`",
                          "mean=1.0", "variance=None");
  REQUIRE_THROWS_WITH_ALL(Normalization({.mean = {1.0, 2.0}, .variance = {1.0}}), std::invalid_argument,
                          "same shape", "mean=[1.0,2.0]", "variance=[1.0]");
  REQUIRE_THROWS_WITH_ALL(Normalization({.axis = AxisArg(std::vector<std::int64_t>{}), .mean = {1.0}, .variance = {1.0}}),
                          std::invalid_argument, "rank of `mean`", "axis ()");
  REQUIRE_THROWS_WITH_ALL(Normalization({.mean = 0.0, .variance = -1.0}), std::invalid_argument, "variance=-1.0");
  REQUIRE_THROWS_WITH_ALL(Normalization({.axis = 3, .name = "n"})(Tensor::zeros({2, 3})), std::invalid_argument, "'n'",
                          "[-ndim, ndim)", "ndim=2", "axis=(3,)");
  REQUIRE_THROWS_WITH_ALL(Normalization({.mean = {1.0, 2.0}, .variance = {1.0, 1.0}})(Tensor::zeros({2, 3})),
                          std::invalid_argument, "2 values", "(2, 3)");
  Normalization adapted({.name = "adapted"});
  adapted.adapt(Tensor::ones({4, 3}));
  REQUIRE_THROWS_WITH_ALL(adapted.adapt(Tensor::ones({4, 5})), std::invalid_argument, "'adapted'", "input_shape=(4, 3)",
                          "data.shape=(4, 5)");
  REQUIRE_THROWS_WITH_ALL(adapted(Tensor::ones({2, 5})), std::invalid_argument, "'adapted'", "3 entries", "(2, 5)");
  REQUIRE_THROWS_WITH_ALL(adapted.adapt(std::vector<Tensor>{}), std::invalid_argument, "empty list");
  REQUIRE_THROWS_WITH_ALL(Normalization({.mean = 0.0, .variance = 1.0, .name = "given"}).adapt(Tensor::ones({2, 2})),
                          std::invalid_argument, "'given'", "were given");
  REQUIRE_THROWS_WITH_ALL(Rescaling({.scale = {1.0, 2.0}, .name = "r"})(Tensor::zeros({2, 3})), std::invalid_argument,
                          "'r'", "scale [1.0,2.0]", "(2, 3)");
  REQUIRE_THROWS_WITH_ALL(Rescaling::from_config({{"name", "r"}, {"scale", "big"}}), std::invalid_argument,
                          "Rescaling scale", "\"big\"");
}
