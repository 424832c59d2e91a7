// layer_norm: forward and gradients against PyTorch (tests/reference/norm_embedding_reference.py),
// hand calculations (biased variance, Keras's uncentred rms scaling), float64 gradchecks over
// trailing, non-trailing and unsorted axes, errors.
#include <cmath>

#include "support/fixtures.h"

using namespace minidl;

namespace {

Tensor optional_param(const nlohmann::json& c, const char* key, DType dtype = DType::Float64) {
  return c.contains(key) ? test::tensor_from_json(c.at(key), dtype).set_requires_grad() : Tensor();
}

std::vector<std::int64_t> axes_of(const nlohmann::json& a) {
  return a.is_array() ? a.get<std::vector<std::int64_t>>() : std::vector<std::int64_t>{a.get<std::int64_t>()};
}

}  // namespace

TEST_CASE("layer_norm matches PyTorch over any axes, rms scaling included", "[layer_norm][reference]") {
  const auto fixture = test::load_fixture("norm_embedding_reference.json");
  REQUIRE(fixture.at("layer_norm").size() >= 6);
  for (const auto& c : fixture.at("layer_norm")) {
    Tensor x = test::tensor_from_json(c.at("x")).set_requires_grad();
    Tensor gamma = optional_param(c, "gamma"), beta = optional_param(c, "beta");
    INFO("x" << x.shape() << " axis " << c.at("axis").dump() << " rms " << c.at("rms_scaling").dump());
    Tensor y = layer_norm(x, gamma, beta, axes_of(c.at("axis")), c.at("epsilon").get<double>(),
                          c.at("rms_scaling").get<bool>());
    REQUIRE_CLOSE(y, test::tensor_from_json(c.at("y")), 1e-10, 1e-12);
    y.backward(test::tensor_from_json(c.at("w")));
    REQUIRE_CLOSE(x.grad(), test::tensor_from_json(c.at("grad_x")), 1e-9, 1e-11);
    if (gamma.defined()) REQUIRE_CLOSE(gamma.grad(), test::tensor_from_json(c.at("grad_gamma")), 1e-10, 1e-11);
    if (beta.defined()) REQUIRE_CLOSE(beta.grad(), test::tensor_from_json(c.at("grad_beta")), 1e-10, 1e-11);
  }
}

TEST_CASE("layer_norm in float32 stays within float32 rounding of PyTorch's float64", "[layer_norm][reference]") {
  const auto fixture = test::load_fixture("norm_embedding_reference.json");
  for (const auto& c : fixture.at("layer_norm")) {
    const Tensor x = test::tensor_from_json(c.at("x"), DType::Float32);
    Tensor y = layer_norm(x, optional_param(c, "gamma", DType::Float32), optional_param(c, "beta", DType::Float32),
                          axes_of(c.at("axis")), c.at("epsilon").get<double>(), c.at("rms_scaling").get<bool>());
    REQUIRE(y.dtype() == DType::Float32);
    REQUIRE_CLOSE(y.to(DType::Float64), test::tensor_from_json(c.at("y")), 1e-5, 1e-5);
  }
}

TEST_CASE("layer_norm divides by the biased variance, per row", "[layer_norm]") {
  // Row [1, 2, 3, 4]: mean 2.5, biased variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25 (the unbiased
  // one would be 5/3). Row [10, 10, 10, 14]: mean 11, variance (1 + 1 + 1 + 9) / 4 = 3.
  const Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 10, 10, 10, 14}, {2, 4});
  const double eps = 1e-3;
  const Tensor y = layer_norm(x, Tensor(), Tensor(), {-1}, eps);
  const auto v = y.to_vector<double>();
  for (int i = 0; i < 4; ++i) CHECK(v[i] == Approx((1.0 + i - 2.5) / std::sqrt(1.25 + eps)).epsilon(1e-14));
  CHECK(v[4] == Approx(-1.0 / std::sqrt(3.0 + eps)).epsilon(1e-14));
  CHECK(v[7] == Approx(3.0 / std::sqrt(3.0 + eps)).epsilon(1e-14));
  // gamma scales and beta shifts each feature: feature 3 of row 0 is 2 * 1.5 / sqrt(1.25 + eps) - 1.
  const Tensor gamma = Tensor::from_vector(std::vector<double>{1, 1, 1, 2}), beta = Tensor::full({4}, -1.0, DType::Float64);
  CHECK(layer_norm(x, gamma, beta, {1}, eps).value_at({0, 3}) == Approx(2 * 1.5 / std::sqrt(1.25 + eps) - 1).epsilon(1e-14));
}

TEST_CASE("layer_norm with rms_scaling does not centre x but uses the centred variance, as Keras", "[layer_norm]") {
  // Row [1, 3]: variance 1 (the mean of squares would be 5), so y = x * gamma / sqrt(1 + eps).
  const Tensor x = Tensor::from_vector(std::vector<double>{1, 3}, {1, 2});
  const Tensor gamma = Tensor::from_vector(std::vector<double>{2, 0.5});
  const Tensor y = layer_norm(x, gamma, Tensor(), {-1}, 1e-3, true);
  CHECK(y.value_at({0, 0}) == Approx(2.0 / std::sqrt(1.001)).epsilon(1e-14));
  CHECK(y.value_at({0, 1}) == Approx(1.5 / std::sqrt(1.001)).epsilon(1e-14));
}

