// Conv1D and Conv1DTranspose against the real Keras (fixture: tests/reference/keras_conv1d.py):
// outputs and get_config() on a spread of configurations (made from the options structs and again
// from Keras's config), configs with every object argument, the errors Keras raises and the fans of
// Keras's kernel layouts; float64 gradcheck of input, kernel and bias; causality by hand.
#include "support/keras_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;
using Inputs = std::vector<Tensor>;

namespace {

// An int argument as the script passed it: 3 or [3].
std::int64_t one(const json& j) { return j.is_array() ? j.at(0).get<std::int64_t>() : j.get<std::int64_t>(); }

template <class Options>
Options common_args(const json& a) {
  Options o;
  o.filters = a.at("filters");
  o.kernel_size = one(a.at("kernel_size"));
  if (a.contains("strides")) o.strides = one(a["strides"]);
  if (a.contains("padding")) o.padding = a["padding"];
  if (a.contains("data_format")) o.data_format = a["data_format"];
  if (a.contains("dilation_rate")) o.dilation_rate = one(a["dilation_rate"]);
  if (a.contains("activation")) o.activation = a["activation"].get<std::string>();
  if (a.contains("use_bias")) o.use_bias = a["use_bias"];
  if (a.contains("name")) o.name = a["name"];
  return o;
}

Conv1DOptions conv1d_options(const json& a) {
  auto o = common_args<Conv1DOptions>(a);
  if (a.contains("groups")) o.groups = a["groups"];
  return o;
}

Conv1DTransposeOptions conv1d_transpose_options(const json& a) {
  auto o = common_args<Conv1DTransposeOptions>(a);
  if (a.contains("output_padding") && !a["output_padding"].is_null()) o.output_padding = one(a["output_padding"]);
  return o;
}

// Each case twice: made from the arguments given to Keras, and from Keras's own config.
template <class L>
void check_family(const json& cases, const std::function<L(const json&)>& from_args) {
  for (const auto& c : cases) {
    INFO("args " << c["args"].dump() << " input " << c["input_shape"].dump());
    // Keras's automatic names count the layers the script made and skipped: take Keras's.
    json args = c["args"];
    args["name"] = c["config"]["name"];
    L layer = from_args(args);
    test::check_case(layer, c, test::case_input(c));
    L again = L::from_config(c["config"]);
    test::check_case(again, c, test::case_input(c), true);
  }
}

// Keras holds regularizer factors as float32 (L1(1e-3) is written 0.0010000000474974513): numbers
// agree to float32 precision, everything else exactly.
bool json_close(const json& a, const json& b) {
  if (a.is_number() && b.is_number())
    return std::abs(a.get<double>() - b.get<double>()) <= 1e-7 * std::abs(b.get<double>());
  if (a.type() != b.type() || a.size() != b.size()) return false;
  if (a.is_object()) {
    for (const auto& [k, v] : b.items())
      if (!a.contains(k) || !json_close(a[k], v)) return false;
    return true;
  }
  if (a.is_array()) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!json_close(a[i], b[i])) return false;
    return true;
  }
  return a == b;
}

void require_config_close(const json& ours, const json& keras) {
  REQUIRE(ours.size() == keras.size());
  for (const auto& [key, value] : keras.items()) {
    INFO("key " << key << ": ours " << ours.value(key, json()).dump() << " keras " << value.dump());
    REQUIRE(ours.contains(key));
    CHECK(json_close(ours[key], test::without_null_fan_axes(key, value)));
  }
}

std::shared_ptr<Layer> from_args(const std::string& cls, const json& args) {
  if (cls == "Conv1D") return std::make_shared<Conv1D>(conv1d_options(args));
  return std::make_shared<Conv1DTranspose>(conv1d_transpose_options(args));
}

Tensor floats(const std::vector<double>& values, const Shape& shape) {
  return Tensor::from_vector(values, shape).to(DType::Float32);
}

// Gradients with respect to input, kernel and bias on a batch of 2.
template <class L, class Options>
void gradcheck_layers(const std::vector<Options>& configs, std::int64_t channels, std::int64_t steps,
                      std::uint64_t seed) {
  for (const auto& o : configs) {
    L layer(o);
    const bool first = o.data_format == "channels_first";
    Tensor x = test::random_leaf(first ? Shape{2, channels, steps} : Shape{2, steps, channels}, seed);
    layer.build(x.shape());
    Tensor k = layer.kernel()->value, b = layer.bias()->value;
    // The layer reads its Variables, so the gradcheck perturbs those very tensors.
    REQUIRE_GRADCHECK(layer.name(), [&layer](const Inputs& in) { return layer(in[0]); }, Inputs{x, k, b});
  }
}

}  // namespace

