// dropout: statistics with closed-form tolerances, determinism from the seed, noise_shape,
// identity outside training, float64 gradchecks, errors.
#include "support/fixtures.h"

#include <cmath>

using namespace minidl;

TEST_CASE("dropout zeroes about `rate` of the elements and preserves the mean", "[dropout]") {
  const std::int64_t n = 200000;
  for (double rate : {0.1, 0.5, 0.8}) {
    Generator gen(123);
    Tensor y = dropout(Tensor::ones({n}, DType::Float64), rate, gen);
    const auto v = y.to_vector<double>();
    std::int64_t zeros = 0, misscaled = 0;
    double sum = 0.0;
    for (double e : v) {
      if (e == 0.0) ++zeros;
      else if (std::abs(e - 1.0 / (1.0 - rate)) > 1e-15 * e) ++misscaled;  // survivors scaled by 1 / (1 - rate)
      sum += e;
    }
    REQUIRE(misscaled == 0);
    // zeros ~ Binomial(n, rate): standard deviation sqrt(rate (1 - rate) / n) of the fraction.
    // The mean is (n - zeros) / (n (1 - rate)), with standard deviation sqrt(rate / ((1 - rate) n)).
    // Five standard deviations: a correct implementation fails about once in 1.7 million runs.
    const double dn = static_cast<double>(n);
    const double fraction = static_cast<double>(zeros) / dn;
    INFO("rate " << rate << ": fraction zeroed " << fraction << ", mean " << sum / dn);
    REQUIRE(std::abs(fraction - rate) <= 5.0 * std::sqrt(rate * (1.0 - rate) / dn));
    REQUIRE(std::abs(sum / dn - 1.0) <= 5.0 * std::sqrt(rate / ((1.0 - rate) * dn)));
  }
}

TEST_CASE("dropout masks are reproducible from the generator seed", "[dropout]") {
  Tensor x = Tensor::randn({64, 32});
  Generator a(7), b(7), c(8);
  const auto ya = dropout(x, 0.4, a).to_vector<float>();
  REQUIRE(ya == dropout(x, 0.4, b).to_vector<float>());
  REQUIRE(ya != dropout(x, 0.4, c).to_vector<float>());
  REQUIRE(ya != dropout(x, 0.4, a).to_vector<float>());  // the generator advanced: a new mask
}

TEST_CASE("dropout with a noise_shape shares the mask along its unit axes", "[dropout]") {
  Generator gen(3);
  Tensor x = Tensor::ones({4, 50, 6}, DType::Float64);
  Tensor y = dropout(x, 0.5, gen, true, Shape{-1, 1, 6});
  bool some_zero = false, some_kept = false;
  std::int64_t differing = 0;
  for (std::int64_t i = 0; i < 4; ++i)
    for (std::int64_t k = 0; k < 6; ++k) {
      const double first = y.value_at({i, 0, k});
      (first == 0.0 ? some_zero : some_kept) = true;
      for (std::int64_t j = 1; j < 50; ++j) differing += y.value_at({i, j, k}) != first;
    }
  REQUIRE(differing == 0);
  REQUIRE(some_zero);
  REQUIRE(some_kept);
}

TEST_CASE("dropout is the identity outside training or with rate 0", "[dropout]") {
  Generator gen(1);
  Tensor x = Tensor::randn({3, 4});
  REQUIRE(dropout(x, 0.5, gen, false).shares_storage(x));
  REQUIRE(dropout(x, 0.0, gen, true).shares_storage(x));
}

TEST_CASE("dropout gradchecks", "[dropout][gradcheck]") {
  Tensor x = test::random_leaf({5, 4, 3}, 90);
  for (double rate : {0.2, 0.6}) {
    for (bool shared : {false, true}) {
      const std::optional<Shape> noise = shared ? std::optional<Shape>(Shape{5, 1, 3}) : std::nullopt;
      auto f = [rate, noise](const std::vector<Tensor>& in) {
        Generator gen(11);  // the same mask on every evaluation
        return dropout(in[0], rate, gen, true, noise);
      };
      REQUIRE_GRADCHECK(fmt::format("dropout rate {} noise_shape {}", rate, shared), f, std::vector<Tensor>{x});
    }
  }
}

TEST_CASE("dropout rejects bad arguments", "[dropout][errors]") {
  Generator gen;
  Tensor x = Tensor::ones({2, 3});
  REQUIRE_THROWS_WITH_ALL(dropout(x, 1.0, gen), std::invalid_argument, "dropout", "rate", "[0, 1)", "rate=1");
  REQUIRE_THROWS_WITH_ALL(dropout(x, -0.1, gen), std::invalid_argument, "rate=-0.1");
  REQUIRE_THROWS_WITH_ALL(dropout(x, std::nan(""), gen, false), std::invalid_argument, "rate=nan");
  REQUIRE_THROWS_WITH_ALL(dropout(x, 0.5, gen, true, Shape{2}), std::invalid_argument, "noise_shape", "rank 2",
                          "(2,)");
  REQUIRE_THROWS_WITH_ALL(dropout(x, 0.5, gen, true, Shape{2, 2}), std::invalid_argument, "noise_shape", "(2, 2)",
                          "(2, 3)");
}
