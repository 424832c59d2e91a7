// Keras's weight constraints, values by hand (spec section 6: norms over the listed axes, epsilon
// 1e-7 in the denominator), identifiers, configs and errors.
#include <cmath>

#include "support/fixtures.h"

using namespace minidl;
using namespace minidl::layers;
namespace C = minidl::constraints;

namespace {

constexpr double kEps = 1e-7;

Tensor matrix(std::vector<double> v, Shape shape) { return Tensor::from_vector(v, shape); }

}  // namespace

TEST_CASE("MaxNorm, MinMaxNorm, UnitNorm and NonNeg by hand", "[layers][constraints]") {
  // Columns (axis 0 is reduced): norms 5 and 0.5.
  const Tensor w = matrix({3, 0.5, 4, 0}, {2, 2});
  const double big = 2.0 / (5.0 + kEps), small = 0.5 / (0.5 + kEps);
  REQUIRE_CLOSE(C::Constraint(C::MaxNorm{.max_value = 2})(w), matrix({3 * big, 0.5 * small, 4 * big, 0}, {2, 2}), 1e-14,
                1e-15);
  // Rows (axis 1): norms sqrt(9.25) and 4; both above 2.
  const double r0 = 2.0 / (std::sqrt(9.25) + kEps), r1 = 2.0 / (4.0 + kEps);
  REQUIRE_CLOSE(C::Constraint(C::MaxNorm{.max_value = 2, .axis = {1}})(w), matrix({3 * r0, 0.5 * r0, 4 * r1, 0}, {2, 2}),
                1e-14, 1e-15);
  // MinMaxNorm(1, 2, rate 0.5): desired = 0.5 * clip(n, 1, 2) + 0.5 * n -> 3.5 for n = 5, 0.75 for n = 0.5.
  const double d5 = 3.5 / (5.0 + kEps), d05 = 0.75 / (0.5 + kEps);
  REQUIRE_CLOSE(C::Constraint(C::MinMaxNorm{.min_value = 1, .max_value = 2, .rate = 0.5})(w),
                matrix({3 * d5, 0.5 * d05, 4 * d5, 0}, {2, 2}), 1e-14, 1e-15);
  // Keras's default MinMaxNorm(0, 1, rate 1).
  REQUIRE_CLOSE(C::Constraint("min_max_norm")(w),
                matrix({3 / (5 + kEps), 0.5 * 0.5 / (0.5 + kEps), 4 / (5 + kEps), 0}, {2, 2}), 1e-14, 1e-15);
  REQUIRE_CLOSE(C::Constraint(C::UnitNorm{.axis = {1}})(w),
                matrix({3 / (std::sqrt(9.25) + kEps), 0.5 / (std::sqrt(9.25) + kEps), 4 / (4 + kEps), 0}, {2, 2}),
                1e-14, 1e-15);
  REQUIRE_CLOSE(C::Constraint("unit_norm")(w), matrix({3 / (5 + kEps), 0.5 / (0.5 + kEps), 4 / (5 + kEps), 0}, {2, 2}),
                1e-14, 1e-15);
  REQUIRE_CLOSE(C::Constraint("non_neg")(matrix({-1, 2, 0, -0.5}, {2, 2})), matrix({0, 2, 0, 0}, {2, 2}), 0.0, 1e-30);
  // epsilon: MaxNorm shrinks even a vector under the limit, by norm / (norm + 1e-7).
  const Tensor unit = matrix({0.6, 0.8}, {2});
  REQUIRE_CLOSE(C::Constraint("max_norm")(unit), unit * (1.0 / (1.0 + kEps)), 1e-15, 0.0);
  // A zero column stays zero.
  REQUIRE_CLOSE(C::Constraint("unit_norm")(Tensor::zeros({3, 1}, DType::Float64)), Tensor::zeros({3, 1}, DType::Float64),
                0.0, 1e-30);
}

TEST_CASE("Constraints on conv kernels reduce the axes they are given", "[layers][constraints]") {
  // Conv2D kernel (kh, kw, in, out): axis {0, 1, 2} -> one norm per output filter.
  const Tensor k = test::pattern({3, 3, 2, 4}, 5, DType::Float64) * 3.0;
  const Tensor c = C::Constraint(C::MaxNorm{.max_value = 1.5, .axis = {0, 1, 2}})(k);
  const auto kv = k.to_vector<double>(), cv = c.to_vector<double>();
  for (int f = 0; f < 4; ++f) {
    double n = 0, nc = 0;
    for (int i = 0; i < 18; ++i) {
      n += kv[i * 4 + f] * kv[i * 4 + f];
      nc += cv[i * 4 + f] * cv[i * 4 + f];
    }
    n = std::sqrt(n);
    INFO("filter " << f << " norm " << n);
    REQUIRE(std::sqrt(nc) == Approx(std::min(n, 1.5) * n / (n + kEps)).epsilon(1e-12));
    for (int i = 0; i < 18; ++i) REQUIRE(cv[i * 4 + f] == Approx(kv[i * 4 + f] * std::min(n, 1.5) / (n + kEps)));
  }
  // A negative axis counts from the end, as in Keras: {-1} on (2, 3) is the row norm.
  REQUIRE_CLOSE(C::Constraint(C::UnitNorm{.axis = {-1}})(matrix({3, 4, 0, 0, 0, 2}, {2, 3})),
                matrix({3 / (5 + kEps), 4 / (5 + kEps), 0, 0, 0, 2 / (2 + kEps)}, {2, 3}), 1e-14, 1e-15);
}

TEST_CASE("Constraints stay out of the autograd graph", "[layers][constraints]") {
  Tensor w = test::random_leaf({3, 2}, 71);
  for (const char* id : {"max_norm", "min_max_norm", "non_neg", "unit_norm"}) {
    INFO(id);
    REQUIRE_FALSE(C::Constraint(id)(w).requires_grad());
  }
}

TEST_CASE("Constraint identifiers, configs and errors", "[layers][constraints][errors]") {
  for (const auto& [id, cls] : std::vector<std::pair<const char*, const char*>>{
           {"max_norm", "MaxNorm"}, {"MaxNorm", "MaxNorm"}, {"min_max_norm", "MinMaxNorm"}, {"MinMaxNorm", "MinMaxNorm"},
           {"non_neg", "NonNeg"}, {"NonNeg", "NonNeg"}, {"unit_norm", "UnitNorm"}, {"UnitNorm", "UnitNorm"}}) {
    INFO(id);
    const C::Constraint c = id;
    REQUIRE(c.class_name() == cls);
    const C::Constraint again = C::Constraint::from_config(c.serialize());
    REQUIRE(again.config() == c.config());
  }
  // Keras's defaults in the config; an int axis in a Keras config reads as one axis.
  REQUIRE(C::Constraint("max_norm").config() == nlohmann::json{{"max_value", 2.0}, {"axis", {0}}});
  REQUIRE(C::Constraint::from_config({{"class_name", "UnitNorm"}, {"config", {{"axis", 1}}}}).config()["axis"] ==
          nlohmann::json({1}));
  REQUIRE_THROWS_WITH_ALL(C::Constraint("maxnorm"), std::invalid_argument, "Could not interpret constraint identifier",
                          "'maxnorm'", "max_norm", "unit_norm");
  REQUIRE_THROWS_WITH_ALL(C::Constraint(C::MinMaxNorm{.min_value = 2, .max_value = 1}), std::invalid_argument,
                          "min_value", "max_value");
}
