// GroupNormalization against the real Keras (tests/reference/keras_group_normalization.py): outputs
// for channels_last and channels_first, instance normalization (groups=-1), layer-normalization-like
// groups=1, center/scale off; get_config before and after build; float64 gradchecks; Keras's errors.
#include <set>

#include "minidl/layers/layer_config.h"
#include "support/fixtures.h"

using namespace minidl;
using namespace minidl::layers;
using Inputs = std::vector<Tensor>;

namespace {

// The fixture's x and weights: test::pattern, scaled as the script scales them.
Tensor scaled_pattern(const Shape& shape, std::int64_t seed, double scale, double shift) {
  return (test::pattern(shape, seed, DType::Float64) * scale + shift).to(DType::Float32);
}

// Keras's config without what differs by construction (the auto-numbered name, dtype's spelling).
nlohmann::json comparable(nlohmann::json c) {
  c.erase("name");
  c["dtype"] = config::dtype_name_of(c["dtype"]);
  return c;
}

}  // namespace

TEST_CASE("GroupNormalization equals Keras's output and config", "[layers][group_normalization][reference]") {
  const auto fixture = test::load_fixture("keras_group_normalization.json");
  REQUIRE(fixture.at("cases").size() >= 9);
  for (const auto& c : fixture.at("cases")) {
    const Shape shape = test::shape_from_json(c.at("shape"));
    const std::int64_t seed = c.at("seed").get<std::int64_t>();
    INFO("shape " << shape << " groups " << c.at("groups") << " axis " << c.at("axis"));
    GroupNormalization layer({.groups = c.at("groups").get<std::int64_t>(),
                              .axis = c.at("axis").get<std::int64_t>(),
                              .epsilon = c.at("epsilon").get<double>(),
                              .center = c.at("center").get<bool>(),
                              .scale = c.at("scale").get<bool>()});
    CHECK(comparable(layer.get_config()) == comparable(c.at("config_before_build")));
    layer.build(shape);
    CHECK(comparable(layer.get_config()) == comparable(c.at("config_after_build")));
    const std::int64_t channels = shape[c.at("axis").get<std::int64_t>()];
    std::vector<Tensor> weights;  // Keras's order: gamma, then beta
    if (c.at("scale").get<bool>()) weights.push_back(scaled_pattern({channels}, seed + 1, 0.5, 1.0));
    if (c.at("center").get<bool>()) weights.push_back(scaled_pattern({channels}, seed + 2, 0.3, 0.0));
    REQUIRE(layer.weights().size() == c.at("weight_names").size());
    for (std::size_t i = 0; i < weights.size(); ++i) {  // "group_normalization_3/gamma": compare the weight's name
      const auto keras_path = c.at("weight_names")[i].get<std::string>();
      CHECK(layer.weights()[i]->path == layer.name() + keras_path.substr(keras_path.find('/')));
    }
    layer.set_weights(weights);
    const Tensor y = layer(scaled_pattern(shape, seed, 3.0, 0.5));
    const auto expected = Tensor::from_vector(c.at("y").get<std::vector<double>>(), shape).to(DType::Float32);
    const auto close = test::compare(y, expected, 1e-5, 1e-5);
    INFO(close.detail);
    CHECK(close.ok);
  }
}

TEST_CASE("GroupNormalization: groups=1 is layer normalization over a sample, groups=-1 instance normalization",
          "[layers][group_normalization]") {
  // Closed form on a (1, 1, 2, 2) channels_last input: channels {1, 3} and {5, 11} at two pixels.
  const Tensor x = Tensor::from_vector(std::vector<double>{1, 3, 5, 11}, {1, 1, 2, 2});
  GroupNormalization whole({.groups = 1, .epsilon = 0.0, .dtype = "float64"});
  // mean 5, variance (16 + 4 + 0 + 36) / 4 = 14.
  const auto y = whole(x).to_vector<double>();
  const double s = std::sqrt(14.0);
  CHECK_THAT(y, Catch::Matchers::Approx(std::vector<double>{-4 / s, -2 / s, 0, 6 / s}).margin(1e-12));
  GroupNormalization instance({.groups = -1, .epsilon = 0.0, .dtype = "float64"});
  // channel 0: {1, 5} -> mean 3, std 2; channel 1: {3, 11} -> mean 7, std 4.
  CHECK_THAT(instance(x).to_vector<double>(), Catch::Matchers::Approx(std::vector<double>{-1, -1, 1, 1}).margin(1e-12));
  CHECK(instance.get_config()["groups"] == 2);
  CHECK(instance.gamma()->value.shape() == Shape{2});
}

