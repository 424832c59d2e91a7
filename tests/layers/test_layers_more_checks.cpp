// Float64 gradient checks and the errors of the 1-D pooling/padding layers, ReLU, ELU, Softmax,
// PReLU and RepeatVector (their agreement with Keras: test_layers_more.cpp).
#include <functional>

#include "minidl/layers/activation_layers.h"
#include "minidl/layers/global_pooling2d.h"
#include "minidl/layers/pooling1d.h"
#include "minidl/layers/prelu.h"
#include "minidl/layers/reshaping1d.h"
#include "support/fixtures.h"

using namespace minidl;
using namespace minidl::layers;
using Inputs = std::vector<Tensor>;

namespace {

// Gradient check of a weightless layer's call on a float64 input.
void gradcheck_layer(Layer& layer, const Shape& in, std::uint64_t seed, const Tensor& mask = {}) {
  const Tensor x = test::random_leaf(in, seed);
  const auto f = [&](const Inputs& v) { return layer.call_with_mask(v[0], mask).value; };
  REQUIRE_GRADCHECK(layer.class_name() + " " + layer.get_config().dump(), f, Inputs{x});
}

}  // namespace

TEST_CASE("The 1-D pooling, padding and repeat layers pass float64 gradient checks", "[layers][layers_more][gradcheck]") {
  std::uint64_t seed = 100;
  for (const std::string fmt : {"channels_last", "channels_first"}) {
    for (const std::string padding : {"valid", "same"}) {
      MaxPooling1D max_pool({.pool_size = 3, .strides = 2, .padding = padding, .data_format = fmt, .dtype = "float64"});
      gradcheck_layer(max_pool, {2, 7, 3}, ++seed);
      AveragePooling1D avg_pool({.pool_size = 2, .strides = 3, .padding = padding, .data_format = fmt, .dtype = "float64"});
      gradcheck_layer(avg_pool, {2, 8, 3}, ++seed);
    }
    GlobalMaxPooling1D gmax({.data_format = fmt, .keepdims = true, .dtype = "float64"});
    gradcheck_layer(gmax, {2, 5, 3}, ++seed);
    GlobalAveragePooling1D gavg({.data_format = fmt, .dtype = "float64"});
    gradcheck_layer(gavg, {2, 5, 3}, ++seed);
    ZeroPadding1D zpad({.padding = {2, 1}, .data_format = fmt, .dtype = "float64"});
    gradcheck_layer(zpad, {2, 4, 3}, ++seed);
  }
  const Tensor mask = Tensor::from_vector(std::vector<double>{1, 1, 0, 1, 0, 1, 0, 0, 1, 1}, Shape{2, 5});
  GlobalAveragePooling1D masked_avg({.dtype = "float64"});
  gradcheck_layer(masked_avg, {2, 5, 3}, ++seed, mask);
  UpSampling1D up({.size = 3, .dtype = "float64"});
  gradcheck_layer(up, {2, 4, 3}, ++seed);
  Cropping1D crop({.cropping = {1, 2}, .dtype = "float64"});
  gradcheck_layer(crop, {2, 6, 3}, ++seed);
  RepeatVector repeat({.n = 4, .dtype = "float64"});
  gradcheck_layer(repeat, {3, 5}, ++seed);
}

TEST_CASE("ReLU, ELU, Softmax and PReLU pass float64 gradient checks", "[layers][layers_more][gradcheck]") {
  std::uint64_t seed = 200;
  for (const ReLUOptions& o : {ReLUOptions{.dtype = "float64"}, ReLUOptions{.max_value = 0.5, .dtype = "float64"},
                               ReLUOptions{.max_value = 0.7, .negative_slope = 0.2, .threshold = 0.1, .dtype = "float64"}}) {
    ReLU relu(o);
    gradcheck_layer(relu, {3, 7}, ++seed);
  }
  for (double alpha : {1.0, 0.3}) {
    ELU elu({.alpha = alpha, .dtype = "float64"});
    gradcheck_layer(elu, {3, 7}, ++seed);
  }
  for (std::int64_t axis : {-1, 1}) {
    Softmax softmax({.axis = axis, .dtype = "float64"});
    gradcheck_layer(softmax, {2, 3, 4}, ++seed);
  }
  Softmax masked({.dtype = "float64"});
  gradcheck_layer(masked, {2, 5}, ++seed,
                  Tensor::from_vector(std::vector<double>{1, 0, 1, 1, 0, 0, 1, 1, 1, 0}, Shape{2, 5}));
  for (const auto& shared : {std::optional<std::vector<std::int64_t>>{}, std::optional<std::vector<std::int64_t>>{{1}},
                             std::optional<std::vector<std::int64_t>>{{1, 2}}}) {
    PReLU prelu({.alpha_initializer = "RandomUniform", .shared_axes = shared, .dtype = "float64"});
    const Tensor x = test::random_leaf({2, 3, 4}, ++seed);
    prelu.build(x.shape());
    // The layer reads its Variable, so the gradcheck perturbs that very tensor.
    REQUIRE_GRADCHECK("PReLU", [&prelu](const Inputs& v) { return prelu(v[0]); }, Inputs{x, prelu.alpha()->value});
  }
}

