// The layer family against the real Keras (fixture: tests/reference/keras_layers.py): Conv2D over
// formats, groups, dilation, strides, padding and activations; Dense on rank 2-4 inputs;
// BatchNormalization's training output, moving statistics and inference output; pooling,
// up-sampling, padding, Flatten, Reshape, LeakyReLU, Activation. Then float64 gradchecks through
// the layers' own variables. (Conv2DTranspose has its own file.)
#include "support/fixtures.h"

using namespace minidl;
using namespace minidl::layers;
using Inputs = std::vector<Tensor>;

namespace {

constexpr double kRtol = 1e-5, kAtol = 1e-6;

IntPair pair_of(const nlohmann::json& j) { return IntPair(j[0].get<std::int64_t>(), j[1].get<std::int64_t>()); }

Tensor expected_of(const nlohmann::json& values, const Shape& shape) {
  return Tensor::from_vector(values.get<std::vector<double>>(), shape).to(DType::Float32);
}

// Compares against Keras and remembers the worst relative error of a family of cases.
struct Worst {
  double rel = 0.0, abs = 0.0;
  void require_close(const Tensor& actual, const Tensor& expected) {
    const auto c = test::compare(actual, expected, kRtol, kAtol);
    rel = std::max(rel, c.max_rel);
    abs = std::max(abs, c.max_abs);
    INFO(c.detail);
    REQUIRE(c.ok);
  }
};

Conv2DOptions conv2d_options(const nlohmann::json& c) {
  Conv2DOptions o;
  o.filters = c["filters"];
  o.kernel_size = pair_of(c["kernel_size"]);
  o.strides = pair_of(c["strides"]);
  o.padding = c["padding"];
  o.data_format = c["data_format"];
  o.dilation_rate = pair_of(c["dilation_rate"]);
  o.groups = c["groups"];
  o.activation = c["activation"].get<std::string>();
  o.use_bias = c["use_bias"];
  return o;
}

// Keras's weights for a case come from pattern(shape, seed + 1 + i) for the i-th weight.
std::vector<Tensor> pattern_weights(const Layer& layer, std::int64_t seed) {
  std::vector<Tensor> w;
  for (const auto& v : layer.weights()) w.push_back(test::pattern(v->value.shape(), seed + 1 + static_cast<std::int64_t>(w.size())));
  return w;
}

}  // namespace

TEST_CASE("Conv2D equals Keras over formats, groups, dilation and strides", "[layers][conv2d]") {
  const auto fx = test::load_fixture("keras_layers.json");
  REQUIRE(fx["conv2d"].size() >= 40);
  Worst worst;
  int channels_first = 0, grouped = 0, dilated = 0, strided = 0, same = 0;
  for (const auto& c : fx["conv2d"]) {
    INFO("config " << c["config"].dump() << " input " << c["input_shape"].dump());
    const auto& cfg = c["config"];
    channels_first += cfg["data_format"] == "channels_first";
    grouped += cfg["groups"] != 1;
    dilated += cfg["dilation_rate"] != nlohmann::json({1, 1});
    strided += cfg["strides"] != nlohmann::json({1, 1});
    same += cfg["padding"] == "same";
    Conv2D layer(conv2d_options(cfg));
    const Shape in = test::shape_from_json(c["input_shape"]), out = test::shape_from_json(c["output_shape"]);
    const std::int64_t seed = c["seed"];
    layer.build(in);
    REQUIRE(layer.kernel()->value.shape() == test::shape_from_json(c["kernel_shape"]));
    REQUIRE(layer.compute_output_shape(in) == out);
    layer.set_weights(pattern_weights(layer, seed));
    worst.require_close(layer(test::pattern(in, seed)), expected_of(c["y"], out));
  }
  // The fixture really spans what it claims to.
  CHECK(channels_first >= 10);
  CHECK(grouped >= 10);
  CHECK(dilated >= 5);
  CHECK(strided >= 10);
  CHECK(same >= 10);
  WARN("Conv2D vs Keras: max relative error " << worst.rel << ", max absolute error " << worst.abs);
}

