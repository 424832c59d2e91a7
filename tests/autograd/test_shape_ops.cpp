// Shape and layout ops (autograd/ops/shape.cpp): permute/transpose/slice/concat/stack/pad/
// broadcast_to against PyTorch; gradchecks for every op including the views (reshape/squeeze/
// unsqueeze/flatten, whose storage sharing is tested in tests/core/test_tensor.cpp); errors.
#include <limits>

#include "autograd/ops_fixture.h"

using namespace minidl;
using test::OpCase;

namespace {

Tensor run_shape(const OpCase& c, const std::vector<Tensor>& in) {
  const auto& p = c.params;
  if (c.op == "permute") return permute(in[0], p.at("order").get<std::vector<std::int64_t>>());
  if (c.op == "transpose") return transpose(in[0], p.at("axis0").get<std::int64_t>(), p.at("axis1").get<std::int64_t>());
  if (c.op == "slice")
    return slice(in[0], p.at("axis").get<std::int64_t>(), p.at("start").get<std::int64_t>(),
                 p.at("stop").get<std::int64_t>(), p.at("step").get<std::int64_t>());
  if (c.op == "concat") return concat(in, p.at("axis").get<std::int64_t>());
  if (c.op == "stack") return stack(in, p.at("axis").get<std::int64_t>());
  if (c.op == "pad") {
    std::vector<std::pair<std::int64_t, std::int64_t>> pads;
    for (const auto& pair : p.at("paddings")) pads.emplace_back(pair.at(0).get<std::int64_t>(), pair.at(1).get<std::int64_t>());
    return pad(in[0], pads, p.at("value").get<double>());
  }
  if (c.op == "broadcast_to") return broadcast_to(in[0], Shape(p.at("shape").get<std::vector<std::int64_t>>()));
  FAIL("no runner for shape op " << c.op);
  return {};
}

Tensor iota(const Shape& s) { return Tensor::arange(0, static_cast<double>(s.numel()), 1, DType::Float64).reshape(s); }

}  // namespace

TEST_CASE("shape fixture covers every op", "[shape_ops]") {
  test::check_coverage("shape", {"permute", "transpose", "slice", "concat", "stack", "pad", "broadcast_to"});
}

TEST_CASE("shape ops forward matches PyTorch in float64 and float32", "[shape_ops][fixture]") {
  // Pure data movement: exact in float64 (atol is the smallest normal double, so only 0 passes).
  test::check_forward("shape", run_shape, DType::Float64, 0.0, std::numeric_limits<double>::min());
  // float32: only the rounding of the inputs to float32 (half an ulp, 2^-24 relative).
  test::check_forward("shape", run_shape, DType::Float32, 0x1.0p-24, std::numeric_limits<double>::min());
}

TEST_CASE("shape ops backward matches PyTorch's gradients", "[shape_ops][fixture]") {
  test::check_backward("shape", run_shape);
}

TEST_CASE("shape ops gradcheck on every fixture case", "[shape_ops][gradcheck]") {
  test::check_fixture_gradients("shape", run_shape);
}

TEST_CASE("shape ops by hand: permute, slice steps and clamping, concat, stack, pad", "[shape_ops]") {
  Tensor x = iota({2, 3});  // [[0, 1, 2], [3, 4, 5]]
  REQUIRE(x.transpose(0, 1).to_vector<double>() == std::vector<double>{0, 3, 1, 4, 2, 5});
  REQUIRE(x.slice(1, 0, 3, 2).to_vector<double>() == std::vector<double>{0, 2, 3, 5});
  REQUIRE(x.slice(1, -1, 100).to_vector<double>() == std::vector<double>{2, 5});
  REQUIRE(x.slice(1, 2, 1).shape() == Shape{2, 0});  // empty, as x[:, 2:1] in Python
  REQUIRE(concat({x, x.slice(0, 1, 2)}, 0).to_vector<double>() == std::vector<double>{0, 1, 2, 3, 4, 5, 3, 4, 5});
  REQUIRE(stack({x, x}, 2).shape() == Shape{2, 3, 2});
  REQUIRE(pad(Tensor::ones({1}, DType::Float64), {{2, 1}}, 7.0).to_vector<double>() ==
          std::vector<double>{7, 7, 1, 7});
  REQUIRE(broadcast_to(Tensor::scalar(2.0, DType::Float64), {2}).to_vector<double>() == std::vector<double>{2, 2});
}

