// The Resizing layer and UpSampling2D's resize interpolations against the real Keras
// (tests/reference/keras_resizing.py): outputs, get_config, from_config round trips, output shapes,
// errors. The op's own numbers and gradients are tested in tests/autograd/test_resize.cpp.
#include "support/keras_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;

namespace {

Tensor data(const json& shape, std::int64_t seed) {
  return (test::pattern(test::shape_from_json(shape), seed, DType::Float64) * 3.0 + 1.0).to(DType::Float32);
}

void check_output(Layer& layer, const json& c) {
  const Shape out = test::shape_from_json(c["output_shape"]);
  const Tensor x = data(c["input_shape"], c["seed"]);
  const Tensor expected = Tensor::from_vector(c["y"].get<std::vector<double>>(), out).to(DType::Float32);
  const auto closeness = test::compare(layer(x), expected, 1e-5, 1e-5);
  INFO(closeness.detail);
  REQUIRE(closeness.ok);
  test::require_same_config(layer.class_name(), layer.get_config(), c["config"]);
  CHECK(layer.compute_output_shape(x.shape()) == out);
  auto copy = optim::layer_from_config({{"class_name", layer.class_name()}, {"config", layer.get_config()}});
  CHECK((*copy)(x).to_vector<float>() == layer(x).to_vector<float>());
}

}  // namespace

TEST_CASE("Resizing equals Keras", "[layers][resizing][keras]") {
  const auto fx = test::load_fixture("keras_resizing.json");
  REQUIRE(fx["resizing"].size() == 4);
  for (const auto& c : fx["resizing"]) {
    INFO("kwargs " << c["kwargs"].dump());
    const json& kw = c["kwargs"];
    ResizingOptions o{.height = kw["height"], .width = kw["width"], .name = c["config"]["name"].get<std::string>()};
    o.interpolation = kw.value("interpolation", o.interpolation);
    o.crop_to_aspect_ratio = kw.value("crop_to_aspect_ratio", false);
    o.pad_to_aspect_ratio = kw.value("pad_to_aspect_ratio", false);
    o.fill_value = kw.value("fill_value", 0.0);
    o.antialias = kw.value("antialias", false);
    o.data_format = kw.value("data_format", o.data_format);
    Resizing layer(o);
    check_output(layer, c);
  }
}

TEST_CASE("UpSampling2D's bicubic and lanczos interpolations equal Keras", "[layers][upsampling2d][keras]") {
  const auto fx = test::load_fixture("keras_resizing.json");
  REQUIRE(fx["upsampling"].size() == 4);
  for (const auto& c : fx["upsampling"]) {
    INFO("kwargs " << c["kwargs"].dump());
    const json& kw = c["kwargs"];
    UpSampling2DOptions o{.size = IntPair(kw["size"][0].get<int>(), kw["size"][1].get<int>()),
                          .interpolation = kw["interpolation"],
                          .name = c["config"]["name"].get<std::string>()};
    o.data_format = kw.value("data_format", o.data_format);
    UpSampling2D layer(o);  // "Bilinear" is lower-cased, as Keras does
    check_output(layer, c);
  }
}

TEST_CASE("Resizing: shapes with unknown extents, in a Sequential, and its errors", "[layers][resizing][errors]") {
  Resizing layer({.height = 8, .width = 6});
  CHECK(layer.compute_output_shape(Shape{-1, 32, 32, 3}) == Shape{-1, 8, 6, 3});
  CHECK(Resizing({.height = 8, .width = 6, .data_format = "channels_first"}).compute_output_shape(Shape{-1, 3, 5, 5}) ==
        Shape{-1, 3, 8, 6});
  Sequential model;
  model.add(std::make_shared<Resizing>(ResizingOptions{.height = 14, .width = 14, .input_shape = Shape{28, 28, 1}}));
  model.add(std::make_shared<Flatten>());
  CHECK(model(Tensor::ones({2, 28, 28, 1})).shape() == Shape{2, 196});

  REQUIRE_THROWS_WITH_ALL(Resizing({.height = 0, .width = 4}), std::invalid_argument, "Resizing", "height=0");
  REQUIRE_THROWS_WITH_ALL(Resizing({.height = 4, .width = 4, .interpolation = "gaussian"}), std::invalid_argument,
                          "Resizing", "interpolation='gaussian'");
  REQUIRE_THROWS_WITH_ALL(Resizing({.height = 4, .width = 4, .crop_to_aspect_ratio = true, .pad_to_aspect_ratio = true}),
                          std::invalid_argument, "crop_to_aspect_ratio", "pad_to_aspect_ratio");
  REQUIRE_THROWS_WITH_ALL(Resizing({.height = 4, .width = 4, .fill_mode = "nearest"}), std::invalid_argument,
                          "fill_mode='nearest'");
  REQUIRE_THROWS_WITH_ALL(layer(Tensor::ones({4, 4})), std::invalid_argument, "Resizing", "rank 3", "(4, 4)");
  REQUIRE_THROWS_WITH_ALL(UpSampling2D({.interpolation = "area"}), std::invalid_argument, "UpSampling2D",
                          "interpolation='area'");
}
