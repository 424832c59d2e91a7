// Conv2DTranspose against the real Keras (fixture: tests/reference/keras_conv2d_transpose.py, 160
// configurations over every argument), gradients by gradcheck, Keras's shape tables, errors and
// config round trips.
#include "support/fixtures.h"

using namespace minidl;
using namespace minidl::layers;
using Inputs = std::vector<Tensor>;

namespace {

Conv2DTransposeOptions options_from(const nlohmann::json& c) {
  Conv2DTransposeOptions o;
  o.filters = c["filters"];
  o.kernel_size = IntPair(c["kernel_size"][0], c["kernel_size"][1]);
  o.strides = IntPair(c["strides"][0], c["strides"][1]);
  o.padding = c["padding"];
  if (!c["output_padding"].is_null()) o.output_padding = IntPair(c["output_padding"][0], c["output_padding"][1]);
  o.data_format = c["data_format"];
  o.dilation_rate = IntPair(c["dilation_rate"][0], c["dilation_rate"][1]);
  o.activation = c["activation"].get<std::string>();
  o.use_bias = c["use_bias"];
  return o;
}

}  // namespace

TEST_CASE("Conv2DTranspose equals Keras on 160 configurations", "[layers][conv2d_transpose]") {
  const auto fx = test::load_fixture("keras_conv2d_transpose.json");
  REQUIRE(fx["cases"].size() >= 150);
  double worst = 0;
  for (const auto& c : fx["cases"]) {
    INFO("config " << c["config"].dump() << " input " << c["input_shape"].dump());
    Conv2DTranspose layer(options_from(c["config"]));
    const Shape in = test::shape_from_json(c["input_shape"]);
    const std::int64_t seed = c["seed"];
    layer.build(in);
    REQUIRE(layer.kernel()->value.shape() == test::shape_from_json(c["kernel_shape"]));
    std::vector<Tensor> w{test::pattern(test::shape_from_json(c["kernel_shape"]), seed + 1)};
    if (c["config"]["use_bias"]) w.push_back(test::pattern({c["config"]["filters"].get<std::int64_t>()}, seed + 2));
    layer.set_weights(w);
    const Shape out = test::shape_from_json(c["output_shape"]);
    REQUIRE(layer.compute_output_shape(in) == out);
    const Tensor y = layer(test::pattern(in, seed));
    REQUIRE(y.shape() == out);
    const Tensor expected =
        Tensor::from_vector(c["y"].get<std::vector<double>>(), out).to(DType::Float32);
    const auto cl = test::compare(y, expected, 1e-5, 1e-6);
    worst = std::max(worst, cl.max_rel);
    INFO(cl.detail);
    REQUIRE(cl.ok);
  }
  WARN("Conv2DTranspose vs Keras: max relative error " << worst);
}

TEST_CASE("Conv2DTranspose output shapes follow Keras's tables", "[layers][conv2d_transpose]") {
  // Keras 3 conv_transpose_test.py basic cases and tf.keras's shape tests.
  struct Case {
    Conv2DTransposeOptions o;
    Shape in, out;
  };
  const std::vector<Case> cases = {
      {{.filters = 5, .kernel_size = 2, .strides = 2}, {2, 8, 8, 4}, {2, 16, 16, 5}},
      {{.filters = 6, .kernel_size = 2, .strides = 3, .padding = "same", .output_padding = 2}, {2, 8, 8, 4}, {2, 23, 23, 6}},
      {{.filters = 6, .kernel_size = {2, 3}, .strides = {2, 1}, .data_format = "channels_first"}, {2, 4, 8, 8}, {2, 6, 16, 10}},
      {{.filters = 2, .kernel_size = {7, 7}, .strides = {16, 16}}, {1, 14, 14, 2}, {1, 224, 224, 2}},
      {{.filters = 2, .kernel_size = 3}, {2, 7, 6, 3}, {2, 9, 8, 2}},
      {{.filters = 2, .kernel_size = 3, .padding = "same"}, {2, 7, 6, 3}, {2, 7, 6, 2}},
      {{.filters = 2, .kernel_size = 3, .strides = 2}, {2, 7, 6, 3}, {2, 15, 13, 2}},
      {{.filters = 2, .kernel_size = 3, .strides = 2, .output_padding = 1}, {2, 7, 6, 3}, {2, 16, 14, 2}},
      {{.filters = 5, .kernel_size = 2, .strides = 5, .output_padding = 4}, {2, 4, 4, 3}, {2, 21, 21, 5}},
      {{.filters = 5, .kernel_size = 2, .strides = 2, .input_shape = Shape{-1, -1, 3}}, {-1, -1, -1, 3}, {-1, -1, -1, 5}},
  };
  for (const auto& c : cases) {
    Conv2DTranspose layer(c.o);
    REQUIRE(layer.compute_output_shape(c.in) == c.out);
    if (c.in.is_fully_defined()) {
      REQUIRE(layer(Tensor::ones(c.in)).shape() == c.out);
      REQUIRE(layer.weights().size() == 2);
      REQUIRE(layer.trainable_weights().size() == 2);
    }
  }
}