TEST_CASE("shape ops gradcheck: views, cast round trip, compositions", "[shape_ops][gradcheck]") {
  Tensor x = test::random_leaf({2, 1, 3}, 41);
  REQUIRE_GRADCHECK("reshape with -1", [](const std::vector<Tensor>& in) { return in[0].reshape({3, -1}) * 2.0; },
                    std::vector<Tensor>{x});
  REQUIRE_GRADCHECK("squeeze and unsqueeze", [](const std::vector<Tensor>& in) {
    return in[0].squeeze(1).unsqueeze(0) * in[0].squeeze();
  }, std::vector<Tensor>{x});
  REQUIRE_GRADCHECK("flatten", [](const std::vector<Tensor>& in) { return exp(in[0].flatten()); },
                    std::vector<Tensor>{x});
  REQUIRE_GRADCHECK("concat of a tensor with itself, then slice", [](const std::vector<Tensor>& in) {
    return concat({in[0], in[0] * 3.0}, 2).slice(2, 1, 6, 2);
  }, std::vector<Tensor>{x});
  REQUIRE_GRADCHECK("stack, permute, pad", [](const std::vector<Tensor>& in) {
    return pad(stack({in[0], square(in[0])}, 0).permute({3, 0, 2, 1}), {{1, 0}, {0, 0}, {0, 2}, {1, 1}}, 0.5);
  }, std::vector<Tensor>{x});
  REQUIRE_GRADCHECK("cast float64 -> float64 (a recorded copy)", [](const std::vector<Tensor>& in) {
    return cast(in[0], DType::Float64) * in[0];
  }, std::vector<Tensor>{x});
  // Through float32 a central difference with eps = 1e-6 drowns in float32 rounding, so the
  // cross-dtype backward is checked by hand: the gradient comes back in the input's dtype.
  Tensor y = Tensor::ones({3}, DType::Float64).set_requires_grad();
  Tensor z = y.to(DType::Float32);
  REQUIRE(z.dtype() == DType::Float32);
  (z * 2.0).sum().backward();
  REQUIRE(y.grad().dtype() == DType::Float64);
  REQUIRE(y.grad().to_vector<double>() == std::vector<double>{2, 2, 2});
  // Two paths into one leaf, one of them through float32: both gradients arrive as float64.
  y.zero_grad();
  (y * 2.0 + y.to(DType::Float32).to(DType::Float64)).sum().backward();
  REQUIRE(y.grad().to_vector<double>() == std::vector<double>{3, 3, 3});
}

