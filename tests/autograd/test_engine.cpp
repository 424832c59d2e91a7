// The tape itself: ordering, accumulation, graph freeing, grad mode, errors.
#include <set>

#include "support/fixtures.h"

using namespace minidl;

TEST_CASE("a tensor used several times accumulates every path's gradient", "[engine]") {
  // y = x*x + 3x, dy/dx = 2x + 3 = 7 at x = 2 (hand calculation)
  Tensor x = Tensor::from_vector(std::vector<double>{2.0}, {1}).set_requires_grad();
  Tensor y = (x * x + x * 3.0).sum();
  y.backward();
  REQUIRE(x.grad().item() == Approx(7.0));
}

TEST_CASE("gradients accumulate across backward calls until zero_grad", "[engine]") {
  Tensor x = Tensor::from_vector(std::vector<double>{1.0, -2.0}, {2}).set_requires_grad();
  (x * 5.0).sum().backward();
  (x * 5.0).sum().backward();
  REQUIRE(x.grad().to_vector<double>() == std::vector<double>{10.0, 10.0});
  x.zero_grad();
  REQUIRE_FALSE(x.grad().defined());
}

TEST_CASE("a gradient taken with grad() is not changed by later backward passes", "[engine]") {
  // The GAN pattern: keep d(loss1)/dx, then run another loss backward through x. As in PyTorch the
  // kept tensor stays d(loss1)/dx = 5 while x.grad() goes on accumulating to 5 + 2 = 7.
  Tensor x = Tensor::from_vector(std::vector<double>{1.0, -2.0}, {2}).set_requires_grad();
  (x * 5.0).sum().backward();
  const Tensor kept = x.grad();
  (x * 2.0).sum().backward();
  CHECK(kept.to_vector<double>() == std::vector<double>{5.0, 5.0});
  CHECK(x.grad().to_vector<double>() == std::vector<double>{7.0, 7.0});
  // A view of the gradient protects it too.
  const Tensor view = x.grad().reshape({2, 1});
  (x * 1.0).sum().backward();
  CHECK(view.to_vector<double>() == std::vector<double>{7.0, 7.0});
  CHECK(x.grad().to_vector<double>() == std::vector<double>{8.0, 8.0});
}

TEST_CASE("a 100,000-op chain runs backward and is freed without recursion", "[engine]") {
  Tensor x = Tensor::scalar(1.0, DType::Float64).set_requires_grad();
  Tensor c = x;
  for (int i = 0; i < 100000; ++i) c = c * 1.00001;
  c.backward();
  // d/dx x * 1.00001^100000 = 1.00001^100000
  REQUIRE(x.grad().item() == Approx(std::pow(1.00001, 100000)).epsilon(1e-9));
  {
    Tensor d = x;
    for (int i = 0; i < 300000; ++i) d = d + 1.0;
  }  // the destructor of a 300,000-node chain must not overflow the stack
  SUCCEED("chain torn down");
}

TEST_CASE("a diamond graph runs every node once, after all its consumers", "[engine]") {
  // a = 2x, b = a*a, c = a*3, y = b + c: dy/dx = (2a + 3) * 2 = 22 at x = 2 (a = 4)
  Tensor x = Tensor::scalar(2.0, DType::Float64).set_requires_grad();
  Tensor a = x * 2.0;
  Tensor y = a * a + a * 3.0;
  y.backward();
  REQUIRE(x.grad().item() == Approx(22.0));
}

TEST_CASE("the graph is freed after backward unless retained", "[engine]") {
  Tensor x = Tensor::from_vector(std::vector<double>{1.0, 2.0}, {2}).set_requires_grad();
  Tensor y = exp(x).sum();
  y.backward();
  REQUIRE_THROWS_WITH_ALL(y.backward(), std::runtime_error, "second time", "retain_graph");

  Tensor z = exp(x).sum();
  x.zero_grad();
  z.backward(/*retain_graph=*/true);
  z.backward();
  REQUIRE(x.grad().value_at({1}) == Approx(2.0 * std::exp(2.0)));
}

TEST_CASE("NoGradGuard records nothing, EnableGradGuard re-enables", "[engine]") {
  Tensor x = Tensor::ones({3}, DType::Float64).set_requires_grad();
  {
    NoGradGuard guard;
    Tensor y = x * 2.0;
    REQUIRE_FALSE(y.requires_grad());
    REQUIRE(y.grad_fn() == nullptr);
    {
      EnableGradGuard enable;
      REQUIRE((x * 2.0).requires_grad());
    }
    REQUIRE_FALSE(grad_enabled());
  }
  REQUIRE(grad_enabled());
}