TEST_CASE("Conv1D equals Keras on 56 configurations", "[layers][conv1d][keras]") {
  const auto fx = test::load_fixture("keras_conv1d.json");
  REQUIRE(fx["conv1d"].size() >= 40);
  check_family<Conv1D>(fx["conv1d"], [](const json& a) { return Conv1D(conv1d_options(a)); });
}

TEST_CASE("Conv1DTranspose equals Keras on 52 configurations", "[layers][conv1d_transpose][keras]") {
  const auto fx = test::load_fixture("keras_conv1d.json");
  REQUIRE(fx["conv1d_transpose"].size() >= 40);
  check_family<Conv1DTranspose>(fx["conv1d_transpose"],
                                [](const json& a) { return Conv1DTranspose(conv1d_transpose_options(a)); });
}

TEST_CASE("Conv1D and Conv1DTranspose configs with every object argument equal Keras's",
          "[layers][conv1d][conv1d_transpose][keras]") {
  const auto fx = test::load_fixture("keras_conv1d.json");
  REQUIRE(fx["configs"].size() == 4);
  for (const auto& c : fx["configs"]) {
    const std::string cls = c["class_name"];
    const json& keras = c["config"];
    INFO(cls << " " << keras.dump());
    if (cls == "Conv1D") {
      test::require_same_config(cls, Conv1D::from_config(c["config"]).get_config(), keras);
    } else {
      test::require_same_config(cls, Conv1DTranspose::from_config(c["config"]).get_config(), keras);
    }
  }
  // The first, written with the options struct as a user would.
  clear_session();
  Conv1D layer({.filters = 4,
                .kernel_size = {3},
                .strides = 2,
                .padding = "same",
                .data_format = "channels_first",
                .groups = 2,
                .activation = "relu",
                .use_bias = false,
                .kernel_initializer = initializers::HeNormal{.seed = 3},
                .bias_initializer = initializers::Constant{.value = 0.5},
                .kernel_regularizer = regularizers::L1L2{.l1 = 1e-5, .l2 = 1e-4},
                .bias_regularizer = "l2",
                .activity_regularizer = regularizers::L1{.l1 = 1e-3},
                .kernel_constraint = constraints::MaxNorm{.max_value = 2, .axis = {0, 1}},
                .bias_constraint = constraints::NonNeg{},
                .name = "everything"});
  REQUIRE(fx["configs"][0]["config"]["name"] == "everything");
  require_config_close(layer.get_config(), fx["configs"][0]["config"]);
  Conv1DTranspose up({.filters = 3,
                      .kernel_size = 4,
                      .strides = {2},
                      .padding = "same",
                      .output_padding = 1,
                      .activation = "tanh",
                      .kernel_initializer = "lecun_uniform",
                      .bias_initializer = "ones",
                      .kernel_regularizer = "l1",
                      .activity_regularizer = regularizers::L2{.l2 = 0.02},
                      .kernel_constraint = constraints::UnitNorm{.axis = {0, 2}},
                      .bias_constraint =
                          constraints::MinMaxNorm{.min_value = 0.5, .max_value = 1.5, .rate = 0.5, .axis = {0}},
                      .name = "up"});
  REQUIRE(fx["configs"][2]["config"]["name"] == "up");
  require_config_close(up.get_config(), fx["configs"][2]["config"]);
  // Keras's automatic names.
  REQUIRE(Conv1D({.filters = 1, .kernel_size = 1}).name() == "conv1d");
  REQUIRE(Conv1D({.filters = 1, .kernel_size = 1}).name() == "conv1d_1");
  REQUIRE(Conv1DTranspose({.filters = 1, .kernel_size = 1}).name() == "conv1d_transpose");
}

