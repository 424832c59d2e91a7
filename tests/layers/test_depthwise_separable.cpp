// DepthwiseConv2D and SeparableConv2D against the real Keras (fixture:
// tests/reference/keras_depthwise_separable.py, 48 configurations each over both data formats,
// padding, depth_multiplier 1..3, strides and dilation (also together), activations and use_bias):
// outputs, weight names and shapes, get_config(); then float64 gradchecks, Keras's fan rule on the
// kernels, output shapes with unknown extents, and the errors Keras raises.
#include <cmath>

#include "support/keras_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;
using Inputs = std::vector<Tensor>;

namespace {

// Keras 3.15's variance-scaling initializers (GlorotUniform, HeNormal, ...) write "input_axes" and
// "output_axes" (null unless set), which minidl's initializers do not have yet; everything else in
// the configs is compared as it is.
json without_null_initializer_axes(json config) {
  for (auto& [key, value] : config.items()) {
    if (!key.ends_with("_initializer") || !value.is_object() || !value.contains("config")) continue;
    for (const char* axes : {"input_axes", "output_axes"})
      if (value["config"].contains(axes) && value["config"][axes].is_null()) value["config"].erase(axes);
  }
  return config;
}

json keras_case(const json& c) {
  json k = c;
  k["config"] = without_null_initializer_axes(c["config"]);
  return k;
}

template <class Options>
void read_kwargs(const json& kw, Options& o) {
  o.kernel_size = config::int_pair(kw["kernel_size"]);
  o.strides = config::int_pair(kw["strides"]);
  o.padding = kw["padding"];
  o.depth_multiplier = kw["depth_multiplier"];
  o.data_format = kw["data_format"];
  o.dilation_rate = config::int_pair(kw["dilation_rate"]);
  o.activation = kw["activation"].get<std::string>();
  o.use_bias = kw["use_bias"];
  o.name = kw["name"];
}

// Runs one fixture case: config before and after build, weight shapes, output, then Keras's weight paths.
void check_keras_case(Layer& layer, const json& c) {
  const json k = keras_case(c);
  test::check_case(layer, k, test::case_input(k));
  const auto weights = layer.weights();
  for (std::size_t i = 0; i < weights.size(); ++i) CHECK(weights[i]->path == c["weight_paths"][i]);
}

struct Coverage {
  std::set<std::string> formats, paddings, activations;
  std::set<std::int64_t> multipliers;
  int strided_and_dilated = 0, no_bias = 0;
  void add(const json& cfg) {
    formats.insert(cfg["data_format"]);
    paddings.insert(cfg["padding"]);
    activations.insert(cfg["activation"]);
    multipliers.insert(cfg["depth_multiplier"].get<std::int64_t>());
    const auto s = cfg["strides"], d = cfg["dilation_rate"];
    strided_and_dilated += std::max(s[0].get<int>(), s[1].get<int>()) > 1 && std::max(d[0].get<int>(), d[1].get<int>()) > 1;
    no_bias += !cfg["use_bias"].get<bool>();
  }
  void require_spread() const {
    CHECK(formats.size() == 2);
    CHECK(paddings.size() == 2);
    CHECK(multipliers == std::set<std::int64_t>{1, 2, 3});
    CHECK(activations.size() >= 12);
    CHECK(strided_and_dilated >= 6);
    CHECK(no_bias >= 10);
  }
};

}  // namespace

// Every case of the fixture family `family`, the layer made from the case's keyword arguments.
template <class L, class Options>
void check_family(const std::string& family) {
  const auto fx = test::load_fixture("keras_depthwise_separable.json");
  REQUIRE(fx[family].size() >= 40);
  Coverage coverage;
  for (const auto& c : fx[family]) {
    INFO("kwargs " << c["kwargs"].dump() << " input " << c["input_shape"].dump());
    Options o;
    if constexpr (requires { o.filters; }) o.filters = c["kwargs"]["filters"];
    read_kwargs(c["kwargs"], o);
    L layer(o);
    check_keras_case(layer, c);
    coverage.add(c["config"]);
  }
  coverage.require_spread();
}