TEST_CASE("Conv2DTranspose gradients pass float64 gradcheck", "[layers][conv2d_transpose][gradcheck]") {
  const std::vector<Conv2DTransposeOptions> configs = {
      {.filters = 3, .kernel_size = 3, .strides = 2, .padding = "same", .activation = "tanh", .dtype = "float64"},
      {.filters = 2, .kernel_size = {2, 3}, .strides = {2, 1}, .output_padding = IntPair(1, 0), .data_format = "channels_first",
       .activation = "sigmoid", .dtype = "float64"},
      {.filters = 2, .kernel_size = 3, .padding = "same", .dilation_rate = 2, .activation = "softplus", .dtype = "float64"},
  };
  for (const auto& o : configs) {
    Conv2DTranspose layer(o);
    const bool first = o.data_format == "channels_first";
    Tensor x = test::random_leaf(first ? Shape{2, 2, 3, 4} : Shape{2, 3, 4, 2}, 9);
    layer.build(x.shape());
    Tensor k = layer.kernel()->value, b = layer.bias()->value;
    // The layer reads its Variables, so the gradcheck perturbs those very tensors.
    REQUIRE_GRADCHECK(layer.name(), [&layer](const Inputs& in) { return layer(in[0]); }, Inputs{x, k, b});
  }
}

TEST_CASE("Conv2DTranspose refuses what Keras refuses", "[layers][conv2d_transpose][errors]") {
  REQUIRE_THROWS_WITH_ALL(Conv2DTranspose({.filters = 0, .kernel_size = 3}), std::invalid_argument, "filters", "filters=0");
  REQUIRE_THROWS_WITH_ALL(Conv2DTranspose({.filters = 2, .kernel_size = {1, 0}}), std::invalid_argument, "kernel_size",
                          "(1, 0)");
  REQUIRE_THROWS_WITH_ALL(Conv2DTranspose({.filters = 2, .kernel_size = 3, .strides = {1, 0}}), std::invalid_argument,
                          "strides", "(1, 0)");
  REQUIRE_THROWS_WITH_ALL(Conv2DTranspose({.filters = 2, .kernel_size = 3, .strides = 2, .output_padding = 2}),
                          std::invalid_argument, "output_padding", "strides");
  REQUIRE_THROWS_WITH_ALL(Conv2DTranspose({.filters = 2, .kernel_size = 3, .strides = 1, .output_padding = 1}),
                          std::invalid_argument, "output_padding");
  REQUIRE_THROWS_WITH_ALL(Conv2DTranspose({.filters = 2, .kernel_size = 3, .strides = 2, .dilation_rate = {2, 1}}),
                          std::invalid_argument, "dilation_rate > 1", "strides=(2, 2)", "dilation_rate=(2, 1)");
  REQUIRE_THROWS_WITH_ALL(Conv2DTranspose({.filters = 2, .kernel_size = 3, .padding = "causal"}), std::invalid_argument,
                          "causal");
  REQUIRE_THROWS_WITH_ALL(Conv2DTranspose({.filters = 2, .kernel_size = 3, .padding = "full"}), std::invalid_argument,
                          "padding", "full");
  REQUIRE_THROWS_WITH_ALL(Conv2DTranspose({.filters = 2, .kernel_size = 3, .data_format = "NHWC"}), std::invalid_argument,
                          "data_format", "NHWC");
  REQUIRE_THROWS_WITH_ALL(Conv2DTranspose({.filters = 2, .kernel_size = 3, .activation = "Relu"}), std::invalid_argument,
                          "unknown identifier 'Relu'");
  Conv2DTranspose layer({.filters = 2, .kernel_size = 3});
  REQUIRE_THROWS_WITH_ALL(layer(Tensor::ones({4, 4, 3})), std::invalid_argument, "expected ndim=4", "found ndim=3");
  layer(Tensor::ones({1, 4, 4, 3}));
  REQUIRE_THROWS_WITH_ALL(layer(Tensor::ones({1, 4, 4, 5})), std::invalid_argument, "expected axis -1", "value 3",
                          "(1, 4, 4, 5)");
  REQUIRE_THROWS_WITH_ALL(layer.set_weights({Tensor::ones({3, 3, 2, 4}), Tensor::ones({2})}), std::invalid_argument,
                          "kernel", "(3, 3, 2, 3)", "(3, 3, 2, 4)");
}

