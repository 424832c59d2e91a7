// Elementwise ops (autograd/ops/elementwise.cpp): forward and gradients against PyTorch, float64
// gradchecks with broadcasting, tie/kink conventions by hand, and the errors.
#include <cmath>

#include "autograd/ops_fixture.h"

using namespace minidl;
using test::OpCase;

namespace {

Tensor run_elementwise(const OpCase& c, const std::vector<Tensor>& in) {
  const std::string& op = c.op;
  if (op == "add") return add(in[0], in[1]);
  if (op == "sub") return sub(in[0], in[1]);
  if (op == "mul") return mul(in[0], in[1]);
  if (op == "div") return div(in[0], in[1]);
  if (op == "maximum") return maximum(in[0], in[1]);
  if (op == "minimum") return minimum(in[0], in[1]);
  if (op == "pow") return pow(in[0], in[1]);
  if (op == "pow_scalar") return pow(in[0], c.params.at("exponent").get<double>());
  if (op == "exp") return exp(in[0]);
  if (op == "log") return log(in[0]);
  if (op == "sqrt") return sqrt(in[0]);
  if (op == "abs") return abs(in[0]);
  if (op == "square") return square(in[0]);
  if (op == "neg") return neg(in[0]);
  if (op == "clip") return clip(in[0], c.params.at("min").get<double>(), c.params.at("max").get<double>());
  if (op == "where") return where(in[0], in[1], in[2]);
  FAIL("no runner for elementwise op " << op);
  return {};
}

const std::vector<std::string> kOps = {"add", "sub",  "mul",    "div", "maximum", "minimum", "pow",  "pow_scalar",
                                       "exp", "log",  "sqrt",   "abs", "square",  "neg",     "clip", "where"};

Tensor f64(std::vector<double> v, const Shape& s) { return Tensor::from_vector(v, s); }

}  // namespace

TEST_CASE("elementwise fixture covers every op", "[elementwise]") { test::check_coverage("elementwise", kOps); }

TEST_CASE("elementwise forward matches PyTorch in float64 and float32", "[elementwise][fixture]") {
  test::check_forward("elementwise", run_elementwise, DType::Float64, 1e-12, 1e-12);
  test::check_forward("elementwise", run_elementwise, DType::Float32, 1e-5, 1e-6);
}

TEST_CASE("elementwise backward matches PyTorch's gradients", "[elementwise][fixture]") {
  test::check_backward("elementwise", run_elementwise);
}

TEST_CASE("elementwise gradcheck on every fixture case (broadcasting included)", "[elementwise][gradcheck]") {
  test::check_fixture_gradients("elementwise", run_elementwise);
}

TEST_CASE("elementwise gradcheck: scalar operands, reused inputs, partial requires_grad", "[elementwise][gradcheck]") {
  Tensor a = test::random_leaf({2, 3}, 11, 0.5, 1.5);
  Tensor b = test::random_leaf({3}, 12, 0.5, 1.5);
  REQUIRE_GRADCHECK("tensor (op) double", [](const std::vector<Tensor>& in) {
    return ((in[0] + 2.0) * 3.0 - 1.5) / 4.0;
  }, std::vector<Tensor>{a});
  REQUIRE_GRADCHECK("double (op) tensor", [](const std::vector<Tensor>& in) {
    return 2.0 / (1.0 - (3.0 * (0.5 + in[0])));
  }, std::vector<Tensor>{a});
  REQUIRE_GRADCHECK("the same tensor on both sides", [](const std::vector<Tensor>& in) {
    return in[0] * in[0] + in[0] / in[0] - in[0];
  }, std::vector<Tensor>{a});
  REQUIRE_GRADCHECK("broadcast operand used twice", [](const std::vector<Tensor>& in) {
    return pow(in[0], in[1]) * in[1] + sqrt(in[0] * in[1]);
  }, (std::vector<Tensor>{a, b}));
  REQUIRE_GRADCHECK("unary negation operator", [](const std::vector<Tensor>& in) { return -exp(in[0]); },
                    std::vector<Tensor>{a});
  // Only the exponent requires grad: the base's gradient is skipped, the exponent's must still be right.
  Tensor base = Tensor::full({2, 3}, 1.7, DType::Float64);
  REQUIRE_GRADCHECK("pow, exponent only", [&base](const std::vector<Tensor>& in) { return pow(base, in[0]); },
                    std::vector<Tensor>{a});
  // where with the same tensor in both branches gets the whole gradient back.
  Tensor cond = greater(a.detach(), Tensor::full({3}, 1.0, DType::Float64));
  REQUIRE_GRADCHECK("where, same tensor both branches", [&cond](const std::vector<Tensor>& in) {
    return where(cond, in[0] * 2.0, in[0] * in[0]);
  }, std::vector<Tensor>{a});
}

