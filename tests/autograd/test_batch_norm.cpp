// batch_norm: forward, gradients and moving statistics against PyTorch + NumPy
// (tests/reference/pool_reference.py), a hand calculation of the biased moving variance, float64
// gradchecks in training and inference, errors.
#include "support/fixtures.h"

using namespace minidl;

namespace {
Tensor optional_param(const nlohmann::json& c, const char* key) {
  return c.contains(key) ? test::tensor_from_json(c.at(key)).set_requires_grad() : Tensor();
}
}  // namespace

TEST_CASE("batch_norm matches PyTorch and Keras's moving-statistics update", "[batch_norm][reference]") {
  const auto fixture = test::load_fixture("pool_reference.json");
  for (const auto& c : fixture.at("batch_norm")) {
    Tensor x = test::tensor_from_json(c.at("x")).set_requires_grad();
    Tensor gamma = optional_param(c, "gamma"), beta = optional_param(c, "beta");
    Tensor moving_mean = test::tensor_from_json(c.at("moving_mean"));
    Tensor moving_var = test::tensor_from_json(c.at("moving_var"));
    const bool training = c.at("training").get<bool>();
    const auto axis = c.at("axis").get<std::int64_t>();
    INFO("x" << x.shape().str() << " axis " << axis << (training ? " training" : " inference") << " gamma "
             << gamma.defined() << " beta " << beta.defined());
    Tensor y = batch_norm(x, gamma, beta, moving_mean, moving_var, axis, c.at("momentum").get<double>(),
                          c.at("epsilon").get<double>(), training);
    REQUIRE_CLOSE(y, test::tensor_from_json(c.at("y")), 1e-10, 1e-12);
    REQUIRE_CLOSE(moving_mean, test::tensor_from_json(c.at("new_moving_mean")), 1e-12, 1e-14);
    REQUIRE_CLOSE(moving_var, test::tensor_from_json(c.at("new_moving_var")), 1e-12, 1e-14);
    y.backward(test::tensor_from_json(c.at("w")));
    REQUIRE_CLOSE(x.grad(), test::tensor_from_json(c.at("grad_x")), 1e-9, 1e-11);
    if (gamma.defined()) REQUIRE_CLOSE(gamma.grad(), test::tensor_from_json(c.at("grad_gamma")), 1e-10, 1e-11);
    if (beta.defined()) REQUIRE_CLOSE(beta.grad(), test::tensor_from_json(c.at("grad_beta")), 1e-10, 1e-11);
  }
}

TEST_CASE("batch_norm updates the moving variance with the biased batch variance", "[batch_norm]") {
  // One channel, batch [0, 4]: mean 2, biased variance 4 (the unbiased one would be 8).
  // momentum 0.9: moving_mean 0 -> 0.1 * 2 = 0.2, moving_var 1 -> 0.9 + 0.1 * 4 = 1.3.
  // epsilon 0: y = (x - 2) / 2 = [-1, 1].
  Tensor x = Tensor::from_vector(std::vector<double>{0.0, 4.0}, {2, 1});
  Tensor mm = Tensor::zeros({1}, DType::Float64), mv = Tensor::ones({1}, DType::Float64);
  Tensor y = batch_norm(x, Tensor(), Tensor(), mm, mv, -1, 0.9, 0.0, true);
  REQUIRE(y.to_vector<double>() == std::vector<double>{-1.0, 1.0});
  REQUIRE(mm.item() == Approx(0.2).epsilon(1e-15));
  REQUIRE(mv.item() == Approx(1.3).epsilon(1e-15));
  // Inference uses (and keeps) the moving statistics: (x - 0.2) / sqrt(1.3).
  Tensor z = batch_norm(x, Tensor(), Tensor(), mm, mv, -1, 0.9, 0.0, false);
  REQUIRE(z.value_at({1, 0}) == Approx((4.0 - 0.2) / std::sqrt(1.3)).epsilon(1e-14));
  REQUIRE(mm.item() == Approx(0.2).epsilon(1e-15));
}

