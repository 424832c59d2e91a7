// Reductions (autograd/ops/reduce.cpp): sum/mean/max/min/variance over axes, with and without
// keepdims, against PyTorch; gradchecks; tie splitting; and the errors.
#include <cmath>

#include "autograd/ops_fixture.h"

using namespace minidl;
using test::OpCase;

namespace {

Tensor run_reduce(const OpCase& c, const std::vector<Tensor>& in) {
  const auto axes = c.params.at("axes").get<std::vector<std::int64_t>>();
  const bool keepdims = c.params.at("keepdims").get<bool>();
  if (c.op == "sum") return sum(in[0], axes, keepdims);
  if (c.op == "mean") return mean(in[0], axes, keepdims);
  if (c.op == "max") return max(in[0], axes, keepdims);
  if (c.op == "min") return min(in[0], axes, keepdims);
  if (c.op == "variance") return variance(in[0], axes, keepdims, c.params.at("correction").get<std::int64_t>());
  FAIL("no runner for reduce op " << c.op);
  return {};
}

Tensor f64(std::vector<double> v, const Shape& s) { return Tensor::from_vector(v, s); }

}  // namespace

TEST_CASE("reduce fixture covers every op", "[reduce]") {
  test::check_coverage("reduce", {"sum", "mean", "max", "min", "variance"});
}

TEST_CASE("reduce forward matches PyTorch in float64 and float32", "[reduce][fixture]") {
  test::check_forward("reduce", run_reduce, DType::Float64, 1e-12, 1e-12);
  test::check_forward("reduce", run_reduce, DType::Float32, 1e-5, 1e-6);
}

TEST_CASE("reduce backward matches PyTorch's gradients", "[reduce][fixture]") {
  test::check_backward("reduce", run_reduce);
}

TEST_CASE("reduce gradcheck on every fixture case (keepdims included)", "[reduce][gradcheck]") {
  test::check_fixture_gradients("reduce", run_reduce);
}

TEST_CASE("reduce gradcheck: Tensor methods, negative and unsorted axes, chains", "[reduce][gradcheck]") {
  Tensor x = test::random_leaf({3, 4, 2}, 21);
  REQUIRE_GRADCHECK("Tensor::sum() and mean()", [](const std::vector<Tensor>& in) {
    return in[0].sum() * in[0].mean();
  }, std::vector<Tensor>{x});
  REQUIRE_GRADCHECK("sum over unsorted negative axes", [](const std::vector<Tensor>& in) {
    return in[0].sum({-1, 0}, true);
  }, std::vector<Tensor>{x});
  REQUIRE_GRADCHECK("x minus its mean, squared (a normalisation)", [](const std::vector<Tensor>& in) {
    Tensor centered = in[0] - in[0].mean({1}, true);
    return centered / sqrt(variance(in[0], {1}, true) + 1e-3);
  }, std::vector<Tensor>{x});
  REQUIRE_GRADCHECK("sample variance over every axis", [](const std::vector<Tensor>& in) {
    return variance(in[0], {}, false, 1);
  }, std::vector<Tensor>{x});
}

TEST_CASE("reductions by hand: values, shapes, scalars", "[reduce]") {
  // [[1, 2, 3], [4, 5, 6]]
  Tensor x = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  REQUIRE(sum(x).shape() == Shape{});
  REQUIRE(sum(x).item() == 21.0);
  REQUIRE(sum(x, {0}).to_vector<double>() == std::vector<double>{5, 7, 9});
  REQUIRE(sum(x, {1}, true).shape() == Shape{2, 1});
  REQUIRE(sum(x, {}, true).shape() == Shape{1, 1});
  REQUIRE(mean(x, {1}).to_vector<double>() == std::vector<double>{2, 5});
  REQUIRE(max(x, {0}).to_vector<double>() == std::vector<double>{4, 5, 6});
  REQUIRE(min(x, {1}).to_vector<double>() == std::vector<double>{1, 4});
  // population variance of {1, 2, 3} is 2/3; sample variance is 1
  REQUIRE(variance(x, {1}).value_at({0}) == Approx(2.0 / 3.0));
  REQUIRE(variance(x, {1}, false, 1).value_at({1}) == Approx(1.0));
  // A scalar reduces to itself.
  Tensor s = Tensor::scalar(4.0, DType::Float64);
  REQUIRE(sum(s).item() == 4.0);
  REQUIRE(max(s).item() == 4.0);
}

