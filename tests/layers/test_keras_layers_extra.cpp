// LayerNormalization, Embedding, GlobalAverage/MaxPooling2D and Cropping2D against the real Keras
// (fixture: tests/reference/keras_layers_extra.py): outputs for pattern() inputs and weights, and
// get_config() key for key and value for value. (The same cases rebuilt from Keras's configs by the
// loader: tests/optim/test_keras_model_json.cpp.)
#include <set>

#include "support/keras_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;
using test::check_case;

TEST_CASE("LayerNormalization equals Keras over axes, center, scale, epsilon and rms_scaling",
          "[layers][layer_normalization][keras]") {
  const auto fx = test::load_fixture("keras_layers_extra.json");
  REQUIRE(fx["layer_normalization"].size() >= 15);
  int multi_axis = 0, rms = 0;
  for (const auto& c : fx["layer_normalization"]) {
    const json& kw = c["kwargs"];
    INFO("kwargs " << kw.dump() << " input " << c["input_shape"].dump());
    LayerNormalizationOptions o{.name = c["config"]["name"].get<std::string>()};
    if (kw.contains("axis")) {
      if (kw["axis"].is_array()) o.axis = AxisArg(kw["axis"].get<std::vector<std::int64_t>>());
      else o.axis = kw["axis"].get<std::int64_t>();
      multi_axis += kw["axis"].is_array() && kw["axis"].size() > 1;
    }
    o.epsilon = kw.value("epsilon", o.epsilon);
    o.center = kw.value("center", o.center);
    o.scale = kw.value("scale", o.scale);
    o.rms_scaling = kw.value("rms_scaling", o.rms_scaling);
    rms += o.rms_scaling;
    LayerNormalization layer(o);
    check_case(layer, c, test::case_input(c));
  }
  CHECK(multi_axis >= 4);
  CHECK(rms >= 3);
}

TEST_CASE("Embedding equals Keras, mask_zero included", "[layers][embedding][keras]") {
  const auto fx = test::load_fixture("keras_layers_extra.json");
  int masked = 0;
  for (const auto& c : fx["embedding"]) {
    INFO("input_dim " << c["input_dim"] << " output_dim " << c["output_dim"] << " input " << c["input_shape"].dump());
    const Tensor x = test::case_input(c);
    // The indices are the script's (a check on pattern_indices itself).
    std::vector<double> expected_indices = c["indices"].get<std::vector<double>>();
    REQUIRE(x.to(DType::Float64).to_vector<double>() == expected_indices);
    // mask_zero changes no output (Keras only passes a mask on, which minidl does not have).
    masked += c["mask_zero"].get<bool>();
    Embedding layer({.input_dim = c["input_dim"], .output_dim = c["output_dim"], .mask_zero = c["mask_zero"],
                     .name = c["config"]["name"].get<std::string>()});
    check_case(layer, c, x);
  }
  CHECK(masked >= 2);
}

TEST_CASE("GlobalAveragePooling2D and GlobalMaxPooling2D equal Keras in both formats, keepdims or not",
          "[layers][global_pooling][keras]") {
  const auto fx = test::load_fixture("keras_layers_extra.json");
  REQUIRE(fx["global_pooling"].size() == 16);
  for (const auto& c : fx["global_pooling"]) {
    INFO(c["kind"] << " " << c["data_format"] << " keepdims " << c["keepdims"] << " input " << c["input_shape"].dump());
    const GlobalPooling2DOptions o{.data_format = c["data_format"], .keepdims = c["keepdims"],
                                   .name = c["config"]["name"].get<std::string>()};
    const Tensor x = test::case_input(c);
    if (c["kind"] == "max") {
      GlobalMaxPooling2D layer(o);
      check_case(layer, c, x);
    } else {
      GlobalAveragePooling2D layer(o);
      check_case(layer, c, x);
    }
  }
}

TEST_CASE("Cropping2D equals Keras for an int, a pair and two pairs, in both formats", "[layers][cropping2d][keras]") {
  const auto fx = test::load_fixture("keras_layers_extra.json");
  std::set<std::string> forms;
  for (const auto& c : fx["cropping"]) {
    INFO("cropping " << c["cropping"].dump() << " " << c["data_format"] << " input " << c["input_shape"].dump());
    const json& k = c["cropping"];
    Cropping2DArg arg;
    if (k.is_number()) arg = Cropping2DArg(k.get<std::int64_t>()), forms.insert("int");
    else if (k[0].is_number()) arg = Cropping2DArg(k[0].get<std::int64_t>(), k[1].get<std::int64_t>()), forms.insert("pair");
    else
      arg = Cropping2DArg(IntPair(k[0][0].get<std::int64_t>(), k[0][1].get<std::int64_t>()),
                          IntPair(k[1][0].get<std::int64_t>(), k[1][1].get<std::int64_t>())),
      forms.insert("pairs");
    Cropping2D layer({.cropping = arg, .data_format = c["data_format"], .name = c["config"]["name"].get<std::string>()});
    check_case(layer, c, test::case_input(c));
  }
  CHECK(forms.size() == 3);
}

TEST_CASE("Permute equals Keras and refuses what Keras refuses", "[layers][permute][keras]") {
  const auto fx = test::load_fixture("keras_layers_extra.json");
  REQUIRE(fx["permute"].size() >= 5);
  for (const auto& c : fx["permute"]) {
    INFO("dims " << c["dims"].dump() << " input " << c["input_shape"].dump());
    Permute layer({.dims = c["dims"].get<std::vector<std::int64_t>>(), .name = c["config"]["name"].get<std::string>()});
    check_case(layer, c, test::case_input(c));
  }
  // Keras: "Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` must
  // be consecutive and start from 1. Received dims=(0, 1)".
  REQUIRE_THROWS_WITH_ALL(Permute({.dims = {0, 1}}), std::invalid_argument, "`dims`", "start from 1", "dims=(0, 1)");
  REQUIRE_THROWS_WITH_ALL(Permute({.dims = {1, 1}}), std::invalid_argument, "dims=(1, 1)");
  REQUIRE_THROWS_WITH_ALL(Permute({.dims = {}}), std::invalid_argument, "dims=()");
  REQUIRE_THROWS_WITH_ALL(Permute({.dims = {2, 1}, .name = "p"})(Tensor::zeros({2, 3, 4, 5})), std::invalid_argument,
                          "'p'", "expected ndim=3", "found ndim=4");
}