TEST_CASE("GroupNormalization gradients pass float64 gradcheck", "[layers][group_normalization][gradcheck]") {
  const std::vector<std::pair<GroupNormalizationOptions, Shape>> configs = {
      {{.groups = 2, .dtype = "float64"}, {2, 3, 2, 4}},
      {{.groups = 3, .axis = 1, .epsilon = 1e-2, .dtype = "float64"}, {2, 6, 2, 2}},
      {{.groups = -1, .dtype = "float64"}, {2, 4, 3}},
      {{.groups = 1, .center = false, .dtype = "float64"}, {3, 2, 2, 2}},
  };
  std::uint64_t seed = 80;
  for (const auto& [o, shape] : configs) {
    GroupNormalization layer(o);
    Tensor x = test::random_leaf(shape, ++seed, -1.0, 2.0);
    layer.build(x.shape());
    Inputs inputs{x};
    for (const auto& v : layer.trainable_weights()) {  // away from 1 and 0, so every term matters
      v->assign(test::random_leaf(v->value.shape(), ++seed, 0.5, 1.5).detach());
      inputs.push_back(v->value);
    }
    REQUIRE(inputs.size() == (o.center ? 3u : 2u));
    REQUIRE_GRADCHECK(layer.name(), [&layer](const Inputs& in) { return layer(in[0], true); }, inputs);
  }
}

TEST_CASE("GroupNormalization rejects what Keras rejects", "[layers][group_normalization][errors]") {
  clear_session();
  const auto keras = test::load_fixture("keras_group_normalization.json").at("errors");
  // Keras: "Number of groups (16) cannot be more than the number of channels (8)."
  REQUIRE(keras.at("too_many_groups").get<std::string>().find("cannot be more than the number of channels (8)") !=
          std::string::npos);
  REQUIRE_THROWS_WITH_ALL(GroupNormalization({.groups = 16})(Tensor::zeros({2, 4, 4, 8})), std::invalid_argument,
                          "number of groups (16)", "cannot be more than the number of channels (8)", "groups=16");
  // Keras says "must be a multiple of the number of channels"; it means a divisor, which we say.
  REQUIRE(keras.at("not_a_divisor").get<std::string>().find("Number of groups (3)") != std::string::npos);
  REQUIRE_THROWS_WITH_ALL(GroupNormalization({.groups = 3})(Tensor::zeros({2, 4, 4, 8})), std::invalid_argument,
                          "number of groups (3)", "divisor of the number of channels (8)");
  REQUIRE(keras.at("zero_groups").get<std::string>().find("groups=0") != std::string::npos);
  REQUIRE_THROWS_WITH_ALL(GroupNormalization({.groups = 0}), std::invalid_argument, "`groups`", "-1", "groups=0");
  REQUIRE_THROWS_WITH_ALL(GroupNormalization({.groups = -2}), std::invalid_argument, "groups=-2");
  REQUIRE_THROWS_WITH_ALL(GroupNormalization({.groups = 1, .axis = 4, .name = "gn"})(Tensor::zeros({2, 3, 3, 2})),
                          std::out_of_range, "'gn'", "axis 4", "out of bounds", "(2, 3, 3, 2)");
  REQUIRE_THROWS_WITH_ALL(GroupNormalization({.groups = 1, .axis = 0})(Tensor::zeros({2, 3})), std::invalid_argument,
                          "batch axis", "axis 0");
  REQUIRE_THROWS_WITH_ALL(GroupNormalization({.groups = 2, .axis = 1}).build({-1, -1, 4}), std::invalid_argument,
                          "axis 1", "defined dimension", "(None, None, 4)");
  GroupNormalization built({.groups = 2, .name = "built"});
  built(Tensor::zeros({2, 4}));
  REQUIRE_THROWS_WITH_ALL(built(Tensor::zeros({2, 6})), std::invalid_argument, "'built'", "value 4", "(2, 6)");
  REQUIRE_THROWS_WITH_ALL(GroupNormalization({.epsilon = -1.0}), std::invalid_argument, "epsilon=-1");
}

TEST_CASE("GroupNormalization round-trips through get_config", "[layers][group_normalization][config]") {
  GroupNormalization gn({.groups = 4, .axis = 1, .epsilon = 1e-5, .center = false,
                         .gamma_initializer = initializers::RandomNormal{.seed = 3}, .gamma_regularizer = "l2",
                         .gamma_constraint = "non_neg"});
  const auto c = gn.get_config();
  const GroupNormalization back = GroupNormalization::from_config(c);
  CHECK(back.get_config() == c);
  CHECK(c["gamma_regularizer"]["class_name"] == "L2");
  CHECK(c["gamma_constraint"]["class_name"] == "NonNeg");
}