TEST_CASE("elementwise conventions at kinks and ties, by hand", "[elementwise]") {
  SECTION("abs has gradient 0 at 0, sign elsewhere") {
    Tensor x = f64({-2.0, 0.0, 3.0}, {3}).set_requires_grad();
    abs(x).sum().backward();
    REQUIRE(x.grad().to_vector<double>() == std::vector<double>{-1.0, 0.0, 1.0});
  }
  SECTION("maximum and minimum split ties equally") {
    Tensor a = f64({1.0, 2.0, 3.0}, {3}).set_requires_grad();
    Tensor b = f64({1.0, 5.0, 0.0}, {3}).set_requires_grad();
    maximum(a, b).sum().backward();
    REQUIRE(a.grad().to_vector<double>() == std::vector<double>{0.5, 0.0, 1.0});
    REQUIRE(b.grad().to_vector<double>() == std::vector<double>{0.5, 1.0, 0.0});
    a.zero_grad();
    b.zero_grad();
    minimum(a, b).sum().backward();
    REQUIRE(a.grad().to_vector<double>() == std::vector<double>{0.5, 1.0, 0.0});
    REQUIRE(b.grad().to_vector<double>() == std::vector<double>{0.5, 0.0, 1.0});
  }
  SECTION("clip passes the gradient inside [min, max], edges included, and clamps values") {
    Tensor x = f64({-2.0, -1.0, 0.5, 1.0, 3.0}, {5}).set_requires_grad();
    Tensor y = clip(x, -1.0, 1.0);
    REQUIRE(y.to_vector<double>() == std::vector<double>{-1.0, -1.0, 0.5, 1.0, 1.0});
    y.sum().backward();
    REQUIRE(x.grad().to_vector<double>() == std::vector<double>{0.0, 1.0, 1.0, 1.0, 0.0});
  }
  SECTION("pow: d/dp x^p at x = 0 is 0 for p >= 0, and d/dx x^0 is 0") {
    Tensor x = f64({0.0, 2.0}, {2}).set_requires_grad();
    Tensor p = f64({2.0, 0.0}, {2}).set_requires_grad();
    pow(x, p).sum().backward();
    // x^p = (0, 1); d/dx = p x^(p-1) = (0, 0); d/dp = x^p log x = (0 by the limit, 1 * log 2)
    REQUIRE(x.grad().to_vector<double>() == std::vector<double>{0.0, 0.0});
    REQUIRE(p.grad().value_at({0}) == 0.0);
    REQUIRE(p.grad().value_at({1}) == Approx(std::log(2.0)));
  }
  SECTION("comparisons give 0/1 masks of the inputs' dtype and no gradient") {
    Tensor a = f64({1.0, 2.0, 3.0}, {3}).set_requires_grad();
    Tensor b = f64({2.0}, {1});
    REQUIRE(equal(a, b).to_vector<double>() == std::vector<double>{0, 1, 0});
    REQUIRE(not_equal(a, b).to_vector<double>() == std::vector<double>{1, 0, 1});
    REQUIRE(less(a, b).to_vector<double>() == std::vector<double>{1, 0, 0});
    REQUIRE(less_equal(a, b).to_vector<double>() == std::vector<double>{1, 1, 0});
    REQUIRE(greater(a, b).to_vector<double>() == std::vector<double>{0, 0, 1});
    REQUIRE(greater_equal(a, b).to_vector<double>() == std::vector<double>{0, 1, 1});
    REQUIRE(greater(a, b).dtype() == DType::Float64);
    REQUIRE_FALSE(greater(a, b).requires_grad());
  }
  SECTION("a scalar operand takes the tensor's dtype") {
    Tensor x = Tensor::ones({2}, DType::Float32);
    REQUIRE((x * 0.1).dtype() == DType::Float32);
    REQUIRE((0.1 - x).dtype() == DType::Float32);
    REQUIRE((x * 0.1).value_at({0}) == static_cast<double>(0.1f));
  }
}

