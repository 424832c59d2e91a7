// DepthwiseConv2D and SeparableConv2D through the layer registry (fixture:
// tests/reference/keras_depthwise_separable.py): a Keras 3 functional model using both (one of each
// channels_first) rebuilt from Keras's model.to_json(), given Keras's weights in Keras's order,
// predicting what Keras predicted, and surviving minidl's own to_json / save / load_model.
#include "model_support.h"

using namespace minidl;
using nlohmann::json;

TEST_CASE("A Keras model with DepthwiseConv2D and SeparableConv2D loads, predicts as Keras and round-trips",
          "[optim][layer_registry][saving][keras]") {
  const auto fx = test::load_fixture("keras_depthwise_separable.json");
  const json& m = fx["model"];
  optim::Model model(optim::layer_from_config(json::parse(m["json"].get<std::string>())));
  CHECK(model.network().name() == m["name"]);
  const auto values = test::keras_ordered_weights(
      model.weights(), m, [](const Variable& v, std::int64_t seed) { return test::pattern(v.value.shape(), seed); });
  model.set_weights(values);
  const Tensor x = test::pattern(test::shape_from_json(m["input"]["shape"]), m["input"]["seed"]);
  const Tensor expected =
      Tensor::from_vector(m["y"].get<std::vector<double>>(), test::shape_from_json(m["output_shape"])).to(DType::Float32);
  REQUIRE_CLOSE(model.predict(x), expected, 1e-5, 1e-6);

  // Our own JSON of the loaded model loads into the same layers.
  optim::Model again(optim::layer_from_config(model.to_json()));
  again.set_weights(values);
  CHECK(again.to_json()["config"] == model.to_json()["config"]);
  REQUIRE_CLOSE(again.predict(x), expected, 1e-5, 1e-6);

  test::TempDir dir("depthwise_separable");
  model.save(dir / "model.safetensors");
  optim::Model loaded = optim::load_model(dir / "model.safetensors");
  CHECK(loaded.to_json()["config"] == model.to_json()["config"]);
  CHECK(model.predict(x).to_vector<float>() == loaded.predict(x).to_vector<float>());
}

TEST_CASE("layer_from_config rebuilds DepthwiseConv2D and SeparableConv2D from Keras's configs",
          "[optim][layer_registry][keras]") {
  const auto fx = test::load_fixture("keras_depthwise_separable.json");
  for (const auto& [name, config] : fx["configs"].items()) {
    INFO(name);
    const std::string cls = name.starts_with("dw") ? "DepthwiseConv2D" : "SeparableConv2D";
    const auto layer = optim::layer_from_config({{"class_name", cls}, {"config", config}});
    CHECK(layer->class_name() == cls);
    CHECK(layer->name() == name);
    CHECK(layer->get_config()["kernel_size"] == config["kernel_size"]);
    CHECK(layer->get_config()["depth_multiplier"] == config["depth_multiplier"]);
  }
  REQUIRE_THROWS_WITH_ALL(
      optim::layer_from_config({{"class_name", "SeparableConv2D"}, {"config", {{"kernel_size", 3}}}}),
      std::invalid_argument, "SeparableConv2D", "filters");
}