TEST_CASE("DepthwiseConv2D equals Keras on 48 configurations", "[layers][depthwise_conv2d][keras]") {
  check_family<DepthwiseConv2D, DepthwiseConv2DOptions>("depthwise");
}

TEST_CASE("SeparableConv2D equals Keras on 48 configurations", "[layers][separable_conv2d][keras]") {
  check_family<SeparableConv2D, SeparableConv2DOptions>("separable");
}

TEST_CASE("DepthwiseConv2D and SeparableConv2D configs equal Keras's with every argument set",
          "[layers][depthwise_conv2d][separable_conv2d][keras]") {
  const auto fx = test::load_fixture("keras_depthwise_separable.json");
  const json& keras = fx["configs"];
  const DepthwiseConv2D dw({.kernel_size = {3, 2},
                            .strides = {2, 1},
                            .padding = "same",
                            .depth_multiplier = 2,
                            .data_format = "channels_first",
                            .dilation_rate = {1, 1},
                            .activation = "relu",
                            .use_bias = false,
                            .depthwise_initializer = initializers::HeUniform{.seed = 7},
                            .bias_initializer = initializers::Constant{.value = 0.5},
                            .depthwise_regularizer = regularizers::L1L2{.l1 = 1e-5, .l2 = 1e-4},
                            .bias_regularizer = "l2",
                            .activity_regularizer = regularizers::L1{.l1 = 0.0009765625},
                            .depthwise_constraint = constraints::MaxNorm{.max_value = 2.0, .axis = {0, 1, 2}},
                            .bias_constraint = constraints::NonNeg{},
                            .name = "dw_full"});
  const SeparableConv2D sep({.filters = 5,
                             .kernel_size = 3,
                             .strides = 1,
                             .padding = "valid",
                             .data_format = "channels_last",
                             .dilation_rate = 2,
                             .depth_multiplier = 3,
                             .activation = "tanh",
                             .use_bias = true,
                             .depthwise_initializer = initializers::RandomNormal{.mean = 0.1, .stddev = 0.2, .seed = 1},
                             .pointwise_initializer = initializers::LecunNormal{.seed = 2},
                             .bias_initializer = "ones",
                             .depthwise_regularizer = regularizers::L2{.l2 = 1e-3},
                             .pointwise_regularizer = regularizers::L1{.l1 = 0.0001220703125},
                             .bias_regularizer = {},
                             .activity_regularizer = regularizers::L1{.l1 = 0.5},
                             .depthwise_constraint = constraints::UnitNorm{.axis = {0, 1}},
                             .pointwise_constraint = "non_neg",
                             .bias_constraint = constraints::MinMaxNorm{.min_value = 0.1, .max_value = 1.5, .rate = 0.5},
                             .name = "sep_full"});
  const DepthwiseConv2D dw_default({.kernel_size = 3, .name = "dw_default"});
  const SeparableConv2D sep_default({.filters = 4, .kernel_size = 3, .name = "sep_default"});
  for (const Layer* layer : std::initializer_list<const Layer*>{&dw, &sep, &dw_default, &sep_default}) {
    INFO(layer->name());
    const json expected = without_null_initializer_axes(keras[layer->name()]);
    test::require_same_config(layer->class_name(), layer->get_config(), expected);
    // Keras's own config (initializer axes included) rebuilds the same layer.
    const json back = layer->class_name() == "DepthwiseConv2D"
                          ? DepthwiseConv2D::from_config(keras[layer->name()]).get_config()
                          : SeparableConv2D::from_config(keras[layer->name()]).get_config();
    CHECK(back == layer->get_config());
  }
}