TEST_CASE("detach shares the buffer but cuts the history", "[engine]") {
  Tensor x = Tensor::ones({2}, DType::Float64).set_requires_grad();
  Tensor y = x * 3.0;
  Tensor d = y.detach();
  REQUIRE(d.shares_storage(y));
  REQUIRE_FALSE(d.requires_grad());
  REQUIRE(d.is_leaf());
}

TEST_CASE("retain_grad keeps the gradient of an intermediate tensor", "[engine]") {
  Tensor x = Tensor::from_vector(std::vector<double>{1.0, 2.0}, {2}).set_requires_grad();
  Tensor h = x * 3.0;
  h.retain_grad();
  (h * h).sum().backward();
  REQUIRE(h.grad().to_vector<double>() == std::vector<double>{6.0, 12.0});  // 2h
}

TEST_CASE("backward on a non-scalar needs a seed of the same shape", "[engine][errors]") {
  Tensor x = Tensor::ones({2, 3}, DType::Float64).set_requires_grad();
  Tensor y = x * 2.0;
  REQUIRE_THROWS_WITH_ALL(y.backward(), std::invalid_argument, "one-element", "(2, 3)");
  REQUIRE_THROWS_WITH_ALL(y.backward(Tensor::ones({3}, DType::Float64)), std::invalid_argument, "seed shape",
                          "(3,)", "(2, 3)");
  y.backward(Tensor::full({2, 3}, 0.5, DType::Float64));
  REQUIRE(x.grad().to_vector<double>() == std::vector<double>(6, 1.0));
}

TEST_CASE("backward on a tensor that does not require grad is an error", "[engine][errors]") {
  Tensor x = Tensor::ones({1});
  REQUIRE_THROWS_WITH_ALL(x.backward(), std::invalid_argument, "does not require grad");
}

TEST_CASE("only leaves can drop requires_grad", "[engine][errors]") {
  Tensor x = Tensor::ones({1}).set_requires_grad();
  Tensor y = x * 2.0;
  REQUIRE_THROWS_WITH_ALL(y.set_requires_grad(false), std::invalid_argument, "leaf", "mul");
}

TEST_CASE("gradcheck reports a wrong backward", "[engine][gradcheck]") {
  // A deliberately wrong op: forward x^2, backward claims 3x. gradcheck must fail and say where.
  auto wrong = [](const std::vector<Tensor>& in) {
    Tensor y = autograd::map_tensors<1>("sq", {in[0]}, [](auto v) { return v * v; });
    return autograd::record("wrong_square", {in[0]}, y,
                            [xs = autograd::saved(in[0])](const Tensor& g, const autograd::GradMask&) {
                              return std::vector<Tensor>{g * xs * 3.0};
                            });
  };
  Tensor x = test::random_leaf({4}, 1, 0.5, 1.0);
  GradcheckResult r = gradcheck(wrong, {x});
  INFO(r.summary());
  REQUIRE_FALSE(r.passed);
  REQUIRE(r.max_rel_error == Approx(1.0 / 3.0).epsilon(1e-4));  // |3x - 2x| / 3x
  REQUIRE(r.worst_element >= 0);
  REQUIRE_THROWS_WITH_ALL(gradcheck(wrong, {Tensor::ones({2}).set_requires_grad()}), std::invalid_argument,
                          "float64");
}

TEST_CASE("a kept gradient never shares memory with another tensor", "[engine]") {
  // add's backward hands one gradient, here the caller's seed, to both inputs: the first gradient
  // a leaf keeps is taken without a copy only when nothing else holds it.
  Tensor a = Tensor::randn({3}).set_requires_grad(), b = Tensor::randn({3}).set_requires_grad();
  Tensor seed = Tensor::ones({3});
  Tensor y = a + b;
  y.retain_grad();
  y.backward(seed);
  const std::set<const void*> buffers{a.grad().raw_data(), b.grad().raw_data(), y.grad().raw_data(), seed.raw_data()};
  REQUIRE(buffers.size() == 4);
  // Unshared: a product's gradient is fresh memory, kept as it is.
  Tensor c = Tensor::randn({1000}).set_requires_grad();
  (c * 2.0).sum().backward();
  REQUIRE(c.grad().to_vector<float>() == std::vector<float>(1000, 2.0f));
}
