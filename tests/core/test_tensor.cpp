// Tensor basics (core/tensor*.cpp, core/random.cpp): factories, dtype conversion, element access,
// views, the Generator's determinism and distributions, and printing.
#include <cmath>
#include <numbers>

#include "support/fixtures.h"

using namespace minidl;

namespace {

struct Moments {
  double mean = 0.0, var = 0.0, min = INFINITY, max = -INFINITY;
};

Moments moments(const Tensor& t) {
  const auto v = t.to_vector<double>();
  Moments m;
  for (double x : v) {
    m.mean += x;
    m.min = std::min(m.min, x);
    m.max = std::max(m.max, x);
  }
  m.mean /= static_cast<double>(v.size());
  for (double x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= static_cast<double>(v.size());
  return m;
}

// Standard normal density and cdf.
double phi(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi); }
double Phi(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

}  // namespace

TEST_CASE("factories fill shape, dtype and values", "[tensor]") {
  Tensor z = Tensor::zeros({2, 3});
  REQUIRE(z.shape() == Shape{2, 3});
  REQUIRE(z.dtype() == DType::Float32);  // the default, as Keras's floatx
  REQUIRE(z.ndim() == 2);
  REQUIRE(z.numel() == 6);
  REQUIRE(z.size(-1) == 3);
  REQUIRE(z.to_vector<float>() == std::vector<float>(6, 0.0f));
  REQUIRE(Tensor::ones({4}, DType::Float64).to_vector<double>() == std::vector<double>(4, 1.0));
  REQUIRE(Tensor::full({2, 2}, -2.5, DType::Float64).to_vector<double>() == std::vector<double>(4, -2.5));
  Tensor s = Tensor::scalar(3.0, DType::Float64);
  REQUIRE(s.shape() == Shape{});
  REQUIRE(s.ndim() == 0);
  REQUIRE(s.numel() == 1);
  REQUIRE(s.item() == 3.0);
  REQUIRE(Tensor::zeros({0, 3}).numel() == 0);
  Tensor filled = Tensor::zeros({3}, DType::Float64);
  filled.fill_(7.0);
  REQUIRE(filled.to_vector<double>() == std::vector<double>(3, 7.0));
}

TEST_CASE("arange follows NumPy's count ceil((stop - start) / step)", "[tensor]") {
  REQUIRE(Tensor::arange(0, 5, 1, DType::Float64).to_vector<double>() == std::vector<double>{0, 1, 2, 3, 4});
  REQUIRE(Tensor::arange(1, 2, 0.25, DType::Float64).to_vector<double>() == std::vector<double>{1, 1.25, 1.5, 1.75});
  REQUIRE(Tensor::arange(5, 0, -2, DType::Float64).to_vector<double>() == std::vector<double>{5, 3, 1});
  REQUIRE(Tensor::arange(0, 2.5).to_vector<float>() == std::vector<float>{0, 1, 2});
  REQUIRE(Tensor::arange(3, 1).numel() == 0);
  REQUIRE_THROWS_WITH_ALL(Tensor::arange(0, 1, 0), std::invalid_argument, "arange", "step=0");
  REQUIRE_THROWS_WITH_ALL(Tensor::arange(0, INFINITY), std::invalid_argument, "arange", "finite");
}

TEST_CASE("from_vector picks the dtype from the element type and checks the count", "[tensor]") {
  Tensor f = Tensor::from_vector(std::vector<float>{1.5f, 2.5f});
  REQUIRE(f.dtype() == DType::Float32);
  REQUIRE(f.shape() == Shape{2});
  Tensor d = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  REQUIRE(d.dtype() == DType::Float64);
  REQUIRE(d.value_at({1, 0}) == 4.0);  // row-major
  REQUIRE_THROWS_WITH_ALL(Tensor::from_vector(std::vector<double>{1, 2, 3}, {2, 2}), std::invalid_argument,
                          "from_vector", "3 values", "(2, 2)", "4 elements");
}

TEST_CASE("to(dtype) converts values, to_vector converts on read, item reads one element", "[tensor]") {
  Tensor d = Tensor::from_vector(std::vector<double>{0.1, -1e-3, 3.0}, {3});
  Tensor f = d.to(DType::Float32);
  REQUIRE(f.dtype() == DType::Float32);
  REQUIRE(f.to_vector<float>() == std::vector<float>{0.1f, -1e-3f, 3.0f});  // round to nearest float
  REQUIRE(f.to(DType::Float64).value_at({0}) == static_cast<double>(0.1f));
  REQUIRE(d.to(DType::Float64).shares_storage(d));  // same dtype: the tensor itself
  REQUIRE_FALSE(f.shares_storage(d));
  REQUIRE(d.to_vector<float>() == std::vector<float>{0.1f, -1e-3f, 3.0f});
  REQUIRE(Tensor::full({1, 1, 1}, 2.5).item() == 2.5);
  REQUIRE_THROWS_WITH_ALL(d.item(), std::invalid_argument, "item()", "exactly one element", "(3,)");
  REQUIRE_THROWS_WITH_ALL(d.value_at({3}), std::out_of_range, "value_at", "index 3", "(3,)");
  REQUIRE_THROWS_WITH_ALL(d.value_at({0, 0}), std::invalid_argument, "value_at", "2 entries", "rank 1");
  REQUIRE_THROWS_WITH_ALL(d.data<float>(), std::invalid_argument, "float64", "float32");
}

TEST_CASE("views share storage for reshape, squeeze and unsqueeze, copies do not", "[tensor]") {
  Tensor x = Tensor::arange(0, 6, 1, DType::Float64).reshape({2, 1, 3});
  Tensor r = x.reshape({3, 2});
  Tensor s = x.squeeze();
  Tensor s1 = x.squeeze(1);
  Tensor u = x.unsqueeze(-1);
  Tensor f = x.flatten();
  Tensor d = x.detach();
  for (const Tensor* v : {&r, &s, &s1, &u, &f, &d}) REQUIRE(v->shares_storage(x));
  REQUIRE(r.shape() == Shape{3, 2});
  REQUIRE(s.shape() == Shape{2, 3});
  REQUIRE(s1.shape() == Shape{2, 3});
  REQUIRE(u.shape() == Shape{2, 1, 3, 1});
  REQUIRE(f.shape() == Shape{6});
  REQUIRE(x.reshape({-1, 2}).shape() == Shape{3, 2});
  x.data<double>()[4] = 40.0;  // a write through the source is seen by every view
  REQUIRE(r.value_at({2, 0}) == 40.0);
  REQUIRE(u.value_at({1, 0, 1, 0}) == 40.0);
  s.data<double>()[0] = -1.0;  // and a write through a view by the source
  REQUIRE(x.value_at({0, 0, 0}) == -1.0);
  Tensor c = x.deep_copy();
  REQUIRE_FALSE(c.shares_storage(x));
  REQUIRE(c.to_vector<double>() == x.to_vector<double>());
  REQUIRE_FALSE(x.permute({2, 1, 0}).shares_storage(x));
  REQUIRE_FALSE(x.slice(2, 0, 2).shares_storage(x));
  REQUIRE_THROWS_WITH_ALL(c.copy_(Tensor::zeros({6}, DType::Float64)), std::invalid_argument, "copy_", "(6,)",
                          "(2, 1, 3)");
}

TEST_CASE("shapes must be known and non-negative to allocate", "[tensor]") {
  REQUIRE_THROWS_WITH_ALL(Tensor::zeros({2, -1}), std::invalid_argument, "(2, -1)", "every extent must be known");
  REQUIRE_THROWS_WITH_ALL(Shape({3, -2}), std::invalid_argument, "received -2 at axis 1");
  REQUIRE_THROWS_WITH_ALL(Tensor().shape(), std::logic_error, "undefined Tensor");
}

TEST_CASE("Generator: the same seed gives the same numbers, different seeds differ", "[tensor][random]") {
  // mt19937_64 is pinned down by the C++ standard: the 10000th output from the default seed 5489
  // is 9981545732273789042 ([rand.predef]). Our transforms sit on top of it.
  Generator standard(5489);
  for (int i = 0; i < 9999; ++i) standard.next_u64();
  REQUIRE(standard.next_u64() == 9981545732273789042ULL);

  Generator a(42), b(42), c(43);
  const Tensor ta = Tensor::randn({64}, a, DType::Float64);
  const Tensor tb = Tensor::randn({64}, b, DType::Float64);
  const Tensor tc = Tensor::randn({64}, c, DType::Float64);
  REQUIRE(ta.to_vector<double>() == tb.to_vector<double>());
  REQUIRE(ta.to_vector<double>() != tc.to_vector<double>());
  REQUIRE(Tensor::rand({8}, a).to_vector<float>() == Tensor::rand({8}, b).to_vector<float>());

  // manual_seed restarts the stream, including Box-Muller's cached second value.
  Generator g(7);
  const double first = g.normal();
  g.normal();
  g.normal();  // leaves a spare cached
  g.manual_seed(7);
  REQUIRE(g.seed() == 7);
  REQUIRE(g.normal() == first);

  // The process-wide generator behind the factories without a Generator argument.
  manual_seed(123);
  const auto r1 = Tensor::randn({16}, DType::Float64).to_vector<double>();
  const auto u1 = Tensor::rand({16}, DType::Float64).to_vector<double>();
  manual_seed(123);
  REQUIRE(Tensor::randn({16}, DType::Float64).to_vector<double>() == r1);
  REQUIRE(Tensor::rand({16}, DType::Float64).to_vector<double>() == u1);
  REQUIRE(default_generator().seed() == 123);
}

// Moment checks: with n draws, a sample mean lies within 6 standard errors of the true mean (and
// a sample variance within 6 of its own standard error, sqrt((mu4 - sigma^4) / n)) except with
// probability ~1e-9, so these bounds are closed-form and essentially never flake; a wrong
// transform (a missing sqrt, a wrong scale, a shifted range) misses them by far.
TEST_CASE("rand is uniform from low up to high", "[tensor][random]") {
  const double n = 200000, low = -2.0, high = 3.0, w = high - low;
  Generator gen(1);
  const Moments m = moments(Tensor::rand({200000}, gen, DType::Float64, low, high));
  REQUIRE(m.min >= low);
  REQUIRE(m.max < high);
  const double var = w * w / 12.0, mu4_minus_var2 = w * w * w * w / 180.0;
  REQUIRE(std::abs(m.mean - (low + high) / 2) < 6 * std::sqrt(var / n));
  REQUIRE(std::abs(m.var - var) < 6 * std::sqrt(mu4_minus_var2 / n));
  // float32 draws stay in range too (rounding must not reach `high` for this range).
  const Moments f = moments(Tensor::rand({10000}, gen, DType::Float32, 0.0, 1.0));
  REQUIRE(f.min >= 0.0);
  REQUIRE(f.max <= 1.0);
  REQUIRE_THROWS_WITH_ALL(Tensor::rand({2}, gen, DType::Float32, 1.0, 1.0), std::invalid_argument, "rand",
                          "low=1", "high=1");
}

TEST_CASE("randn is normal(mean, stddev)", "[tensor][random]") {
  const double n = 200000, mean = 1.5, sd = 2.0;
  Generator gen(2);
  const Tensor t = Tensor::randn({200000}, gen, DType::Float64, mean, sd);
  const Moments m = moments(t);
  REQUIRE(std::abs(m.mean - mean) < 6 * sd / std::sqrt(n));
  REQUIRE(std::abs(m.var - sd * sd) < 6 * std::sqrt(2.0 * sd * sd * sd * sd / n));
  // P(|z| <= 1) = erf(1 / sqrt 2): checks the shape of the distribution, not only two moments.
  const auto v = t.to_vector<double>();
  const double within = static_cast<double>(std::count_if(v.begin(), v.end(), [&](double x) {
                          return std::abs(x - mean) <= sd;
                        })) / n;
  const double p = std::erf(1.0 / std::numbers::sqrt2);
  REQUIRE(std::abs(within - p) < 6 * std::sqrt(p * (1 - p) / n));
  REQUIRE_THROWS_WITH_ALL(Tensor::randn({2}, gen, DType::Float32, 0.0, -1.0), std::invalid_argument, "randn",
                          "stddev=-1");
}

TEST_CASE("truncated_normal stays within 2 stddev with the truncated normal's moments", "[tensor][random]") {
  const double n = 200000, mean = -1.0, sd = 0.5, a = 2.0;
  Generator gen(3);
  const Moments m = moments(Tensor::truncated_normal({200000}, gen, DType::Float64, mean, sd));
  REQUIRE(m.min >= mean - a * sd);
  REQUIRE(m.max <= mean + a * sd);
  // Standard normal truncated to [-a, a]: Z = 2 Phi(a) - 1, E z^2 = 1 - 2 a phi(a) / Z,
  // E z^4 = 3 - 2 a (a^2 + 3) phi(a) / Z (integration by parts).
  const double Z = 2 * Phi(a) - 1;
  const double ez2 = 1 - 2 * a * phi(a) / Z;
  const double ez4 = 3 - 2 * a * (a * a + 3) * phi(a) / Z;
  const double var = sd * sd * ez2;
  REQUIRE(std::abs(m.mean - mean) < 6 * std::sqrt(var / n));
  REQUIRE(std::abs(m.var - var) < 6 * sd * sd * std::sqrt((ez4 - ez2 * ez2) / n));
}

TEST_CASE("Generator: uniform below 1 and randint below n without bias", "[tensor][random]") {
  Generator gen(4);
  const int n = 60000, k = 6;
  std::vector<int> counts(k, 0);
  for (int i = 0; i < n; ++i) {
    const double u = gen.uniform();
    REQUIRE((u >= 0.0 && u < 1.0));
    const auto r = gen.randint(k);
    REQUIRE(r < static_cast<std::uint64_t>(k));
    ++counts[r];
  }
  const double p = 1.0 / k;
  for (int c : counts) REQUIRE(std::abs(c / static_cast<double>(n) - p) < 6 * std::sqrt(p * (1 - p) / n));
}

TEST_CASE("fmt prints shapes and tensors with their values", "[tensor][format]") {
  REQUIRE(fmt::format("{}", Shape{2, 3}) == "(2, 3)");
  REQUIRE(fmt::format("{}", Shape{4}) == "(4,)");  // Python's one-tuple
  REQUIRE(fmt::format("{}", Shape{}) == "()");
  REQUIRE(fmt::format("{}", DType::Float64) == "float64");

  Tensor t = Tensor::from_vector(std::vector<double>{1, 2.5, -3, 4}, {2, 2});
  REQUIRE(fmt::format("{}", t) == "tensor([[1, 2.5],\n        [-3, 4]], shape=(2, 2), dtype=float64)");
  REQUIRE(fmt::format("{}", Tensor::scalar(0.125)) == "tensor(0.125, shape=(), dtype=float32)");
  REQUIRE(Tensor::zeros({0}).str() == "tensor([], shape=(0,), dtype=float32)");
  REQUIRE(Tensor().str() == "tensor(undefined)");
  const std::string g = fmt::format("{}", Tensor::ones({2}).set_requires_grad());
  REQUIRE(g.find("requires_grad=true") != std::string::npos);

  // Long tensors are summarised with their first and last three entries, as PyTorch does.
  const std::string big = Tensor::arange(0, 2000).str();
  REQUIRE(big.find("[0, 1, 2, ..., 1997, 1998, 1999]") != std::string::npos);
  REQUIRE(big.find("1000") == std::string::npos);
  // 3-D: blank lines between the matrices, brackets aligned under the first one.
  const std::string cube = Tensor::arange(0, 8).reshape({2, 2, 2}).str();
  REQUIRE(cube == "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]], shape=(2, 2, 2), "
                  "dtype=float32)");
}