TEST_CASE("DepthwiseConv2D and SeparableConv2D pass float64 gradcheck on the input and every weight",
          "[layers][depthwise_conv2d][separable_conv2d][gradcheck]") {
  SECTION("DepthwiseConv2D") {
    const std::vector<DepthwiseConv2DOptions> configs = {
        {.kernel_size = 3, .padding = "same", .depth_multiplier = 2, .activation = "tanh", .dtype = "float64"},
        {.kernel_size = {2, 3}, .strides = {2, 1}, .data_format = "channels_first", .activation = "sigmoid",
         .dtype = "float64"},
        {.kernel_size = 2, .strides = 2, .padding = "same", .depth_multiplier = 3, .dilation_rate = 2,
         .activation = "softplus", .dtype = "float64"},
        {.kernel_size = 1, .depth_multiplier = 2, .data_format = "channels_first", .activation = "softmax",
         .dtype = "float64"},
    };
    for (const auto& o : configs) {
      DepthwiseConv2D layer(o);
      const bool first = o.data_format == "channels_first";
      Tensor x = test::random_leaf(first ? Shape{2, 3, 5, 4} : Shape{2, 5, 4, 3}, 11);
      layer.build(x.shape());
      // A random bias (not the initializer's zeros); the layer reads its Variables, so the gradcheck
      // perturbs those very tensors.
      layer.set_weights({layer.kernel()->value, test::random_leaf(layer.bias()->value.shape(), 13)});
      Tensor k = layer.kernel()->value, b = layer.bias()->value;
      REQUIRE_GRADCHECK(layer.name(), [&layer](const Inputs& in) { return layer(in[0]); }, Inputs{x, k, b});
    }
  }
  SECTION("SeparableConv2D") {
    const std::vector<SeparableConv2DOptions> configs = {
        {.filters = 3, .kernel_size = 3, .padding = "same", .depth_multiplier = 2, .activation = "tanh",
         .dtype = "float64"},
        {.filters = 2, .kernel_size = {2, 3}, .strides = {2, 1}, .data_format = "channels_first",
         .activation = "sigmoid", .dtype = "float64"},
        {.filters = 4, .kernel_size = 2, .strides = 2, .padding = "same", .dilation_rate = 2, .depth_multiplier = 3,
         .activation = "softplus", .dtype = "float64"},
    };
    for (const auto& o : configs) {
      SeparableConv2D layer(o);
      const bool first = o.data_format == "channels_first";
      Tensor x = test::random_leaf(first ? Shape{2, 3, 5, 4} : Shape{2, 5, 4, 3}, 21);
      layer.build(x.shape());
      layer.set_weights({layer.depthwise_kernel()->value, layer.pointwise_kernel()->value,
                         test::random_leaf(layer.bias()->value.shape(), 22)});
      Tensor dk = layer.depthwise_kernel()->value, pk = layer.pointwise_kernel()->value, b = layer.bias()->value;
      REQUIRE_GRADCHECK(layer.name(), [&layer](const Inputs& in) { return layer(in[0]); }, Inputs{x, dk, pk, b});
    }
  }
}

TEST_CASE("DepthwiseConv2D and SeparableConv2D kernels use Keras's fans", "[layers][depthwise_conv2d][separable_conv2d]") {
  // Keras's compute_fans on (3, 3, 64, 1): fan_in = 3*3*64 = 576, so HeUniform's limit is
  // sqrt(6 / 576) = 0.1021; the grouped layout (3, 3, 1, 64) would give fan_in 9 and limit 0.816.
  DepthwiseConv2D dw({.kernel_size = 3, .depthwise_initializer = initializers::HeUniform{.seed = 1}});
  dw.build({1, 8, 8, 64});
  const auto w = dw.kernel()->value.to(DType::Float64).to_vector<double>();
  const double limit = std::sqrt(6.0 / 576.0);
  double most = 0;
  for (double v : w) most = std::max(most, std::abs(v));
  CHECK(most <= limit);
  CHECK(most > 0.95 * limit);
  // Pointwise (1, 1, 12 * 2, 5): fan_in = 24; depthwise (3, 3, 12, 2): fan_in = 108.
  SeparableConv2D sep({.filters = 5, .kernel_size = 3, .depth_multiplier = 2,
                       .depthwise_initializer = initializers::HeUniform{.seed = 2},
                       .pointwise_initializer = initializers::HeUniform{.seed = 3}});
  sep.build({1, 8, 8, 12});
  for (const auto& [kernel, fan_in] : {std::pair{sep.depthwise_kernel(), 108.0}, std::pair{sep.pointwise_kernel(), 24.0}}) {
    double m = 0;
    for (double v : kernel->value.to(DType::Float64).to_vector<double>()) m = std::max(m, std::abs(v));
    INFO(kernel->path);
    CHECK(m <= std::sqrt(6.0 / fan_in));
    CHECK(m > 0.8 * std::sqrt(6.0 / fan_in));
  }
}

