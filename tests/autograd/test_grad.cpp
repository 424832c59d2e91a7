// autograd::grad: gradients returned, not accumulated, and only the wanted part of the graph runs.
#include "support/fixtures.h"

#include <minidl/autograd/grad.h>
#include <minidl/autograd/node.h>

using namespace minidl;

namespace {

Tensor vec(std::vector<double> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return Tensor::from_vector(std::move(v), {n}).set_requires_grad();
}

// out = a * b, recording the GradMask its backward receives.
Tensor probed_mul(const Tensor& a, const Tensor& b, autograd::GradMask& seen) {
  Tensor out;
  {
    NoGradGuard no_grad;
    out = a * b;
  }
  return autograd::record("probe", {a, b}, out,
                          [&seen, sa = autograd::saved(a), sb = autograd::saved(b)](
                              const Tensor& g, const autograd::GradMask& needs) {
                            seen = needs;
                            return std::vector<Tensor>{needs[0] ? g * sb : Tensor(), needs[1] ? g * sa : Tensor()};
                          });
}

}  // namespace

TEST_CASE("grad returns d(out)/d(inputs) and leaves every .grad() alone", "[engine][grad]") {
  Tensor x = vec({1.0, -2.0}), w = vec({3.0, 4.0});
  const Tensor y = (x * w + x * x).sum();  // dy/dx = w + 2x = (5, 0), dy/dw = x (hand calculation)
  const auto g = autograd::grad(y, {x, w});
  CHECK(g[0].to_vector<double>() == std::vector<double>{5.0, 0.0});
  CHECK(g[1].to_vector<double>() == std::vector<double>{1.0, -2.0});
  CHECK_FALSE(x.grad().defined());
  CHECK_FALSE(w.grad().defined());
}

TEST_CASE("grad runs backward only for inputs that lead to the wanted tensors", "[engine][grad]") {
  Tensor a = vec({2.0}), b = vec({5.0});
  autograd::GradMask seen;
  const Tensor y = probed_mul(a, b, seen).sum();
  CHECK(autograd::grad(y, {a}, {.retain_graph = true})[0].item() == 5.0);
  CHECK(seen == autograd::GradMask{true, false});
  CHECK(autograd::grad(y, {b}, {.retain_graph = true})[0].item() == 2.0);
  CHECK(seen == autograd::GradMask{false, true});
  y.backward();  // plain backward still asks for both
  CHECK(seen == autograd::GradMask{true, true});
}

TEST_CASE("grad with respect to an intermediate tensor, and a seed for non-scalar outputs", "[engine][grad]") {
  Tensor x = vec({1.0, 3.0});
  const Tensor z = x * 2.0;
  const Tensor y = z * z;  // dy/dz = 2z = (4, 12); seeded with (1, 10): (4, 120)
  const auto g = autograd::grad(y, {z}, {.grad_output = Tensor::from_vector(std::vector<double>{1.0, 10.0}, {2})});
  CHECK(g[0].to_vector<double>() == std::vector<double>{4.0, 120.0});
}

TEST_CASE("grad: the graph is freed unless retained", "[engine][grad]") {
  Tensor x = vec({1.5});
  const Tensor y = (x * x).sum();
  CHECK(autograd::grad(y, {x}, {.retain_graph = true})[0].item() == 3.0);
  CHECK(autograd::grad(y, {x})[0].item() == 3.0);
  REQUIRE_THROWS_WITH_ALL(autograd::grad(y, {x}), std::runtime_error, "second time", "retain_graph");
}

TEST_CASE("grad: unused inputs and inputs without requires_grad are named errors", "[engine][grad][errors]") {
  Tensor x = vec({1.0}), unused = vec({2.0});
  const Tensor y = (x * 3.0).sum();
  REQUIRE_THROWS_WITH_ALL(autograd::grad(y, {x, unused}, {.retain_graph = true}), std::invalid_argument,
                          "inputs[1]", "allow_unused");
  const auto g = autograd::grad(y, {x, unused}, {.retain_graph = true, .allow_unused = true});
  CHECK(g[0].item() == 3.0);
  CHECK_FALSE(g[1].defined());
  const Tensor plain = Tensor::from_vector(std::vector<double>{1.0}, {1});
  REQUIRE_THROWS_WITH_ALL(autograd::grad(y, {plain}), std::invalid_argument, "inputs[0]", "does not require grad");
  Tensor pair = vec({1.0, 2.0});
  REQUIRE_THROWS_WITH_ALL(autograd::grad(pair * 2.0, {pair}), std::invalid_argument, "(2,)", "grad_output");
}
