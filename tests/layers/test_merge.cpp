// Keras's merging layers on real tensors: values worked out by hand, Keras's rank expansion
// (lower-rank inputs get axes after the batch axis), gradients by float64 gradcheck, and the
// errors Keras raises.
#include "support/fixtures.h"

using namespace minidl;
using namespace minidl::layers;
using Inputs = std::vector<Tensor>;

namespace {

Tensor t64(std::vector<double> v, Shape s) { return Tensor::from_vector(std::move(v), std::move(s)); }

std::vector<double> values(const Tensor& t) { return t.to(DType::Float64).to_vector<double>(); }

}  // namespace

TEST_CASE("merge layers compute Keras's elementwise folds", "[layers][merge]") {
  const Tensor a = t64({1, -2, 3, 4}, {2, 2}), b = t64({5, 6, -7, 8}, {2, 2}), c = t64({0, 1, 2, -3}, {2, 2});
  REQUIRE(values(Add({.dtype = "float64"})({a, b, c})) == std::vector<double>{6, 5, -2, 9});
  REQUIRE(values(Subtract({.dtype = "float64"})({a, b})) == std::vector<double>{-4, -8, 10, -4});
  REQUIRE(values(Multiply({.dtype = "float64"})({a, b, c})) == std::vector<double>{0, -12, -42, -96});
  REQUIRE(values(Average({.dtype = "float64"})({a, b, c})) == std::vector<double>{2, 5.0 / 3.0, -2.0 / 3.0, 3});
  REQUIRE(values(Maximum({.dtype = "float64"})({a, b, c})) == std::vector<double>{5, 6, 3, 8});
  REQUIRE(values(Minimum({.dtype = "float64"})({a, b, c})) == std::vector<double>{0, -2, -7, -3});
  // One input is allowed (Keras 3) and passes through.
  REQUIRE(values(Add({.dtype = "float64"})(std::vector<Tensor>{a})) == values(a));
  // float32 layers cast float64 inputs, as Keras autocasts.
  Tensor y32 = Add()({a, b});
  REQUIRE(y32.dtype() == DType::Float32);
  REQUIRE(values(y32) == std::vector<double>{6, 4, -4, 12});
}

TEST_CASE("merge layers insert axes after the batch axis for lower-rank inputs", "[layers][merge]") {
  // (2, 3) with (2, 2, 3): the first becomes (2, 1, 3) and broadcasts over the middle axis.
  const Tensor a = t64({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = t64({10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120}, {2, 2, 3});
  Tensor y = Add({.dtype = "float64"})({a, b});
  REQUIRE(y.shape() == Shape{2, 2, 3});
  REQUIRE(values(y) == std::vector<double>{11, 22, 33, 41, 52, 63, 74, 85, 96, 104, 115, 126});
  // A trailing 1 broadcasts too: (2, 1) * (2, 3).
  Tensor z = Multiply({.dtype = "float64"})({t64({2, -1}, {2, 1}), a});
  REQUIRE(values(z) == std::vector<double>{2, 4, 6, -4, -5, -6});
}

TEST_CASE("Concatenate joins along its axis", "[layers][merge]") {
  const Tensor a = t64({1, 2, 3, 4}, {2, 2}), b = t64({5, 6, 7, 8, 9, 10}, {2, 3});
  Tensor y = Concatenate({.dtype = "float64"})({a, b});
  REQUIRE(y.shape() == Shape{2, 5});
  REQUIRE(values(y) == std::vector<double>{1, 2, 5, 6, 7, 3, 4, 8, 9, 10});
  Tensor z = Concatenate({.axis = 0, .dtype = "float64"})({a, t64({0, 0}, {1, 2})});
  REQUIRE(values(z) == std::vector<double>{1, 2, 3, 4, 0, 0});
  REQUIRE(Concatenate({.axis = 1}).get_config().at("axis") == 1);
}

TEST_CASE("merge layers pass float64 gradcheck", "[layers][merge][gradcheck]") {
  const Tensor a = test::random_leaf({2, 3}, 1), b = test::random_leaf({2, 2, 3}, 2), c = test::random_leaf({2, 2, 3}, 3);
  std::vector<std::pair<std::string, std::shared_ptr<Layer>>> cases = {
      {"Add", std::make_shared<Add>(MergeOptions{.dtype = "float64"})},
      {"Multiply", std::make_shared<Multiply>(MergeOptions{.dtype = "float64"})},
      {"Average", std::make_shared<Average>(MergeOptions{.dtype = "float64"})},
      {"Maximum", std::make_shared<Maximum>(MergeOptions{.dtype = "float64"})},
      {"Minimum", std::make_shared<Minimum>(MergeOptions{.dtype = "float64"})},
  };
  for (auto& [label, layer] : cases)
    REQUIRE_GRADCHECK(label, [&layer](const Inputs& in) { return (*layer)(in); }, Inputs{a, b, c});
  Subtract subtract({.dtype = "float64"});
  REQUIRE_GRADCHECK("Subtract", [&](const Inputs& in) { return subtract(in); }, Inputs{a, b});
  Concatenate concatenate({.axis = 1, .dtype = "float64"});
  REQUIRE_GRADCHECK("Concatenate", [&](const Inputs& in) { return concatenate(in); },
                    Inputs{b, test::random_leaf({2, 1, 3}, 4)});
}

TEST_CASE("merge layers raise Keras's errors", "[layers][merge][errors]") {
  const Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({2, 4}), c = Tensor::zeros({5, 3});
  REQUIRE_THROWS_WITH_ALL(Subtract()({a, a, a}), std::invalid_argument, "exactly 2 inputs", "(2, 3)");
  REQUIRE_THROWS_WITH_ALL(Add()({a, b}), std::invalid_argument, "incompatible shapes", "(3,)", "(4,)");
  REQUIRE_THROWS_WITH_ALL(Maximum()({a, c}), std::invalid_argument, "different batch sizes", "(2, 3)", "(5, 3)");
  REQUIRE_THROWS_WITH_ALL(Add()(std::vector<Tensor>{}), std::invalid_argument, "at least 1 input");
  REQUIRE_THROWS_WITH_ALL(Add()(a), std::invalid_argument, "list of inputs", "(2, 3)");
  REQUIRE_THROWS_WITH_ALL(Concatenate({.axis = 0})({a, b}), std::invalid_argument, "matching shapes", "axis=0", "(2, 3)",
                          "(2, 4)");
  REQUIRE_THROWS_WITH_ALL(Concatenate()({a, Tensor::zeros({2, 3, 1})}), std::invalid_argument, "matching shapes");
  REQUIRE_THROWS_WITH_ALL(Concatenate({.axis = 2})({a, a}), std::invalid_argument, "axis 2", "rank 2");
  REQUIRE_THROWS_WITH_ALL(Concatenate()(a), std::invalid_argument, "list of inputs");
}