TEST_CASE("DepthwiseConv2D and SeparableConv2D output shapes, parameters and losses",
          "[layers][depthwise_conv2d][separable_conv2d]") {
  clear_session();
  DepthwiseConv2D dw({.kernel_size = 3, .strides = 2, .padding = "same", .depth_multiplier = 3,
                      .depthwise_regularizer = "l2", .bias_regularizer = "l1", .activity_regularizer = "l2"});
  REQUIRE(dw.name() == "depthwise_conv2d");
  REQUIRE(dw.compute_output_shape({-1, 7, -1, 4}) == Shape{-1, 4, -1, 12});
  REQUIRE(dw.compute_output_shape({2, 7, 6, -1}) == Shape{2, 4, 3, -1});
  const Tensor y = dw(Tensor::ones({2, 7, 6, 4}));
  REQUIRE(y.shape() == Shape{2, 4, 3, 12});
  REQUIRE(dw.losses().size() == 3);  // kernel, bias, activity
  // Keras's summary of DepthwiseConv2D(3) on (8, 8, 3): 30 parameters; SeparableConv2D(2, 3) after it: 35.
  DepthwiseConv2D small({.kernel_size = 3});
  small.build({1, 8, 8, 3});
  CHECK(small.count_params() == 30);
  SeparableConv2D sep({.filters = 2, .kernel_size = 3, .data_format = "channels_first"});
  REQUIRE(sep.name() == "separable_conv2d");
  REQUIRE(sep.compute_output_shape({-1, 3, 6, -1}) == Shape{-1, 2, 4, -1});
  sep.build({1, 3, 6, 6});
  CHECK(sep.count_params() == 35);
  const auto names = sep.weights();
  REQUIRE(names.size() == 3);
  CHECK(names[0]->path == "separable_conv2d/depthwise_kernel");
  CHECK(names[1]->path == "separable_conv2d/pointwise_kernel");
  CHECK(names[2]->path == "separable_conv2d/bias");
  // Keras's summary of Sequential([Input((8, 8, 3)), DepthwiseConv2D(3), SeparableConv2D(2, 3)]).
  clear_session();
  Sequential model({.input_shape = Shape{8, 8, 3}});
  model.add(DepthwiseConv2D({.kernel_size = 3}));
  model.add(SeparableConv2D({.filters = 2, .kernel_size = 3}));
  const std::string table = model.summary_string();
  INFO(table);
  for (const char* row : {"depthwise_conv2d", "(DepthwiseConv2D)", "(None, 6, 6, 3)", "separable_conv2d",
                          "(SeparableConv2D)", "(None, 4, 4, 2)", "Total params: 65 (260.00 B)"})
    CHECK(table.find(row) != std::string::npos);
  SeparableConv2D no_bias({.filters = 2, .kernel_size = 1, .use_bias = false});
  no_bias.build({1, 2, 2, 3});
  CHECK(no_bias.weights().size() == 2);
  CHECK(no_bias.bias() == nullptr);
}

