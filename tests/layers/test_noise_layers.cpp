// SpatialDropout1D / 2D, GaussianNoise and GaussianDropout: identity at inference, the training
// noise's statistics (closed forms, many draws, tolerances of about five standard errors), the seed,
// gradients and errors. (Their configs against Keras's: test_layers_more.cpp.)
#include <cmath>

#include "minidl/autograd/ops/reduce.h"
#include "minidl/layers/noise_layers.h"
#include "support/fixtures.h"

using namespace minidl;
using namespace minidl::layers;
using Inputs = std::vector<Tensor>;

namespace {

struct Moments {
  double mean = 0, var = 0;
};

Moments moments(const Tensor& t) {
  const auto v = t.to_vector<double>();
  Moments m;
  for (double e : v) m.mean += e;
  m.mean /= static_cast<double>(v.size());
  for (double e : v) m.var += (e - m.mean) * (e - m.mean);
  m.var /= static_cast<double>(v.size());
  return m;
}

}  // namespace

TEST_CASE("The regularisation layers are the identity at inference", "[layers][noise]") {
  const Tensor x3 = test::pattern({2, 5, 3}, 1), x4 = test::pattern({2, 3, 4, 3}, 2);
  CHECK(SpatialDropout1D({.rate = 0.5})(x3).to_vector<float>() == x3.to_vector<float>());
  CHECK(SpatialDropout2D({.rate = 0.5})(x4).to_vector<float>() == x4.to_vector<float>());
  CHECK(GaussianNoise({.stddev = 0.5})(x3).to_vector<float>() == x3.to_vector<float>());
  CHECK(GaussianDropout({.rate = 0.5})(x3).to_vector<float>() == x3.to_vector<float>());
  // Rate or stddev 0 adds nothing in training either.
  CHECK(GaussianNoise({.stddev = 0.0})(x3, true).to_vector<float>() == x3.to_vector<float>());
  CHECK(GaussianDropout({.rate = 0.0})(x3, true).to_vector<float>() == x3.to_vector<float>());
}

TEST_CASE("GaussianNoise and GaussianDropout draw noise with Keras's mean and variance", "[layers][noise]") {
  // 100000 draws: the standard error of the mean is sd / 316, of the variance about var * 0.0045.
  const Shape s{200, 500};
  GaussianNoise noise({.stddev = 0.5, .seed = 3});
  const Moments n = moments(noise(Tensor::full(s, 2.0), true));
  CHECK(std::abs(n.mean - 2.0) < 0.01);    // x + N(0, 0.25)
  CHECK(std::abs(n.var - 0.25) < 0.006);
  GaussianDropout drop({.rate = 0.3, .seed = 4});
  const Moments d = moments(drop(Tensor::ones(s), true));
  CHECK(std::abs(d.mean - 1.0) < 0.01);    // x * N(1, rate / (1 - rate))
  CHECK(std::abs(d.var - 0.3 / 0.7) < 0.01);
}

TEST_CASE("SpatialDropout drops whole channels at Keras's rate", "[layers][noise]") {
  const double rate = 0.4, kept = 1.0 / (1.0 - rate);
  // 1D: (batch, steps, channels); one draw per (sample, channel), shared by every step.
  SpatialDropout1D d1({.rate = rate, .seed = 9});
  const Tensor y1 = d1(Tensor::ones({1000, 5, 10}), true);
  // 2D channels_first: one draw per (sample, channel) shared over H and W.
  SpatialDropout2D d2({.rate = rate, .seed = 10, .data_format = "channels_first"});
  const Tensor y2 = d2(Tensor::ones({1000, 10, 3, 2}), true);
  SpatialDropout2D d2l({.rate = rate, .seed = 11});
  const Tensor y2l = d2l(Tensor::ones({1000, 3, 2, 10}), true);
  // Each tensor seen as (sample, spatial positions, channel) via its strides.
  struct View {
    const Tensor& y;
    std::int64_t positions, channel_stride, position_stride;
  };
  for (const View& v : {View{y1, 5, 1, 10}, View{y2, 6, 6, 1}, View{y2l, 6, 1, 10}}) {
    const auto a = v.y.to_vector<float>();
    std::int64_t dropped = 0;
    for (std::int64_t n = 0; n < 1000; ++n)
      for (std::int64_t c = 0; c < 10; ++c) {
        const std::int64_t base = n * 10 * v.positions + c * v.channel_stride;
        const float first = a[static_cast<std::size_t>(base)];
        REQUIRE((first == 0.0f || std::abs(first - kept) < 1e-6));
        for (std::int64_t p = 1; p < v.positions; ++p) REQUIRE(a[static_cast<std::size_t>(base + p * v.position_stride)] == first);
        dropped += first == 0.0f;
      }
    // 10000 channel draws: the standard error of the dropped fraction is 0.0049.
    CHECK(std::abs(static_cast<double>(dropped) / 10000.0 - rate) < 0.025);
  }
}