TEST_CASE("A masked Softmax puts -1e9 on masked positions and 0 after, as Keras", "[layers][layers_more]") {
  Softmax softmax;
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, Shape{1, 4});
  const Tensor mask = Tensor::from_vector(std::vector<float>{1, 0, 1, 0}, Shape{1, 4});
  const auto out = softmax.call_with_mask(x, mask);
  // exp(1) / (exp(1) + exp(3)) and exp(3) / (exp(1) + exp(3)): the masked ones weigh nothing.
  const double a = 1.0 / (1.0 + std::exp(2.0));
  REQUIRE_CLOSE(out.value, Tensor::from_vector(std::vector<float>{float(a), 0, float(1 - a), 0}, Shape{1, 4}), 1e-6, 1e-7);
  CHECK(out.mask.defined());  // passed on
  const Tensor all_masked = Tensor::zeros({1, 4});
  CHECK(softmax.call_with_mask(x, all_masked).value.to_vector<float>() == std::vector<float>(4, 0.0f));
}

TEST_CASE("The new layers refuse bad arguments and inputs as Keras", "[layers][layers_more][errors]") {
  REQUIRE_THROWS_WITH_ALL(MaxPooling1D({.pool_size = 0}), std::invalid_argument, "MaxPooling1D", "`pool_size`",
                          "pool_size=0", "value > 0");
  REQUIRE_THROWS_WITH_ALL(AveragePooling1D({.pool_size = 2, .strides = 0}), std::invalid_argument, "AveragePooling1D",
                          "strides=0");
  REQUIRE_THROWS_WITH_ALL(MaxPooling1D({.padding = "causal"}), std::invalid_argument, "MaxPooling1D", "causal");
  REQUIRE_THROWS_WITH_ALL(MaxPooling1D({.padding = "full"}), std::invalid_argument, "MaxPooling1D", "full");
  REQUIRE_THROWS_WITH_ALL(MaxPooling1D({.data_format = "NHWC"}), std::invalid_argument, "MaxPooling1D", "NHWC");
  REQUIRE_THROWS_WITH_ALL(GlobalAveragePooling1D({.data_format = "channels_middle"}), std::invalid_argument,
                          "GlobalAveragePooling1D", "channels_middle");
  REQUIRE_THROWS_WITH_ALL(MaxPooling1D()(Tensor::zeros({2, 4, 4, 3})), std::invalid_argument, "max_pooling1d",
                          "expected ndim=3, found ndim=4");
  REQUIRE_THROWS_WITH_ALL(GlobalMaxPooling1D()(Tensor::zeros({2, 4})), std::invalid_argument, "expected ndim=3");
  REQUIRE_THROWS_WITH_ALL(UpSampling1D({.size = 0}), std::invalid_argument, "UpSampling1D",
                          "Argument `size` should be a positive integer. Received: size=0");
  REQUIRE_THROWS_WITH_ALL(UpSampling1D()(Tensor::zeros({2, 4})), std::invalid_argument, "expected ndim=3");
  REQUIRE_THROWS_WITH_ALL(ZeroPadding1D({.padding = {-1, 2}}), std::invalid_argument, "ZeroPadding1D",
                          "padding=(-1, 2)", "including values {-1}", "value >= 0");
  REQUIRE_THROWS_WITH_ALL(ZeroPadding1D({.data_format = "channels"}), std::invalid_argument, "ZeroPadding1D");
  REQUIRE_THROWS_WITH_ALL(Cropping1D({.cropping = {0, -3}}), std::invalid_argument, "Cropping1D", "cropping=(0, -3)",
                          "value >= 0");
  REQUIRE_THROWS_WITH_ALL(Cropping1D({.cropping = {2, 3}})(Tensor::zeros({1, 5, 2})), std::invalid_argument,
                          "must be smaller than the input length", "cropping=(2, 3)");
  REQUIRE_THROWS_WITH_ALL(RepeatVector({.n = 0}), std::invalid_argument, "RepeatVector",
                          "Argument `n` should be a positive integer. Received: n=0");
  REQUIRE_THROWS_WITH_ALL(RepeatVector({.n = 2})(Tensor::zeros({2, 3, 4})), std::invalid_argument, "expected ndim=2");
  REQUIRE_THROWS_WITH_ALL(ReLU({.max_value = -1.0}), std::invalid_argument, "max_value", "max_value=-1");
  REQUIRE_THROWS_WITH_ALL(ReLU({.negative_slope = -0.5}), std::invalid_argument, "negative_slope=-0.5");
  REQUIRE_THROWS_WITH_ALL(ReLU({.threshold = -0.1}), std::invalid_argument, "threshold=-0.1");
  REQUIRE_THROWS_WITH_ALL(Softmax({.axis = 3})(Tensor::zeros({2, 3})), std::out_of_range, "axis");
  REQUIRE_THROWS_WITH_ALL(Softmax().call_with_mask(Tensor::zeros({2, 3, 4}), Tensor::ones({2, 3})),
                          std::invalid_argument, "The `mask` must be broadcastable", "mask.shape=(2, 3)");
  REQUIRE_THROWS_WITH_ALL(PReLU({.shared_axes = std::vector<std::int64_t>{0}}), std::invalid_argument, "PReLU",
                          "shared_axes=[0]");
  REQUIRE_THROWS_WITH_ALL(PReLU({.shared_axes = std::vector<std::int64_t>{3}})(Tensor::zeros({2, 3})),
                          std::invalid_argument, "shared_axes=[3]", "(2, 3)");
  PReLU built;
  built(Tensor::zeros({2, 3}));
  REQUIRE_THROWS_WITH_ALL(built(Tensor::zeros({2, 4})), std::invalid_argument, "PReLU", "axis 1 has extent 4");
  REQUIRE_THROWS_WITH_ALL(GlobalAveragePooling1D().call_with_mask(Tensor::zeros({2, 5, 3}), Tensor::ones({2, 5, 3})),
                          std::invalid_argument, "GlobalAveragePooling1D", "(batch, steps)");
}