TEST_CASE("Conv1D and Conv1DTranspose refuse what Keras refuses", "[layers][conv1d][conv1d_transpose][errors]") {
  const auto fx = test::load_fixture("keras_conv1d.json");
  REQUIRE(fx["errors"].size() >= 20);
  for (const auto& e : fx["errors"]) {
    INFO(e["class_name"] << " " << e["args"].dump() << " input " << e["input_shape"].dump() << "; Keras: "
                         << e["keras_error"]);
    const std::string needle = e["needle"];
    REQUIRE_THROWS_WITH_ALL(
        [&] {
          auto layer = from_args(e["class_name"], e["args"]);
          if (!e["input_shape"].is_null()) (*layer)(Tensor::zeros(test::shape_from_json(e["input_shape"])));
        }(),
        std::invalid_argument, needle.c_str());
  }
  // The values named in the messages, rank-1 style.
  REQUIRE_THROWS_WITH_ALL(Conv1D({.filters = 2, .kernel_size = 0}), std::invalid_argument, "kernel_size=(0,)");
  REQUIRE_THROWS_WITH_ALL(Conv1D({.filters = 2, .kernel_size = 3, .strides = 2, .dilation_rate = 2}),
                          std::invalid_argument, "dilation_rate > 1", "strides=(2,)", "dilation_rate=(2,)");
  REQUIRE_THROWS_WITH_ALL(Conv1D({.filters = 3, .kernel_size = 3, .groups = 2}), std::invalid_argument, "groups=2",
                          "filters=3");
  REQUIRE_THROWS_WITH_ALL(Conv1D({.filters = 2, .kernel_size = 3, .padding = "full"}), std::invalid_argument,
                          "'valid', 'same' or 'causal'", "padding='full'");
  REQUIRE_THROWS_WITH_ALL(Conv1DTranspose({.filters = 2, .kernel_size = 3, .padding = "causal"}),
                          std::invalid_argument, "'valid' or 'same'", "padding='causal'");
  REQUIRE_THROWS_WITH_ALL(Conv1DTranspose({.filters = 2, .kernel_size = 3, .strides = 3, .output_padding = 3}),
                          std::invalid_argument, "at dimension 0", "output_padding=(3,)", "strides=(3,)");
  REQUIRE_THROWS_WITH_ALL(Conv1D({.filters = 2, .kernel_size = 4})(Tensor::ones({1, 3, 2})), std::invalid_argument,
                          "output size would be zero or negative", "kernel_size=(4,)");
  Conv1D layer({.filters = 2, .kernel_size = 3});
  REQUIRE_THROWS_WITH_ALL(layer(Tensor::ones({1, 1, 5, 3})), std::invalid_argument, "expected ndim=3", "found ndim=4");
  layer(Tensor::ones({1, 5, 3}));
  REQUIRE_THROWS_WITH_ALL(layer(Tensor::ones({1, 5, 4})), std::invalid_argument, "expected axis -1", "value 3");
  REQUIRE_THROWS_WITH_ALL(layer.set_weights({Tensor::ones({3, 4, 2}), Tensor::ones({2})}), std::invalid_argument,
                          "kernel", "(3, 3, 2)", "(3, 4, 2)");
  Conv1DTranspose up({.filters = 2, .kernel_size = 3, .data_format = "channels_first"});
  up(Tensor::ones({1, 4, 5}));
  REQUIRE_THROWS_WITH_ALL(up(Tensor::ones({1, 3, 5})), std::invalid_argument, "expected axis 1", "value 4");
  // A config from a 2-D layer is not a 1-D one.
  json config = Conv1D({.filters = 2, .kernel_size = 3}).get_config();
  config["kernel_size"] = {3, 3};
  REQUIRE_THROWS_WITH_ALL(Conv1D::from_config(config), std::invalid_argument, "kernel_size", "tuple of 1 integers");
}

TEST_CASE("Conv1D and Conv1DTranspose kernels have Keras's fans", "[layers][conv1d][conv1d_transpose][initializers]") {
  const auto fx = test::load_fixture("keras_conv1d.json");
  REQUIRE(fx["fans"].size() == 5);
  std::uint64_t seed = 11;
  for (const auto& f : fx["fans"]) {
    INFO(f.dump());
    auto layer = from_args(f["class_name"], f["args"]);
    layer->build(test::shape_from_json(f["input_shape"]));
    const auto& conv = dynamic_cast<const ConvBase&>(*layer);
    const Tensor k = conv.kernel()->value;
    REQUIRE(k.shape() == test::shape_from_json(f["kernel_shape"]));
    const auto [fan_in, fan_out] = initializers::compute_fans(k.shape());
    CHECK(fan_in == f["fan_in"].get<double>());
    CHECK(fan_out == f["fan_out"].get<double>());
    // glorot_uniform draws from [-limit, limit] with Keras's limit sqrt(6 / (fan_in + fan_out)):
    // the default kernel fills that range as Keras's does (Keras's own max |w| is in the fixture).
    const double limit = f["glorot_limit"];
    const initializers::Initializer glorot = initializers::GlorotUniform{.seed = seed++};
    const Tensor drawn = glorot(k.shape(), DType::Float64);
    const double max_abs = max(abs(drawn)).item();
    CHECK(max_abs <= limit);
    CHECK(max_abs >= 0.9 * limit);
    CHECK(f["keras_max_abs"].get<double>() >= 0.9 * limit);
    CHECK(max(abs(k)).item() <= limit * (1 + 1e-6));
  }
}