TEST_CASE("DepthwiseConv2D and SeparableConv2D refuse what Keras refuses", "[layers][depthwise_conv2d][separable_conv2d][errors]") {
  // Keras: "The `kernel_size` argument must be a tuple of 2 integers. Received kernel_size=(3, 0),
  // including values {0} that do not satisfy `value > 0`" (and the same for strides, dilation_rate).
  REQUIRE_THROWS_WITH_ALL(DepthwiseConv2D({.kernel_size = {3, 0}}), std::invalid_argument, "DepthwiseConv2D",
                          "`kernel_size`", "kernel_size=(3, 0)");
  REQUIRE_THROWS_WITH_ALL(DepthwiseConv2D({.kernel_size = 3, .strides = {0, 1}}), std::invalid_argument, "`strides`",
                          "strides=(0, 1)");
  REQUIRE_THROWS_WITH_ALL(SeparableConv2D({.filters = 2, .kernel_size = 3, .dilation_rate = -1}),
                          std::invalid_argument, "SeparableConv2D", "`dilation_rate`", "dilation_rate=(-1, -1)");
  // "Invalid value for argument `depth_multiplier`. Expected a strictly positive value. Received depth_multiplier=0."
  REQUIRE_THROWS_WITH_ALL(DepthwiseConv2D({.kernel_size = 3, .depth_multiplier = 0}), std::invalid_argument,
                          "`depth_multiplier`", "strictly positive", "depth_multiplier=0");
  REQUIRE_THROWS_WITH_ALL(SeparableConv2D({.filters = 2, .kernel_size = 3, .depth_multiplier = -1}),
                          std::invalid_argument, "`depth_multiplier`", "depth_multiplier=-1");
  REQUIRE_THROWS_WITH_ALL(SeparableConv2D({.filters = 0, .kernel_size = 3}), std::invalid_argument, "`filters`",
                          "strictly positive", "filters=0");
  REQUIRE_THROWS_WITH_ALL(DepthwiseConv2D({.kernel_size = 3, .padding = "causal"}), std::invalid_argument, "causal");
  REQUIRE_THROWS_WITH_ALL(SeparableConv2D({.filters = 1, .kernel_size = 3, .padding = "full"}), std::invalid_argument,
                          "padding", "full");
  REQUIRE_THROWS_WITH_ALL(DepthwiseConv2D({.kernel_size = 3, .data_format = "NHWC"}), std::invalid_argument,
                          "data_format", "NHWC");
  REQUIRE_THROWS_WITH_ALL(DepthwiseConv2D({.kernel_size = 3, .activation = "Relu"}), std::invalid_argument,
                          "unknown identifier 'Relu'");
  // "Computed output size would be zero or negative. Received `inputs shape=(1, 3, 3, 2)`, `kernel
  // shape=(5, 5, 2, 2)` ..." (SeparableConv2D names (5, 5, in, filters)).
  REQUIRE_THROWS_WITH_ALL(DepthwiseConv2D({.kernel_size = 5, .name = "d"})(Tensor::ones({1, 3, 3, 2})),
                          std::invalid_argument, "'d'", "zero or negative", "(1, 3, 3, 2)", "(5, 5, 2, 2)");
  REQUIRE_THROWS_WITH_ALL(SeparableConv2D({.filters = 4, .kernel_size = 3, .dilation_rate = 2})(Tensor::ones({1, 4, 8, 2})),
                          std::invalid_argument, "zero or negative", "(3, 3, 2, 4)", "dilation_rate=(2, 2)");
  DepthwiseConv2D layer({.kernel_size = 3, .name = "dw"});
  REQUIRE_THROWS_WITH_ALL(layer(Tensor::ones({4, 4, 3})), std::invalid_argument, "expected ndim=4", "found ndim=3");
  layer(Tensor::ones({1, 4, 4, 2}));
  // "Input 0 ... of layer 'dw' is incompatible with the layer: expected axis -1 of input shape to have value 2, ..."
  REQUIRE_THROWS_WITH_ALL(layer(Tensor::ones({1, 4, 4, 3})), std::invalid_argument, "'dw'", "expected axis -1",
                          "value 2", "(1, 4, 4, 3)");
  REQUIRE_THROWS_WITH_ALL(layer.set_weights({Tensor::ones({3, 3, 1, 2}), Tensor::ones({2})}), std::invalid_argument,
                          "kernel", "(3, 3, 2, 1)", "(3, 3, 1, 2)");
  SeparableConv2D sep({.filters = 2, .kernel_size = 3, .data_format = "channels_first"});
  sep.build({1, 3, 5, 5});
  REQUIRE_THROWS_WITH_ALL(sep(Tensor::ones({1, 2, 5, 5})), std::invalid_argument, "expected axis 1", "value 3");
  REQUIRE_THROWS_WITH_ALL(SeparableConv2D({.filters = 2, .kernel_size = 3}).build({1, 5, 5, -1}),
                          std::invalid_argument, "channel dimension", "(1, 5, 5, None)");
}