TEST_CASE("Dense equals Keras on rank 2, 3 and 4 inputs", "[layers][dense]") {
  const auto fx = test::load_fixture("keras_layers.json");
  Worst worst;
  for (const auto& c : fx["dense"]) {
    INFO("config " << c["config"].dump() << " input " << c["input_shape"].dump());
    Dense layer({.units = c["config"]["units"],
                 .activation = c["config"]["activation"].get<std::string>(),
                 .use_bias = c["config"]["use_bias"]});
    const Shape in = test::shape_from_json(c["input_shape"]), out = test::shape_from_json(c["output_shape"]);
    layer.build(in);
    REQUIRE(layer.compute_output_shape(in) == out);
    layer.set_weights(pattern_weights(layer, c["seed"]));
    worst.require_close(layer(test::pattern(in, c["seed"])), expected_of(c["y"], out));
  }
  WARN("Dense vs Keras: max relative error " << worst.rel);
}

TEST_CASE("BatchNormalization equals Keras in training and inference, moving statistics included",
          "[layers][batch_normalization]") {
  const auto fx = test::load_fixture("keras_layers.json");
  Worst worst;
  for (const auto& c : fx["batch_normalization"]) {
    INFO("config " << c["config"].dump() << " input " << c["input_shape"].dump());
    const auto& cfg = c["config"];
    BatchNormalization layer({.axis = cfg["axis"],
                              .momentum = cfg["momentum"],
                              .epsilon = cfg["epsilon"],
                              .center = cfg["center"],
                              .scale = cfg["scale"]});
    const Shape in = test::shape_from_json(c["input_shape"]);
    const std::int64_t seed = c["seed"];
    layer.build(in);
    const std::int64_t channels = in[cfg["axis"].get<std::int64_t>() < 0 ? in.ndim() + cfg["axis"].get<std::int64_t>()
                                                                           : cfg["axis"].get<std::int64_t>()];
    const Shape cs{channels};
    // Keras's order: gamma, beta (when present), moving_mean, moving_variance.
    std::vector<Tensor> w;
    if (cfg["scale"]) w.push_back(test::pattern(cs, seed + 1, DType::Float64) + 1.5);
    if (cfg["center"]) w.push_back(test::pattern(cs, seed + 2, DType::Float64));
    w.push_back(test::pattern(cs, seed + 3, DType::Float64) * 0.5);
    w.push_back(test::pattern(cs, seed + 4, DType::Float64) * 0.5 + 1.0);
    for (auto& t : w) t = t.to(DType::Float32);
    layer.set_weights(w);
    const Tensor x = test::pattern(in, seed);
    worst.require_close(layer(x, false), expected_of(c["y_inference_before"], in));
    worst.require_close(layer(x, true), expected_of(c["y_train"], in));
    const auto weights = layer.weights();
    const auto& moving_mean = weights[weights.size() - 2];
    const auto& moving_variance = weights.back();
    REQUIRE(moving_mean->name == "moving_mean");
    REQUIRE(moving_variance->name == "moving_variance");
    worst.require_close(moving_mean->value, expected_of(c["moving_mean"], cs));
    worst.require_close(moving_variance->value, expected_of(c["moving_variance"], cs));
    worst.require_close(layer(x, false), expected_of(c["y_inference"], in));
  }
  WARN("BatchNormalization vs Keras: max relative error " << worst.rel);
}