TEST_CASE("batch_norm gradchecks through the batch statistics", "[batch_norm][gradcheck]") {
  struct Config {
    Shape shape;
    std::int64_t axis;
    bool training, scale, center;
  };
  const std::vector<Config> configs = {
      {{3, 2, 2, 4}, -1, true, true, true},  {{2, 3, 2, 3}, 1, true, true, true},
      {{5, 3}, -1, true, true, false},       {{2, 3, 4}, 1, true, false, true},
      {{1, 3, 3, 2}, -1, true, true, true},  {{3, 2, 2, 4}, -1, false, true, true},
      {{4, 2, 3}, 0, true, true, true},
  };
  std::uint64_t seed = 70;
  for (const auto& cfg : configs) {
    const std::int64_t channels = cfg.shape[cfg.axis];
    Tensor x = test::random_leaf(cfg.shape, ++seed, -2.0, 2.0);
    Tensor gamma = cfg.scale ? test::random_leaf({channels}, ++seed, 0.5, 1.5) : Tensor();
    Tensor beta = cfg.center ? test::random_leaf({channels}, ++seed) : Tensor();
    const Tensor mm0 = Tensor::rand({channels}, DType::Float64), mv0 = Tensor::rand({channels}, DType::Float64) + 0.5;
    const auto label = fmt::format("batch_norm x{} axis {} {} scale {} center {}", cfg.shape, cfg.axis,
                                   cfg.training ? "training" : "inference", cfg.scale, cfg.center);
    auto f = [cfg, mm0, mv0](const std::vector<Tensor>& in) {
      Tensor mm = mm0.deep_copy(), mv = mv0.deep_copy();  // every evaluation starts from the same statistics
      return batch_norm(in[0], in[1], in[2], mm, mv, cfg.axis, 0.9, 1e-3, cfg.training);
    };
    REQUIRE_GRADCHECK(label, f, std::vector<Tensor>{x, gamma, beta});
  }
}

TEST_CASE("batch_norm with a mask gradchecks through the masked batch statistics", "[batch_norm][gradcheck][masking]") {
  // Keras's masked moments: weights = mask over every axis but the last. Rows fully masked, an
  // all-masked batch (mean 0, var 0: the tail term of d var / d mean matters there), every axis.
  struct Config {
    Shape shape;
    std::int64_t axis;
    std::vector<double> mask;
    bool scale, center;
  };
  const std::vector<Config> configs = {
      {{3, 4, 2}, -1, {1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0}, true, true},
      {{3, 4, 2}, -1, {1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0}, false, true},
      {{3, 4, 2}, -1, {1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0}, true, false},
      {{2, 3, 2, 3}, -1, {1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0}, true, true},
      {{2, 3, 4}, 1, {1, 0, 1, 1, 1, 0}, true, true},
      {{2, 3, 2, 4}, 1, {1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1}, true, true},
      {{2, 3, 2}, -1, {0, 0, 0, 0, 0, 0}, true, true},
  };
  std::uint64_t seed = 170;
  for (const auto& cfg : configs) {
    const std::int64_t channels = cfg.shape[cfg.axis];
    Tensor x = test::random_leaf(cfg.shape, ++seed, -2.0, 2.0);
    Tensor gamma = cfg.scale ? test::random_leaf({channels}, ++seed, 0.5, 1.5) : Tensor();
    Tensor beta = cfg.center ? test::random_leaf({channels}, ++seed) : Tensor();
    std::vector<std::int64_t> mdims = cfg.shape.dims();
    mdims.pop_back();
    const Tensor mask = Tensor::from_vector(cfg.mask, Shape(mdims));
    const Tensor mm0 = Tensor::rand({channels}, DType::Float64), mv0 = Tensor::rand({channels}, DType::Float64) + 0.5;
    const auto label = fmt::format("masked batch_norm x{} axis {} scale {} center {}", cfg.shape, cfg.axis, cfg.scale,
                                   cfg.center);
    auto f = [cfg, mm0, mv0, mask](const std::vector<Tensor>& in) {
      Tensor mm = mm0.deep_copy(), mv = mv0.deep_copy();
      return batch_norm(in[0], in[1], in[2], mm, mv, cfg.axis, 0.9, 1e-3, true, mask);
    };
    REQUIRE_GRADCHECK(label, f, std::vector<Tensor>{x, gamma, beta});
  }
}

