// Keras's Dot merge layer against the real Keras 3 (fixture: tests/reference/keras_dot.py): built
// from Keras's get_config() through the layer registry, its output shape, output and both inputs'
// gradients must equal Keras's, on ranks 2 to 4, int and pair axes, negative axes and normalize
// (the cosine similarity, with an all-zero sample); a Keras cosine-similarity model's JSON loads and
// predicts as Keras. Also float64 gradient checks and Keras's errors.
#include "minidl/optim/layer_registry.h"
#include "support/keras_case.h"

using namespace minidl;
using nlohmann::json;

namespace {

std::shared_ptr<layers::Layer> dot_from(const json& config) {
  return optim::layer_from_config({{"class_name", "Dot"}, {"config", config}});
}

using test::fixture_tensor;

}  // namespace

TEST_CASE("Dot equals Keras in output shape, output, gradients and config", "[layers][dot][keras]") {
  const auto fx = test::load_fixture("keras_dot.json");
  REQUIRE(fx["cases"].size() == 11);
  int normalized = 0, pairs = 0;
  for (const auto& c : fx["cases"]) {
    INFO(c["config"].dump() << " shapes " << c["shapes"].dump());
    auto layer = dot_from(c["config"]);
    REQUIRE(layer->class_name() == "Dot");
    const Shape sa = test::shape_from_json(c["shapes"][0]), sb = test::shape_from_json(c["shapes"][1]);
    const Shape out = test::shape_from_json(c["output_shape"]);
    REQUIRE(layer->compute_output_shape_for({sa, sb}) == out);
    const std::int64_t seed = c["seed"];
    Tensor a = test::pattern(sa, seed), b = test::pattern(sb, seed + 1);
    if (c["zero_row"].get<bool>()) a = a * Tensor::from_vector(std::vector<float>{0, 1, 1}, {3, 1});
    a.set_requires_grad(true);
    b.set_requires_grad(true);
    const Tensor y = (*layer)({a, b});
    REQUIRE_CLOSE(y, fixture_tensor(c["y"], out), 1e-5, 1e-6);
    if (!c["da"].is_null()) {
      y.backward(test::pattern(out, seed + 500));
      REQUIRE_CLOSE(a.grad(), fixture_tensor(c["da"], sa), 1e-5, 1e-6);
      REQUIRE_CLOSE(b.grad(), fixture_tensor(c["db"], sb), 1e-5, 1e-6);
    }
    test::require_same_config("Dot", layer->get_config(), c["config"]);
    test::require_same_config("Dot", dot_from(layer->get_config())->get_config(), c["config"]);
    normalized += c["config"]["normalize"].get<bool>();
    pairs += c["config"]["axes"].is_array();
  }
  CHECK(normalized >= 3);
  CHECK(pairs >= 5);
}

TEST_CASE("A Keras cosine-similarity model with Dot loads and predicts as Keras", "[layers][dot][keras]") {
  const auto fx = test::load_fixture("keras_dot.json");
  const json& m = fx["model"][0];
  auto model = optim::layer_from_config(m["model_json"]);
  const auto weights = model->weights();
  REQUIRE(weights.size() == m["weight_shapes"].size());
  std::vector<Tensor> values;
  for (std::size_t j = 0; j < weights.size(); ++j) {
    REQUIRE(weights[j]->value.shape() == test::shape_from_json(m["weight_shapes"][j]));
    values.push_back(test::pattern(weights[j]->value.shape(), 9100 + static_cast<std::int64_t>(j)));
  }
  model->set_weights(values);
  const Tensor y = (*model)({test::pattern({3, 4}, 9000), test::pattern({3, 4}, 9001)});
  REQUIRE_CLOSE(y, fixture_tensor(m["y"], test::shape_from_json(m["output_shape"])), 1e-5, 1e-6);
}

TEST_CASE("Dot passes float64 gradient checks", "[layers][dot][gradcheck]") {
  struct Case {
    layers::AxisArg axes;
    bool normalize;
    Shape a, b;
  };
  const Case cases[] = {{1, false, {3, 4}, {3, 4}},
                        {-1, true, {2, 3, 4}, {2, 5, 4}},
                        {{1, 2}, true, {2, 3, 2}, {2, 2, 3}},
                        {{3, 1}, false, {2, 2, 3, 4}, {2, 4, 3}}};
  for (const auto& c : cases) {
    INFO("axes " << c.axes.to_json().dump() << " normalize " << c.normalize);
    auto layer = std::make_shared<layers::Dot>(layers::DotOptions{.axes = c.axes, .normalize = c.normalize, .dtype = "float64"});
    const Tensor a = test::random_leaf(c.a, 3, -1.0, 1.0), b = test::random_leaf(c.b, 4, -1.0, 1.0);
    REQUIRE_GRADCHECK("Dot", [layer](const std::vector<Tensor>& in) { return (*layer)({in[0], in[1]}); }, std::vector<Tensor>{a, b});
  }
}

TEST_CASE("Dot refuses what Keras refuses, naming the values", "[layers][dot][errors]") {
  REQUIRE_THROWS_WITH_ALL(layers::Dot({.axes = {1, 2, 3}}), std::invalid_argument, "`axes`", "two elements",
                          "axes=[1, 2, 3]");
  layers::Dot dot({.axes = 1, .name = "d"});
  REQUIRE_THROWS_WITH_ALL(dot.compute_output_shape_for({{2, 3}}), std::invalid_argument, "list of 2 inputs", "(2, 3)");
  REQUIRE_THROWS_WITH_ALL(dot.compute_output_shape_for({{2, 3}, {2, 3}, {2, 3}}), std::invalid_argument,
                          "list of 2 inputs");
  REQUIRE_THROWS_WITH_ALL(dot.compute_output_shape_for({{3}, {3}}), std::invalid_argument, "rank < 2", "(3,)");
  REQUIRE_THROWS_WITH_ALL(dot.compute_output_shape_for({{2, 3}, {2, 4}}), std::invalid_argument,
                          "Incompatible input shapes", "axis values 3 (at axis 1) != 4 (at axis 1)");
  REQUIRE_THROWS_WITH_ALL(dot.compute_output_shape_for({{2, 3}, {5, 3}}), std::invalid_argument, "different batch sizes",
                          "(2, 3) and (5, 3)");
  REQUIRE_THROWS_WITH_ALL(layers::Dot({.axes = {0, 1}}).compute_output_shape_for({{2, 3}, {2, 3}}), std::invalid_argument,
                          "axis 0", "axes=[0, 1]");
  REQUIRE_THROWS_WITH_ALL(layers::Dot({.axes = 3}).compute_output_shape_for({{2, 3}, {2, 3}}), std::invalid_argument,
                          "axes=3", "out of range", "[-2, 2)");
  REQUIRE_THROWS_WITH_ALL(dot(Tensor::zeros({2, 3})), std::invalid_argument, "list of 2 inputs");
}