TEST_CASE("max and min split the gradient among tied extremes", "[reduce]") {
  Tensor x = f64({3, 1, 3, 2, 2, 2}, {2, 3}).set_requires_grad();
  max(x, {1}).sum().backward();
  // row 0: two 3s share 1; row 1: three 2s share 1
  const std::vector<double> expected{0.5, 0.0, 0.5, 1.0 / 3, 1.0 / 3, 1.0 / 3};
  const auto g = x.grad().to_vector<double>();
  for (std::size_t i = 0; i < g.size(); ++i) REQUIRE(g[i] == Approx(expected[i]));
  x.zero_grad();
  min(x).backward();  // the global minimum 1 is unique
  REQUIRE(x.grad().to_vector<double>() == std::vector<double>{0, 1, 0, 0, 0, 0});
}

TEST_CASE("a one-element reduction runs backward without a seed, a longer one needs it", "[reduce][errors]") {
  Tensor x = Tensor::ones({2, 3}, DType::Float64).set_requires_grad();
  sum(x, {}, true).backward();  // shape (1, 1): one element, seeded with 1
  REQUIRE(x.grad().to_vector<double>() == std::vector<double>(6, 1.0));
  REQUIRE_THROWS_WITH_ALL(sum(x, {0}).backward(), std::invalid_argument, "backward()", "one-element", "(3,)");
}

TEST_CASE("reduce errors name the op, the axes and the allowed range", "[reduce][errors]") {
  Tensor x = Tensor::ones({2, 3, 4}, DType::Float64);
  REQUIRE_THROWS_WITH_ALL(sum(x, {3}), std::out_of_range, "axes=3", "rank 3", "-3 to 2");
  REQUIRE_THROWS_WITH_ALL(mean(x, {-4}), std::out_of_range, "axes=-4", "rank 3");
  REQUIRE_THROWS_WITH_ALL(max(x, {0, 5}), std::out_of_range, "axes=5");
  REQUIRE_THROWS_WITH_ALL(variance(x, {7}), std::out_of_range, "axes=7");
  REQUIRE_THROWS_WITH_ALL(x.sum({1, -2}), std::invalid_argument, "repeat", "[1, -2]");
  REQUIRE_THROWS_WITH_ALL(sum(Tensor::scalar(1.0), {0}), std::out_of_range, "axes=0", "rank 0");
  REQUIRE_THROWS_WITH_ALL(max(Tensor::zeros({2, 0}, DType::Float64), {1}), std::invalid_argument, "max", "empty",
                          "(2, 0)");
  REQUIRE_THROWS_WITH_ALL(min(Tensor::zeros({0}, DType::Float64)), std::invalid_argument, "min", "empty");
  REQUIRE_THROWS_WITH_ALL(variance(x, {1}, false, 3), std::invalid_argument, "variance", "correction=3", "[0, 3)");
  REQUIRE_THROWS_WITH_ALL(variance(x, {1}, false, -1), std::invalid_argument, "correction=-1");
}

TEST_CASE("large reductions take the block-split paths and match closed forms", "[reduce]") {
  // 0 + 1 + ... + (n - 1) = n (n - 1) / 2, exact in double; one long row is split into blocks.
  const std::int64_t n = 100000;
  Tensor x = Tensor::arange(0, static_cast<double>(n), 1, DType::Float64);
  REQUIRE(sum(x).item() == static_cast<double>(n * (n - 1) / 2));
  REQUIRE(max(x).item() == static_cast<double>(n - 1));
  REQUIRE(min(x).item() == 0.0);
  // float32 sums accumulate in double: integers below 2^24 are exact, so is their sum before rounding.
  REQUIRE(sum(x.to(DType::Float32)).item() == static_cast<double>(static_cast<float>(n * (n - 1) / 2)));
  // Column sums of a (rows, cols) matrix m[r, c] = r + c: sum_r = rows (rows - 1) / 2 + rows * c.
  const std::int64_t rows = 3000, cols = 40;
  Tensor m = Tensor::arange(0, rows, 1, DType::Float64).reshape({rows, 1}) + Tensor::arange(0, cols, 1, DType::Float64);
  const auto col = sum(m, {0}).to_vector<double>();
  for (std::int64_t c = 0; c < cols; ++c)
    REQUIRE(col[static_cast<std::size_t>(c)] == static_cast<double>(rows * (rows - 1) / 2 + rows * c));
  const auto row_max = max(m, {1}).to_vector<double>();
  for (std::int64_t r = 0; r < rows; ++r) REQUIRE(row_max[static_cast<std::size_t>(r)] == static_cast<double>(r + cols - 1));
}