TEST_CASE("batch_norm with a mask: moments by hand", "[batch_norm][masking]") {
  // One channel, x [0, 4, 100], the 100 masked: sum(w) = 2, mean = 4 / (2 + 1e-7),
  // var = ((0 - mean)^2 + (4 - mean)^2) / (2 + 1e-7); all three positions normalised with them.
  Tensor x = Tensor::from_vector(std::vector<double>{0.0, 4.0, 100.0}, {3, 1});
  const Tensor mask = Tensor::from_vector(std::vector<double>{1.0, 1.0, 0.0}, {3});
  Tensor mm = Tensor::zeros({1}, DType::Float64), mv = Tensor::ones({1}, DType::Float64);
  const Tensor y = batch_norm(x, Tensor(), Tensor(), mm, mv, -1, 0.5, 0.0, true, mask);
  const double d = 2.0 + 1e-7, mean = 4.0 / d, var = (mean * mean + (4.0 - mean) * (4.0 - mean)) / d;
  CHECK(mm.item() == Approx(0.5 * mean).epsilon(1e-15));
  CHECK(mv.item() == Approx(0.5 + 0.5 * var).epsilon(1e-15));
  CHECK(y.value_at({2, 0}) == Approx((100.0 - mean) / std::sqrt(var)).epsilon(1e-14));
  // At inference the mask changes nothing.
  Tensor mm2 = mm.deep_copy(), mv2 = mv.deep_copy();
  REQUIRE_CLOSE(batch_norm(x, Tensor(), Tensor(), mm, mv, -1, 0.5, 1e-3, false, mask),
                batch_norm(x, Tensor(), Tensor(), mm2, mv2, -1, 0.5, 1e-3, false), 0.0, 1e-12);
}

TEST_CASE("batch_norm rejects bad arguments", "[batch_norm][errors]") {
  Tensor x = Tensor::zeros({2, 3, 4});
  Tensor mm = Tensor::zeros({4}), mv = Tensor::ones({4});
  REQUIRE_THROWS_WITH_ALL(batch_norm(x, Tensor::ones({3}), Tensor(), mm, mv), std::invalid_argument, "batch_norm",
                          "gamma", "(4,)", "(3,)");
  REQUIRE_THROWS_WITH_ALL(batch_norm(x, Tensor(), Tensor::zeros({4, 1}), mm, mv), std::invalid_argument, "beta",
                          "(4, 1)");
  Tensor mv64 = Tensor::ones({4}, DType::Float64);
  REQUIRE_THROWS_WITH_ALL(batch_norm(x, Tensor(), Tensor(), mm, mv64), std::invalid_argument, "moving_var",
                          "float64", "float32");
  Tensor undefined;
  REQUIRE_THROWS_WITH_ALL(batch_norm(x, Tensor(), Tensor(), undefined, mv), std::invalid_argument, "moving_mean");
  REQUIRE_THROWS_WITH_ALL(batch_norm(x, Tensor(), Tensor(), mm, mv, 1), std::invalid_argument, "moving_mean",
                          "axis 1", "(3,)");
  REQUIRE_THROWS_WITH_ALL(batch_norm(x, Tensor(), Tensor(), mm, mv, 3), std::out_of_range, "batch_norm axis");
  REQUIRE_THROWS_WITH_ALL(batch_norm(x, Tensor(), Tensor(), mm, mv, -1, 0.99, -1e-3), std::invalid_argument,
                          "epsilon", "-0.001");
  REQUIRE_THROWS_WITH_ALL(batch_norm(x, Tensor(), Tensor(), mm, mv, -1, 0.99, 1e-3, true, Tensor::ones({2, 4})),
                          std::invalid_argument, "batch_norm: mask", "(2, 3)", "(2, 4)");
  REQUIRE_THROWS_WITH_ALL(batch_norm(x, Tensor(), Tensor(), mm, mv, -1, 0.99, 1e-3, true,
                                     Tensor::ones({2, 3}, DType::Float64)),
                          std::invalid_argument, "mask", "float32", "float64");
  Tensor empty = Tensor::zeros({0, 4}), mm2 = Tensor::zeros({4});
  REQUIRE_THROWS_WITH_ALL(batch_norm(empty, Tensor(), Tensor(), mm2, mv, -1, 0.99, 1e-3, true), std::invalid_argument,
                          "at least one element", "(0, 4)");
}