TEST_CASE("Pooling, UpSampling2D and ZeroPadding2D equal Keras", "[layers][pooling][upsampling2d][zero_padding2d]") {
  const auto fx = test::load_fixture("keras_layers.json");
  Worst worst;
  for (const auto& c : fx["pooling"]) {
    INFO(c["kind"] << " pool " << c["pool_size"].dump() << " strides " << c["strides"].dump() << " " << c["padding"]
                   << " " << c["data_format"] << " input " << c["input_shape"].dump());
    Pooling2DOptions o{.pool_size = pair_of(c["pool_size"]), .padding = c["padding"], .data_format = c["data_format"]};
    if (!c["strides"].is_null()) o.strides = pair_of(c["strides"]);
    const Shape in = test::shape_from_json(c["input_shape"]), out = test::shape_from_json(c["output_shape"]);
    const Tensor x = test::pattern(in, c["seed"]);
    if (c["kind"] == "max") {
      MaxPooling2D layer(o);
      REQUIRE(layer.compute_output_shape(in) == out);
      worst.require_close(layer(x), expected_of(c["y"], out));
    } else {
      AveragePooling2D layer(o);
      REQUIRE(layer.compute_output_shape(in) == out);
      worst.require_close(layer(x), expected_of(c["y"], out));
    }
  }
  for (const auto& c : fx["upsampling"]) {
    INFO("size " << c["size"].dump() << " " << c["interpolation"] << " " << c["data_format"]);
    UpSampling2D layer({.size = pair_of(c["size"]), .data_format = c["data_format"], .interpolation = c["interpolation"]});
    const Shape in = test::shape_from_json(c["input_shape"]), out = test::shape_from_json(c["output_shape"]);
    REQUIRE(layer.compute_output_shape(in) == out);
    worst.require_close(layer(test::pattern(in, c["seed"])), expected_of(c["y"], out));
  }
  for (const auto& c : fx["zero_padding"]) {
    INFO("padding " << c["padding"].dump() << " " << c["data_format"]);
    ZeroPadding2D layer({.padding = {pair_of(c["padding"][0]), pair_of(c["padding"][1])}, .data_format = c["data_format"]});
    const Shape in = test::shape_from_json(c["input_shape"]), out = test::shape_from_json(c["output_shape"]);
    REQUIRE(layer.compute_output_shape(in) == out);
    worst.require_close(layer(test::pattern(in, c["seed"])), expected_of(c["y"], out));
  }
  WARN("pooling/upsampling/padding vs Keras: max relative error " << worst.rel);
}

TEST_CASE("Flatten, Reshape, LeakyReLU and Activation equal Keras", "[layers][reshaping][activation]") {
  const auto fx = test::load_fixture("keras_layers.json");
  Worst worst;
  for (const auto& c : fx["flatten"]) {
    INFO("Flatten " << c["data_format"] << " input " << c["input_shape"].dump());
    Flatten layer({.data_format = c["data_format"]});
    const Shape in = test::shape_from_json(c["input_shape"]), out = test::shape_from_json(c["output_shape"]);
    REQUIRE(layer.compute_output_shape(in) == out);
    // Bit-exact: a pure permutation.
    REQUIRE_CLOSE(layer(test::pattern(in, c["seed"])), expected_of(c["y"], out), 0.0, 1e-30);
  }
  for (const auto& c : fx["reshape"]) {
    INFO("Reshape " << c["target_shape"].dump() << " input " << c["input_shape"].dump());
    Reshape layer({.target_shape = c["target_shape"].get<std::vector<std::int64_t>>()});
    const Shape in = test::shape_from_json(c["input_shape"]), out = test::shape_from_json(c["output_shape"]);
    REQUIRE(layer.compute_output_shape(in) == out);
    REQUIRE_CLOSE(layer(test::pattern(in, c["seed"])), expected_of(c["y"], out), 0.0, 1e-30);
  }
  for (const auto& c : fx["leaky_relu"]) {
    INFO("LeakyReLU negative_slope " << c["negative_slope"].dump());
    LeakyReLU layer = c["negative_slope"].is_null() ? LeakyReLU() : LeakyReLU({.negative_slope = c["negative_slope"]});
    const Shape in = test::shape_from_json(c["input_shape"]);
    worst.require_close(layer(test::pattern(in, c["seed"])), expected_of(c["y"], in));
  }
  for (const auto& c : fx["activation"]) {
    INFO("Activation " << c["activation"]);
    Activation layer({.activation = c["activation"].get<std::string>()});
    const Shape in = test::shape_from_json(c["input_shape"]);
    worst.require_close(layer(test::pattern(in, c["seed"])), expected_of(c["y"], in));
  }
  WARN("LeakyReLU/Activation vs Keras: max relative error " << worst.rel);
}