TEST_CASE("shape op errors name the op, the argument and what is allowed", "[shape_ops][errors]") {
  Tensor x = Tensor::ones({2, 3}, DType::Float64);
  REQUIRE_THROWS_WITH_ALL(x.reshape({4, 2}), std::invalid_argument, "reshape", "(2, 3)", "6 elements", "(4, 2)",
                          "8 elements");
  REQUIRE_THROWS_WITH_ALL(x.reshape({-1, 4}), std::invalid_argument, "reshape", "-1", "(2, 3)");
  REQUIRE_THROWS_WITH_ALL(x.reshape({-1, -1}), std::invalid_argument, "only one extent may be -1");
  REQUIRE_THROWS_WITH_ALL(x.permute({0}), std::invalid_argument, "permute", "[0]", "(2, 3)");
  REQUIRE_THROWS_WITH_ALL(x.permute({1, 1}), std::invalid_argument, "permute", "repeats");
  REQUIRE_THROWS_WITH_ALL(x.permute({0, 2}), std::out_of_range, "permute order=2", "rank 2");
  REQUIRE_THROWS_WITH_ALL(x.transpose(0, 2), std::out_of_range, "axis1=2", "-2 to 1");
  REQUIRE_THROWS_WITH_ALL(x.slice(2, 0, 1), std::out_of_range, "slice axis=2", "rank 2");
  REQUIRE_THROWS_WITH_ALL(x.slice(0, 0, 1, 0), std::invalid_argument, "slice", "step=0");
  REQUIRE_THROWS_WITH_ALL(x.squeeze(0), std::invalid_argument, "squeeze", "extent 2", "(2, 3)");
  REQUIRE_THROWS_WITH_ALL(x.squeeze(-3), std::out_of_range, "squeeze axis=-3");
  REQUIRE_THROWS_WITH_ALL(x.unsqueeze(3), std::out_of_range, "unsqueeze axis=3", "-3 to 2");
  REQUIRE_THROWS_WITH_ALL(concat({x, Tensor::ones({2, 4}, DType::Float64)}, 0), std::invalid_argument, "concat",
                          "tensor 1", "(2, 4)", "(2, 3)");
  REQUIRE_THROWS_WITH_ALL(concat({x, Tensor::ones({2, 3}, DType::Float32)}, 0), std::invalid_argument, "concat",
                          "dtypes differ");
  REQUIRE_THROWS_WITH_ALL(concat({x, x}, 2), std::out_of_range, "concat axis=2");
  REQUIRE_THROWS_WITH_ALL(concat({}, 0), std::invalid_argument, "concat", "at least one");
  REQUIRE_THROWS_WITH_ALL(stack({x, Tensor::ones({3, 2}, DType::Float64)}, 0), std::invalid_argument, "stack",
                          "(3, 2)", "(2, 3)");
  REQUIRE_THROWS_WITH_ALL(stack({x}, 3), std::out_of_range, "stack axis=3", "-3 to 2");
  REQUIRE_THROWS_WITH_ALL(pad(x, {{1, 1}}), std::invalid_argument, "pad", "1 pairs", "(2, 3)");
  REQUIRE_THROWS_WITH_ALL(pad(x, {{0, 0}, {-1, 0}}), std::invalid_argument, "pad", ">= 0", "axis 1");
  REQUIRE_THROWS_WITH_ALL(broadcast_to(x, {3, 3}), std::invalid_argument, "broadcast_to", "(2, 3)", "(3, 3)");
  REQUIRE_THROWS_WITH_ALL(broadcast_to(x, {3}), std::invalid_argument, "broadcast_to", "(2, 3)", "(3,)");
}

TEST_CASE("large permutes and slices take the threaded strided copy", "[shape_ops]") {
  const std::int64_t R = 300, C = 400;
  Tensor x = Tensor::arange(0, static_cast<double>(R * C), 1, DType::Float64).reshape({R, C});
  const auto t = x.transpose(0, 1).to_vector<double>();  // t[c, r] = r * C + c
  std::int64_t wrong = 0;
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t r = 0; r < R; ++r) wrong += t[static_cast<std::size_t>(c * R + r)] != static_cast<double>(r * C + c);
  REQUIRE(wrong == 0);
  const auto s = x.slice(1, 1, C, 3).to_vector<double>();  // s[r, k] = r * C + 1 + 3 k
  const std::int64_t K = (C - 1 + 2) / 3;
  REQUIRE(static_cast<std::int64_t>(s.size()) == R * K);
  for (std::int64_t r = 0; r < R; ++r)
    for (std::int64_t k = 0; k < K; ++k) wrong += s[static_cast<std::size_t>(r * K + k)] != static_cast<double>(r * C + 1 + 3 * k);
  REQUIRE(wrong == 0);
}