TEST_CASE("Conv1D causal padding sees only the past", "[layers][conv1d]") {
  // kernel [1, 10] over x = 1, 2, 3, 4 with one zero before: y_t = x_{t-1} + 10 x_t, by hand.
  Conv1D layer({.filters = 1, .kernel_size = 2, .padding = "causal"});
  layer.build({1, 4, 1});
  layer.set_weights({floats({1.0, 10.0}, {2, 1, 1}), Tensor::zeros({1})});
  REQUIRE_CLOSE(layer(floats({1.0, 2.0, 3.0, 4.0}, {1, 4, 1})), floats({10.0, 21.0, 32.0, 43.0}, {1, 4, 1}), 1e-7, 0);
  // Dilated and strided: output t reads inputs t*s - (k-1)*d ... t*s, never beyond.
  Conv1D wide({.filters = 1, .kernel_size = 3, .padding = "causal", .dilation_rate = 2,
               .kernel_initializer = "ones", .dtype = "float64"});
  const Tensor before = wide(Tensor::zeros({1, 8, 1}, DType::Float64));
  Tensor changed = Tensor::zeros({1, 8, 1}, DType::Float64);
  changed.data<double>()[5] = 1.0;  // a change at step 5 reaches steps 5, 7 (and 9, beyond the end)
  const Tensor after = wide(changed);
  for (int t = 0; t < 8; ++t)
    CHECK(after.data<double>()[t] - before.data<double>()[t] == (t == 5 || t == 7 ? 1.0 : 0.0));
  REQUIRE(Conv1D({.filters = 2, .kernel_size = 4, .strides = 3, .padding = "causal"})
              .compute_output_shape({2, 10, 3}) == Shape{2, 4, 2});
  REQUIRE(Conv1D({.filters = 2, .kernel_size = 4, .padding = "causal"}).compute_output_shape({-1, -1, 3}) ==
          Shape{-1, -1, 2});
  REQUIRE(Conv1DTranspose({.filters = 5, .kernel_size = 3, .strides = 2, .data_format = "channels_first"})
              .compute_output_shape({-1, 3, -1}) == Shape{-1, 5, -1});
}

TEST_CASE("Conv1D and Conv1DTranspose gradients pass float64 gradcheck",
          "[layers][conv1d][conv1d_transpose][gradcheck]") {
  const std::vector<Conv1DOptions> convs = {
      {.filters = 3, .kernel_size = 3, .padding = "causal", .dilation_rate = 2, .activation = "tanh",
       .dtype = "float64"},
      {.filters = 4, .kernel_size = 2, .strides = 2, .padding = "same", .data_format = "channels_first", .groups = 2,
       .activation = "sigmoid", .dtype = "float64"},
      {.filters = 2, .kernel_size = 3, .strides = 3, .padding = "causal", .dtype = "float64"},
      {.filters = 2, .kernel_size = 4, .padding = "valid", .activation = "softplus", .dtype = "float64"},
  };
  gradcheck_layers<Conv1D>(convs, 4, 7, 21);
  const std::vector<Conv1DTransposeOptions> transposed = {
      {.filters = 3, .kernel_size = 3, .strides = 2, .padding = "same", .output_padding = 1, .activation = "tanh",
       .dtype = "float64"},
      {.filters = 2, .kernel_size = 4, .strides = 3, .output_padding = 2, .data_format = "channels_first",
       .activation = "sigmoid", .dtype = "float64"},
      {.filters = 2, .kernel_size = 3, .padding = "same", .dilation_rate = 2, .activation = "softplus",
       .dtype = "float64"},
      {.filters = 2, .kernel_size = 5, .strides = 2, .dtype = "float64"},
  };
  gradcheck_layers<Conv1DTranspose>(transposed, 3, 5, 22);
}

TEST_CASE("Conv1D regularizers and constraints act on the 3-D kernel", "[layers][conv1d]") {
  Conv1D layer({.filters = 2,
                .kernel_size = 3,
                .kernel_initializer = "ones",
                .bias_initializer = initializers::Constant{.value = 0.5},
                .kernel_regularizer = regularizers::L2{.l2 = 0.1},
                .bias_regularizer = "l1",
                .activity_regularizer = regularizers::L1{.l1 = 1e-3},
                .kernel_constraint = constraints::NonNeg{}});
  layer(Tensor::ones({1, 5, 4}));
  // Kernel 3 x 4 x 2 ones: 0.1 * 24; bias: 0.01 * 2 * 0.5; activity: 1e-3 * sum(12.5 over 3 x 2).
  REQUIRE(layer.losses().size() == 3);
  CHECK(layer.losses()[0].item() == Approx(2.4));
  CHECK(layer.losses()[1].item() == Approx(0.01));
  CHECK(layer.losses()[2].item() == Approx(1e-3 * 12.5 * 6));
  // The constraint an optimizer applies after each update: NonNeg zeroes the negative taps.
  REQUIRE_CLOSE(layer.kernel()->constraint(floats({-1.0, 2.0}, {1, 1, 2})), floats({0.0, 2.0}, {1, 1, 2}), 0, 1e-7);
}
