// Keras's regularizers, values by hand (spec section 5), gradients by gradcheck, identifiers and
// errors. Layer-level counts and values against Keras are in test_sequential.cpp.
#include <cmath>

#include "support/fixtures.h"

using namespace minidl;
using namespace minidl::layers;
namespace R = minidl::regularizers;
using Inputs = std::vector<Tensor>;

namespace {

Tensor matrix(std::vector<double> v, Shape shape) { return Tensor::from_vector(v, shape); }

double penalty(const R::Regularizer& r, const Tensor& w) { return r(w).item(); }

}  // namespace

TEST_CASE("L1, L2 and L1L2 penalties by hand", "[layers][regularizers]") {
  const Tensor w = matrix({1, -2, 3, -4}, {2, 2});  // sum |w| = 10, sum w^2 = 30
  REQUIRE(penalty(R::L1{.l1 = 0.1}, w) == Approx(1.0));
  REQUIRE(penalty(R::L2{.l2 = 0.01}, w) == Approx(0.3));  // no 1/2, as Keras
  REQUIRE(penalty(R::L1L2{.l1 = 0.1, .l2 = 0.01}, w) == Approx(1.3));
  REQUIRE(penalty("l1", w) == Approx(0.1));  // default 0.01
  REQUIRE(penalty("L2", w) == Approx(0.3));
  REQUIRE(penalty("l1_l2", w) == Approx(0.01 * 10 + 0.01 * 30));  // tf.keras's string: 0.01 / 0.01
  REQUIRE(penalty("L1L2", w) == 0.0);  // the class defaults are 0 / 0
  REQUIRE(penalty("l1l2", w) == 0.0);
  REQUIRE(R::Regularizer("l1_l2").config() == nlohmann::json{{"l1", 0.01}, {"l2", 0.01}});
  // The penalty has the weight's dtype and is a scalar.
  REQUIRE(R::Regularizer("l2")(w.to(DType::Float32)).dtype() == DType::Float32);
  REQUIRE(R::Regularizer("l2")(w).ndim() == 0);
}

TEST_CASE("OrthogonalRegularizer by hand, rows and columns", "[layers][regularizers]") {
  // w = [[1, 0], [1, 1], [0, 2]].
  // rows, normalised: (1, 0), (1, 1)/sqrt2, (0, 1); the pairwise |cos| are 1/sqrt2, 0, 1/sqrt2;
  // the off-diagonal of W W^T sums them twice: 2 sqrt2; 3 pairs -> factor * 0.5 * 2 sqrt2 / 3.
  const Tensor w = matrix({1, 0, 1, 1, 0, 2}, {3, 2});
  REQUIRE(penalty(R::OrthogonalRegularizer{.factor = 0.3}, w) == Approx(0.3 * std::sqrt(2.0) / 3.0));
  // columns: (1, 1, 0)/sqrt2 and (0, 1, 2)/sqrt5, cos = 1/sqrt10; one pair -> factor * 0.5 * 2 / sqrt10.
  REQUIRE(penalty(R::OrthogonalRegularizer{.factor = 0.3, .mode = "columns"}, w) == Approx(0.3 / std::sqrt(10.0)));
  // Orthogonal rows cost nothing; a zero row is left at zero (the norm is floored at epsilon), not NaN.
  REQUIRE(penalty("orthogonal_regularizer", matrix({3, 0, 0, 0, 0, 0.5}, {3, 2})) == 0.0);
  // Parallel rows: every |cos| is 1 -> factor * 0.5 * 2 * pairs / pairs = factor.
  REQUIRE(penalty(R::OrthogonalRegularizer{}, matrix({1, 2, 2, 4, -3, -6}, {3, 2})) == Approx(0.01));
  REQUIRE_THROWS_WITH_ALL(penalty(R::OrthogonalRegularizer{}, Tensor::ones({2, 2, 2}, DType::Float64)),
                          std::invalid_argument, "OrthogonalRegularizer", "rank 2", "(2, 2, 2)");
  REQUIRE_THROWS_WITH_ALL(R::Regularizer(R::OrthogonalRegularizer{.mode = "diagonal"}), std::invalid_argument, "mode",
                          "diagonal");
}

TEST_CASE("Regularizer penalties pass float64 gradcheck", "[layers][regularizers][gradcheck]") {
  // Random entries keep |w| and the cosines away from the kinks of abs at 0.
  const Tensor w = test::random_leaf({4, 3}, 61, 0.2, 1.0);
  for (const R::Regularizer& r : {R::Regularizer(R::L2{.l2 = 0.3}), R::Regularizer(R::L1L2{.l1 = 0.2, .l2 = 0.1}),
                                  R::Regularizer(R::OrthogonalRegularizer{.factor = 0.5}),
                                  R::Regularizer(R::OrthogonalRegularizer{.factor = 0.5, .mode = "columns"})}) {
    REQUIRE_GRADCHECK(r.class_name(), [&r](const Inputs& in) { return r(in[0]); }, Inputs{w});
  }
}

TEST_CASE("Regularizer identifiers, configs and errors", "[layers][regularizers][errors]") {
  for (const auto& [id, cls] : std::vector<std::pair<const char*, const char*>>{
           {"l1", "L1"}, {"L1", "L1"}, {"l2", "L2"}, {"L2", "L2"}, {"l1_l2", "L1L2"}, {"L1L2", "L1L2"},
           {"l1l2", "L1L2"}, {"orthogonal_regularizer", "OrthogonalRegularizer"},
           {"OrthogonalRegularizer", "OrthogonalRegularizer"}}) {
    INFO(id);
    const R::Regularizer r = id;
    REQUIRE(r.class_name() == cls);
    const R::Regularizer again = R::Regularizer::from_config(r.serialize());
    REQUIRE(again.class_name() == cls);
    REQUIRE(again.config() == r.config());
  }
  REQUIRE_THROWS_WITH_ALL(R::Regularizer("l3"), std::invalid_argument, "Could not interpret regularizer identifier",
                          "'l3'", "l1_l2", "orthogonal_regularizer");
  REQUIRE_THROWS_WITH_ALL(R::Regularizer(R::L1{.l1 = -1}), std::invalid_argument, "l1", "-1");
  REQUIRE_THROWS_WITH_ALL(R::Regularizer(R::L1L2{.l1 = 0, .l2 = NAN}), std::invalid_argument, "l2", "nan");
  REQUIRE_THROWS_WITH_ALL(R::Regularizer::from_config({{"class_name", "Custom"}}), std::invalid_argument, "Custom");
  // A layer reports the penalty of each regularized trainable weight, evaluated now.
  Dense dense({.units = 2, .kernel_initializer = "ones", .bias_initializer = initializers::Constant{.value = -3.0},
               .kernel_regularizer = R::L1{.l1 = 0.5}, .bias_regularizer = "l2"});
  dense.build({-1, 3});
  REQUIRE(dense.losses().size() == 2);
  REQUIRE(dense.losses()[0].item() == Approx(0.5 * 6));
  REQUIRE(dense.losses()[1].item() == Approx(0.01 * 18));
  dense.kernel()->assign(Tensor::full({3, 2}, 2.0));
  REQUIRE(dense.losses()[0].item() == Approx(0.5 * 12));
}