TEST_CASE("a 100,000-step chain that also feeds a leaf at every step runs backward", "[elementwise][engine]") {
  // test_engine.cpp covers a plain 100,000-mul chain; this one mixes op kinds (add, mul with a
  // broadcast operand, a reshape view) and accumulates 100,001 contributions into one leaf.
  // c_0 = x, c_n = 0.5 c_{n-1} + x  =>  dc_n/dx = 0.5^n + 2 (1 - 0.5^n) = 2 (n large), per element.
  Tensor x = Tensor::from_vector(std::vector<double>{1.0, -3.0}, {2}).set_requires_grad();
  Tensor half = Tensor::full({1}, 0.5, DType::Float64);
  Tensor c = x;
  for (int i = 0; i < 100000; ++i) c = (c * half + x).reshape({2});
  c.sum().backward();
  REQUIRE(x.grad().value_at({0}) == Approx(2.0).epsilon(1e-12));
  REQUIRE(x.grad().value_at({1}) == Approx(2.0).epsilon(1e-12));
}

TEST_CASE("elementwise errors name the op and the operands", "[elementwise][errors]") {
  Tensor a = Tensor::ones({2, 3}, DType::Float64);
  Tensor b = Tensor::ones({4}, DType::Float64);
  REQUIRE_THROWS_WITH_ALL(add(a, b), std::invalid_argument, "add", "(2, 3)", "(4,)", "cannot be broadcast");
  REQUIRE_THROWS_WITH_ALL(a * Tensor::ones({3, 2}, DType::Float64), std::invalid_argument, "mul", "(2, 3)", "(3, 2)");
  REQUIRE_THROWS_WITH_ALL(where(Tensor::ones({5}, DType::Float64), a, a), std::invalid_argument, "where", "(5,)");
  Tensor f = Tensor::ones({2, 3}, DType::Float32);
  REQUIRE_THROWS_WITH_ALL(add(f, a), std::invalid_argument, "add", "dtypes differ", "float32", "float64");
  REQUIRE_THROWS_WITH_ALL(maximum(a, f), std::invalid_argument, "maximum", "float64", "float32");
  REQUIRE_THROWS_WITH_ALL(pow(f, a), std::invalid_argument, "pow", "dtypes differ");
  REQUIRE_THROWS_WITH_ALL(clip(a, 1.0, -1.0), std::invalid_argument, "clip", "min_value=1", "max_value=-1");
  REQUIRE_THROWS_WITH_ALL(add(a, Tensor()), std::invalid_argument, "add", "undefined");
}

TEST_CASE("large broadcasts take the threaded, row-split path and still index correctly", "[elementwise]") {
  // Above kElementwiseGrain elements the map is split into row ranges across the pool; each range
  // positions its own counters. out[i, j, k] = (i * 50 + j) * 1000 + k from three broadcast pieces.
  const std::int64_t I = 64, J = 50, K = 40;
  Tensor a = (Tensor::arange(0, I, 1, DType::Float64) * 50000.0).reshape({I, 1, 1});
  Tensor b = (Tensor::arange(0, J, 1, DType::Float64) * 1000.0).reshape({1, J, 1});
  Tensor c = Tensor::arange(0, K, 1, DType::Float64);
  Tensor out = a + b + c;
  REQUIRE(out.shape() == Shape{I, J, K});
  const auto v = out.to_vector<double>();
  std::int64_t wrong = 0;
  for (std::int64_t i = 0; i < I; ++i)
    for (std::int64_t j = 0; j < J; ++j)
      for (std::int64_t k = 0; k < K; ++k)
        wrong += v[static_cast<std::size_t>((i * J + j) * K + k)] != static_cast<double>((i * 50 + j) * 1000 + k);
  REQUIRE(wrong == 0);
  // The backward of a broadcast operand sums over the expanded axes: d(sum(a + b + c))/db = I * K.
  b.set_requires_grad();
  (a + b + c).sum().backward();
  REQUIRE(b.grad().to_vector<double>() == std::vector<double>(J, static_cast<double>(I * K)));
}