TEST_CASE("Conv2DTranspose takes objects, strings and callables", "[layers][conv2d_transpose]") {
  clear_session();
  Conv2DTranspose layer({.filters = 4,
                         .kernel_size = {5, 5},
                         .strides = {2, 2},
                         .padding = "SAME",
                         .activation = activations::ReLU{.max_value = 6.0},
                         .use_bias = true,
                         .kernel_initializer = initializers::HeNormal{.seed = 3},
                         .bias_initializer = initializers::Constant{.value = 0.5},
                         .kernel_regularizer = regularizers::L1L2{.l1 = 1e-5, .l2 = 1e-4},
                         .bias_regularizer = "l2",
                         .activity_regularizer = regularizers::L1{.l1 = 1e-3},
                         .kernel_constraint = constraints::MaxNorm{.max_value = 2, .axis = {0, 1, 2}},
                         .bias_constraint = [](const Tensor& b) { return b; }});
  REQUIRE(layer.name() == "conv2d_transpose");
  REQUIRE(Conv2DTranspose({.filters = 1, .kernel_size = 1}).name() == "conv2d_transpose_1");
  const Tensor y = layer(Tensor::ones({3, 4, 4, 2}));
  REQUIRE(y.shape() == Shape{3, 8, 8, 4});
  // Regularization: kernel + bias + activity (tf.keras's count: 2 after build, 3 after a call).
  REQUIRE(layer.losses().size() == 3);
  // L2 bias term by hand: 0.01 * 4 * 0.5^2 = 0.01
  REQUIRE(layer.losses()[1].item() == Approx(0.01));
  const auto cfg = layer.get_config();
  REQUIRE(cfg["padding"] == "same");
  REQUIRE(cfg["output_padding"].is_null());
  REQUIRE(cfg["activation"]["class_name"] == "relu");
  REQUIRE(cfg["kernel_initializer"]["class_name"] == "HeNormal");
  REQUIRE(cfg["kernel_initializer"]["config"]["seed"] == 3);
  REQUIRE(cfg["kernel_regularizer"]["config"]["l2"] == Approx(1e-4));
  REQUIRE(cfg["kernel_constraint"]["class_name"] == "MaxNorm");
  for (const char* key : {"name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding", "output_padding",
                          "data_format", "dilation_rate", "activation", "use_bias", "kernel_initializer",
                          "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                          "kernel_constraint", "bias_constraint"})
    REQUIRE(cfg.contains(key));
  // Round trip (Keras >= 3.15 keeps output_padding).
  Conv2DTranspose again = Conv2DTranspose::from_config(
      Conv2DTranspose({.filters = 2, .kernel_size = 3, .strides = 2, .output_padding = 1, .name = "ct"}).get_config());
  REQUIRE(again.get_config()["output_padding"] == nlohmann::json({1, 1}));
  REQUIRE(again.name() == "ct");
}