TEST_CASE("The new layers pass or drop the mask as Keras's supports_masking says", "[layers][layers_more][mask]") {
  const Tensor x = test::pattern({2, 4, 3}, 5);
  const Tensor mask = Tensor::from_vector(std::vector<float>{1, 1, 0, 1, 1, 0, 0, 0}, Shape{2, 4});
  // Keras sets supports_masking on the activation layers and Identity: the mask goes on unchanged.
  ReLU relu;
  ELU elu;
  PReLU prelu;
  Identity identity;
  for (Layer* l : std::vector<Layer*>{&relu, &elu, &prelu, &identity}) {
    INFO(l->class_name());
    const auto out = l->call_with_mask(x, mask);
    REQUIRE(out.mask.defined());
    CHECK(out.mask.to_vector<float>() == mask.to_vector<float>());
  }
  // The pooling, resampling and padding layers do not set it (their output has other steps), and
  // GlobalAveragePooling1D consumes it (compute_mask returns None).
  MaxPooling1D max_pool;
  AveragePooling1D avg_pool({.pool_size = 2});
  GlobalMaxPooling1D gmax;
  GlobalAveragePooling1D gavg;
  UpSampling1D up;
  ZeroPadding1D zpad;
  Cropping1D crop;
  for (Layer* l : std::vector<Layer*>{&max_pool, &avg_pool, &gmax, &gavg, &up, &zpad, &crop}) {
    INFO(l->class_name());
    CHECK_FALSE(l->call_with_mask(x, mask).mask.defined());
  }
}