TEST_CASE("A seed reproduces the regularisation layers' noise", "[layers][noise]") {
  const Tensor x = test::pattern({4, 6, 5}, 3);
  auto twice = [&](auto make) {
    auto a = make(std::optional<std::uint64_t>(7)), b = make(std::optional<std::uint64_t>(7)),
         c = make(std::optional<std::uint64_t>(8));
    const auto ya = a(x, true).template to_vector<float>();
    CHECK(ya == b(x, true).template to_vector<float>());
    CHECK(ya != c(x, true).template to_vector<float>());
    CHECK(ya != a(x, true).template to_vector<float>());  // the next call draws afresh
  };
  twice([](std::optional<std::uint64_t> s) { return SpatialDropout1D({.rate = 0.5, .seed = s}); });
  twice([](std::optional<std::uint64_t> s) { return GaussianNoise({.stddev = 0.3, .seed = s}); });
  twice([](std::optional<std::uint64_t> s) { return GaussianDropout({.rate = 0.3, .seed = s}); });
  // The generator's state is saved with the layer's path, so a checkpoint resumes the same noise.
  GaussianNoise a({.stddev = 0.3, .seed = 1}), b({.stddev = 0.3, .seed = 2});
  a(x, true);
  b.set_rng_states({{b.path(), a.rng_states().begin()->second}});
  CHECK(a(x, true).to_vector<float>() == b(x, true).to_vector<float>());
}

TEST_CASE("The regularisation layers pass float64 gradient checks in training", "[layers][noise][gradcheck]") {
  // A fresh layer per evaluation with the same seed: the same noise for every perturbed input.
  REQUIRE_GRADCHECK("SpatialDropout1D", [](const Inputs& v) {
    return SpatialDropout1D({.rate = 0.5, .seed = 5, .dtype = "float64"})(v[0], true);
  }, Inputs{test::random_leaf({3, 4, 5}, 1)});
  REQUIRE_GRADCHECK("SpatialDropout2D", [](const Inputs& v) {
    return SpatialDropout2D({.rate = 0.5, .seed = 6, .data_format = "channels_first", .dtype = "float64"})(v[0], true);
  }, Inputs{test::random_leaf({2, 3, 2, 2}, 2)});
  REQUIRE_GRADCHECK("GaussianNoise", [](const Inputs& v) {
    return GaussianNoise({.stddev = 0.4, .seed = 7, .dtype = "float64"})(v[0], true);
  }, Inputs{test::random_leaf({3, 5}, 3)});
  REQUIRE_GRADCHECK("GaussianDropout", [](const Inputs& v) {
    return GaussianDropout({.rate = 0.4, .seed = 8, .dtype = "float64"})(v[0], true);
  }, Inputs{test::random_leaf({3, 5}, 4)});
}

TEST_CASE("The regularisation layers refuse bad rates, stddevs, formats and ranks", "[layers][noise][errors]") {
  REQUIRE_THROWS_WITH_ALL(SpatialDropout1D({.rate = -0.1}), std::invalid_argument, "SpatialDropout1D", "`rate`",
                          "rate=-0.1");
  REQUIRE_THROWS_WITH_ALL(SpatialDropout2D({.rate = 1.0}), std::invalid_argument, "SpatialDropout2D", "rate=1");
  REQUIRE_THROWS_WITH_ALL(SpatialDropout2D({.rate = 0.5, .data_format = "NCHW"}), std::invalid_argument,
                          "SpatialDropout2D", "NCHW");
  REQUIRE_THROWS_WITH_ALL(SpatialDropout1D({.rate = 0.5})(Tensor::zeros({2, 3, 4, 5}), true), std::invalid_argument,
                          "expected ndim=3");
  REQUIRE_THROWS_WITH_ALL(SpatialDropout2D({.rate = 0.5})(Tensor::zeros({2, 3, 4}), true), std::invalid_argument,
                          "expected ndim=4");
  REQUIRE_THROWS_WITH_ALL(GaussianNoise({.stddev = -0.5}), std::invalid_argument, "GaussianNoise",
                          "Expected a float value between 0 and 1", "stddev=-0.5");
  REQUIRE_THROWS_WITH_ALL(GaussianNoise({.stddev = 1.5}), std::invalid_argument, "stddev=1.5");
  REQUIRE_THROWS_WITH_ALL(GaussianDropout({.rate = -0.2}), std::invalid_argument, "GaussianDropout", "rate=-0.2");
  REQUIRE_THROWS_WITH_ALL(GaussianDropout({.rate = 1.0}), std::invalid_argument, "GaussianDropout", "rate=1",
                          "1 excluded");
}