TEST_CASE("Dense gradients pass float64 gradcheck through its variables", "[layers][dense][gradcheck]") {
  const std::vector<std::pair<DenseOptions, Shape>> configs = {
      {{.units = 3, .activation = "tanh", .dtype = "float64"}, {4, 5}},
      {{.units = 2, .activation = "softmax", .dtype = "float64"}, {2, 3, 4}},
      {{.units = 4, .activation = "gelu", .use_bias = false, .dtype = "float64"}, {2, 2, 1, 3}},
  };
  for (const auto& [o, shape] : configs) {
    Dense layer(o);
    Tensor x = test::random_leaf(shape, 21);
    layer.build(x.shape());
    Inputs inputs{x};
    for (const auto& v : layer.weights()) inputs.push_back(v->value);
    REQUIRE(inputs.size() == (o.use_bias ? 3u : 2u));
    REQUIRE_GRADCHECK(layer.name(), [&layer](const Inputs& in) { return layer(in[0]); }, inputs);
  }
}

TEST_CASE("Conv2D gradients pass float64 gradcheck with groups and channels_first", "[layers][conv2d][gradcheck]") {
  const std::vector<std::pair<Conv2DOptions, Shape>> configs = {
      {{.filters = 4, .kernel_size = 3, .padding = "same", .data_format = "channels_first", .groups = 2,
        .activation = "tanh", .dtype = "float64"},
       {2, 4, 4, 5}},
      {{.filters = 3, .kernel_size = {2, 3}, .strides = {2, 1}, .padding = "same", .groups = 3, .activation = "sigmoid",
        .dtype = "float64"},
       {1, 5, 4, 6}},
      {{.filters = 2, .kernel_size = 2, .data_format = "channels_first", .dilation_rate = {2, 1},
        .activation = "softplus", .dtype = "float64"},
       {2, 3, 5, 4}},
  };
  for (const auto& [o, shape] : configs) {
    Conv2D layer(o);
    Tensor x = test::random_leaf(shape, 33);
    layer.build(x.shape());
    Tensor k = layer.kernel()->value, b = layer.bias()->value;
    REQUIRE_GRADCHECK(layer.name(), [&layer](const Inputs& in) { return layer(in[0]); }, Inputs{x, k, b});
  }
}

TEST_CASE("BatchNormalization gradients pass float64 gradcheck in training mode", "[layers][batch_normalization][gradcheck]") {
  const std::vector<std::pair<BatchNormalizationOptions, Shape>> configs = {
      {{.axis = -1, .momentum = 0.9, .dtype = "float64"}, {6, 3}},
      {{.axis = 1, .epsilon = 1e-2, .dtype = "float64"}, {2, 3, 2, 2}},
      {{.axis = -1, .center = false, .dtype = "float64"}, {2, 2, 3, 2}},
  };
  for (const auto& [o, shape] : configs) {
    BatchNormalization layer(o);
    Tensor x = test::random_leaf(shape, 44);
    layer.build(x.shape());
    // gamma (and beta) away from their initial 1 and 0, so every term of the gradient matters.
    Inputs inputs{x};
    for (const auto& v : layer.trainable_weights()) {
      v->assign(test::random_leaf(v->value.shape(), 45 + inputs.size(), 0.5, 1.5).detach());
      inputs.push_back(v->value);
    }
    REQUIRE(inputs.size() == (o.center ? 3u : 2u));
    REQUIRE_GRADCHECK(layer.name(), [&layer](const Inputs& in) { return layer(in[0], true); }, inputs);
  }
}
