// Matrix products (autograd/ops/matmul.cpp): 2-D, batched, broadcast batch and transposed operands
// against PyTorch; gradchecks for every layout; errors.
#include "autograd/ops_fixture.h"

using namespace minidl;
using test::OpCase;

namespace {

Tensor run_matmul(const OpCase& c, const std::vector<Tensor>& in) {
  if (c.op != "matmul") FAIL("no runner for op " << c.op);
  return matmul(in[0], in[1], c.params.at("transpose_a").get<bool>(), c.params.at("transpose_b").get<bool>());
}

}  // namespace

TEST_CASE("matmul fixture covers the op", "[matmul]") { test::check_coverage("matmul", {"matmul"}); }

TEST_CASE("matmul forward matches PyTorch in float64 and float32", "[matmul][fixture]") {
  test::check_forward("matmul", run_matmul, DType::Float64, 1e-12, 1e-12);
  test::check_forward("matmul", run_matmul, DType::Float32, 1e-5, 1e-6);
}

TEST_CASE("matmul backward matches PyTorch's gradients", "[matmul][fixture]") {
  test::check_backward("matmul", run_matmul);
}

TEST_CASE("matmul gradcheck on every fixture case (transposes, broadcast batch)", "[matmul][gradcheck]") {
  test::check_fixture_gradients("matmul", run_matmul);
}

TEST_CASE("matmul gradcheck with one operand constant and an operand used twice", "[matmul][gradcheck]") {
  Tensor a = test::random_leaf({2, 3, 4}, 31);
  Tensor w = test::random_leaf({4, 4}, 32);
  Generator gen(33);
  Tensor constant = Tensor::rand({4, 5}, gen, DType::Float64);
  REQUIRE_GRADCHECK("a @ constant", [&constant](const std::vector<Tensor>& in) { return matmul(in[0], constant); },
                    std::vector<Tensor>{a});
  REQUIRE_GRADCHECK("w^T w (same tensor twice)", [](const std::vector<Tensor>& in) {
    return matmul(in[0], in[0], true, false);
  }, std::vector<Tensor>{w});
  REQUIRE_GRADCHECK("two layers", [](const std::vector<Tensor>& in) {
    return matmul(matmul(in[0], in[1]), in[1], false, true);
  }, (std::vector<Tensor>{a, w}));
}

TEST_CASE("matmul by hand: a 2x2 product and an empty inner dimension", "[matmul]") {
  // [[1, 2], [3, 4]] @ [[5, 6], [7, 8]] = [[19, 22], [43, 50]]
  Tensor a = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2});
  Tensor b = Tensor::from_vector(std::vector<double>{5, 6, 7, 8}, {2, 2});
  REQUIRE(matmul(a, b).to_vector<double>() == std::vector<double>{19, 22, 43, 50});
  // a^T b = [[1, 3], [2, 4]] @ b = [[26, 30], [38, 44]]
  REQUIRE(matmul(a, b, true).to_vector<double>() == std::vector<double>{26, 30, 38, 44});
  // K = 0: a (2, 0) @ (0, 3) is a (2, 3) block of zeros
  Tensor z = matmul(Tensor::empty({2, 0}, DType::Float64), Tensor::empty({0, 3}, DType::Float64));
  REQUIRE(z.shape() == Shape{2, 3});
  REQUIRE(z.to_vector<double>() == std::vector<double>(6, 0.0));
}

TEST_CASE("matmul errors name both shapes and the rule", "[matmul][errors]") {
  Tensor a = Tensor::ones({3, 4}, DType::Float64);
  REQUIRE_THROWS_WITH_ALL(matmul(a, Tensor::ones({5, 6}, DType::Float64)), std::invalid_argument, "matmul",
                          "inner dimensions", "(3, 4)", "(5, 6)");
  REQUIRE_THROWS_WITH_ALL(matmul(a, Tensor::ones({3, 6}, DType::Float64), false, false), std::invalid_argument,
                          "inner dimensions", "contributes 4", "contributes 3");
  REQUIRE_THROWS_WITH_ALL(matmul(a, Tensor::ones({6, 3}, DType::Float64), false, true), std::invalid_argument,
                          "(transposed)", "(6, 3)");
  REQUIRE_THROWS_WITH_ALL(matmul(Tensor::ones({2, 3, 4}, DType::Float64), Tensor::ones({3, 4, 5}, DType::Float64)),
                          std::invalid_argument, "matmul batch axes", "(2,)", "(3,)");
  REQUIRE_THROWS_WITH_ALL(matmul(Tensor::ones({4}, DType::Float64), a), std::invalid_argument, "rank >= 2", "(4,)");
  REQUIRE_THROWS_WITH_ALL(matmul(a, Tensor::ones({4, 2}, DType::Float32)), std::invalid_argument, "matmul",
                          "dtypes differ", "float64", "float32");
}