TEST_CASE("layer_norm normalizes over axes that are not the last ones", "[layer_norm]") {
  // x (2, 2, 2) normalized over axis 0 with epsilon 0: each (j, k) pair of two different values
  // is at mean +- half their distance, with variance (distance / 2)^2, so it becomes -1 (the smaller)
  // and +1 (the larger).
  const Tensor x = Tensor::from_vector(std::vector<double>{0, 1, 2, 3, 4, 7, 0, 5}, {2, 2, 2});
  const Tensor y = layer_norm(x, Tensor(), Tensor(), {0}, 0.0);
  const std::vector<double> expected = {-1, -1, 1, -1, 1, 1, -1, 1};
  const auto v = y.to_vector<double>();
  for (std::size_t i = 0; i < v.size(); ++i) CHECK(v[i] == Approx(expected[i]).margin(1e-12));
}

TEST_CASE("layer_norm gradchecks for input, gamma and beta", "[layer_norm][gradcheck]") {
  struct Config {
    Shape shape;
    std::vector<std::int64_t> axes;
    bool scale, center, rms;
  };
  const std::vector<Config> configs = {
      {{3, 5}, {-1}, true, true, false},          {{2, 3, 4}, {-1}, true, false, false},
      {{2, 3, 2, 4}, {1, 2, 3}, true, true, false}, {{2, 3, 2, 4}, {1, 3}, true, true, false},
      {{2, 3, 2, 4}, {3, 1}, true, true, false},    {{3, 2, 4}, {0, 2}, false, true, false},
      {{4, 3}, {0}, false, false, false},           {{3, 5}, {-1}, true, false, true},
      {{2, 3, 4}, {2, 0}, true, false, true},
  };
  std::uint64_t seed = 90;
  for (const auto& cfg : configs) {
    std::vector<std::int64_t> pdims;
    for (auto a : cfg.axes) pdims.push_back(cfg.shape[a]);
    const Shape pshape(pdims);
    // An offset keeps the mean away from 0, so the rms path differs from plain normalization.
    Tensor x = test::random_leaf(cfg.shape, ++seed, -1.0, 2.0);
    Tensor gamma = cfg.scale ? test::random_leaf(pshape, ++seed, 0.5, 1.5) : Tensor();
    Tensor beta = cfg.center ? test::random_leaf(pshape, ++seed) : Tensor();
    const auto label = fmt::format("layer_norm x{} axes [{}] scale {} center {} rms {}", cfg.shape,
                                   fmt::join(cfg.axes, ", "), cfg.scale, cfg.center, cfg.rms);
    auto f = [cfg](const std::vector<Tensor>& in) { return layer_norm(in[0], in[1], in[2], cfg.axes, 1e-3, cfg.rms); };
    REQUIRE_GRADCHECK(label, f, std::vector<Tensor>{x, gamma, beta});
  }
}

TEST_CASE("layer_norm rejects bad arguments", "[layer_norm][errors]") {
  const Tensor x = Tensor::zeros({2, 3, 4});
  REQUIRE_THROWS_WITH_ALL(layer_norm(x, Tensor::ones({3}), Tensor()), std::invalid_argument, "layer_norm", "gamma",
                          "(4,)", "(3,)");
  REQUIRE_THROWS_WITH_ALL(layer_norm(x, Tensor(), Tensor::zeros({3, 4}), {2, 1}), std::invalid_argument, "beta",
                          "(4, 3)", "(3, 4)");
  REQUIRE_THROWS_WITH_ALL(layer_norm(x, Tensor::ones({4}, DType::Float64), Tensor()), std::invalid_argument, "gamma",
                          "float32", "float64");
  REQUIRE_THROWS_WITH_ALL(layer_norm(x, Tensor(), Tensor(), {3}), std::out_of_range, "layer_norm axis", "3",
                          "rank 3");
  REQUIRE_THROWS_WITH_ALL(layer_norm(x, Tensor(), Tensor(), {-4}), std::out_of_range, "layer_norm axis", "-4");
  REQUIRE_THROWS_WITH_ALL(layer_norm(x, Tensor(), Tensor(), {1, -2}), std::invalid_argument, "repeat", "1, -2");
  REQUIRE_THROWS_WITH_ALL(layer_norm(x, Tensor(), Tensor(), {}), std::invalid_argument, "axes", "[]");
  REQUIRE_THROWS_WITH_ALL(layer_norm(x, Tensor(), Tensor(), {-1}, -1e-3), std::invalid_argument, "epsilon",
                          "-0.001");
  REQUIRE_THROWS_WITH_ALL(layer_norm(x, Tensor::ones({4}), Tensor::zeros({4}), {-1}, 1e-3, true),
                          std::invalid_argument, "rms_scaling", "beta");
  REQUIRE_THROWS_WITH_ALL(layer_norm(Tensor::scalar(1.0), Tensor(), Tensor()), std::invalid_argument, "at least one",
                          "()");
}
