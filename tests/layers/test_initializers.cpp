// Keras's initializers by their statistics: every draw is checked for its mean, variance and
// bounds against the closed-form values of Keras's formulas (spec section 4), with tolerances of
// five standard errors for the sample size; the fans come from Keras's rule, through real Dense,
// Conv2D and Conv2DTranspose kernels. Plus Orthogonal, Identity, seeding, identifiers and errors.
#include <cmath>

#include "support/fixtures.h"

using namespace minidl;
using namespace minidl::layers;
namespace I = minidl::initializers;
using nlohmann::json;

namespace {

// The standard deviation of a standard normal truncated to [-2, 2] (Keras's correction factor).
constexpr double kTruncatedStd = 0.87962566103423978;

struct Stats {
  double mean = 0, var = 0, min = INFINITY, max = -INFINITY;
  double n = 0;
};

Stats stats_of(const Tensor& t) {
  Stats s;
  const auto v = t.to_vector<double>();
  s.n = static_cast<double>(v.size());
  for (double x : v) {
    s.mean += x;
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
  }
  s.mean /= s.n;
  for (double x : v) s.var += (x - s.mean) * (x - s.mean);
  s.var /= s.n;
  return s;
}

enum class Dist { Uniform, TruncatedNormal, Normal };

// Checks draws of a distribution with mean `mu` and variance `var`: the sample mean within five
// standard errors, the sample variance within five standard errors of a variance estimate
// (sqrt(2/n) relative, which bounds the uniform and truncated cases too), and the support.
void require_distribution(const Tensor& t, Dist dist, double mu, double var) {
  const Stats s = stats_of(t);
  INFO("n " << s.n << " mean " << s.mean << " (want " << mu << ") var " << s.var << " (want " << var << ") range ["
            << s.min << ", " << s.max << "]");
  REQUIRE(s.n >= 100000);
  CHECK(std::abs(s.mean - mu) <= 5.0 * std::sqrt(var / s.n));
  CHECK(std::abs(s.var - var) <= 5.0 * var * std::sqrt(2.0 / s.n));
  if (dist == Dist::Uniform) {
    const double limit = std::sqrt(3.0 * var);
    CHECK(s.min >= mu - limit);
    CHECK(s.max <= mu + limit);
    CHECK(s.max - s.min >= 1.99 * limit);  // the whole support is used
  } else if (dist == Dist::TruncatedNormal) {
    // Cut at two standard deviations of the underlying normal, whose stddev is sqrt(var) / 0.8796.
    const double cut = 2.0 * std::sqrt(var) / kTruncatedStd;
    CHECK(s.min >= mu - cut * (1 + 1e-6));
    CHECK(s.max <= mu + cut * (1 + 1e-6));
    CHECK(s.max - s.min >= 1.98 * cut);
  } else {
    // Untruncated: with 10^5 draws some land beyond the truncated cut of 2 / 0.8796 = 2.27 stddev.
    CHECK(std::max(s.max - mu, mu - s.min) > 3.0 * std::sqrt(var));
  }
}

struct Kind {
  const char* name;
  double scale;
  const char* mode;
  Dist dist;
};
// Keras's table (spec section 4).
const std::vector<Kind> kKinds = {
    {"glorot_uniform", 1.0, "fan_avg", Dist::Uniform}, {"glorot_normal", 1.0, "fan_avg", Dist::TruncatedNormal},
    {"he_uniform", 2.0, "fan_in", Dist::Uniform},      {"he_normal", 2.0, "fan_in", Dist::TruncatedNormal},
    {"lecun_uniform", 1.0, "fan_in", Dist::Uniform},   {"lecun_normal", 1.0, "fan_in", Dist::TruncatedNormal},
};

double fan_for(const std::string& mode, double fan_in, double fan_out) {
  if (mode == "fan_in") return fan_in;
  if (mode == "fan_out") return fan_out;
  return (fan_in + fan_out) / 2.0;
}

}  // namespace

TEST_CASE("compute_fans follows Keras's rule", "[layers][initializers]") {
  REQUIRE(I::compute_fans(Shape{}) == std::pair<double, double>{1, 1});
  REQUIRE(I::compute_fans(Shape{5}) == std::pair<double, double>{5, 5});
  REQUIRE(I::compute_fans(Shape{3, 7}) == std::pair<double, double>{3, 7});
  // Conv2D kernel (kh, kw, in, out): receptive field 3*5.
  REQUIRE(I::compute_fans(Shape{3, 5, 4, 6}) == std::pair<double, double>{60, 90});
  // Conv2DTranspose kernel (kh, kw, filters, in): fan_in counts the filters (spec section 4).
  REQUIRE(I::compute_fans(Shape{3, 5, 6, 4}) == std::pair<double, double>{90, 60});
}

TEST_CASE("Variance-scaling initializers use Keras's fans in Dense, Conv2D and Conv2DTranspose kernels",
          "[layers][initializers]") {
  manual_seed(1234);
  for (const auto& k : kKinds) {
    INFO("initializer " << k.name);
    {
      Dense dense({.units = 700, .kernel_initializer = k.name});
      dense.build({-1, 300});
      REQUIRE(dense.kernel()->value.shape() == Shape{300, 700});
      INFO("Dense (300, 700)");
      require_distribution(dense.kernel()->value, k.dist, 0.0, k.scale / fan_for(k.mode, 300, 700));
    }
    {
      Conv2D conv({.filters = 300, .kernel_size = 3, .kernel_initializer = k.name});
      conv.build({-1, 8, 8, 64});
      REQUIRE(conv.kernel()->value.shape() == Shape{3, 3, 64, 300});
      INFO("Conv2D (3, 3, 64, 300): fan_in 576, fan_out 2700");
      require_distribution(conv.kernel()->value, k.dist, 0.0, k.scale / fan_for(k.mode, 576, 2700));
    }
    {
      Conv2DTranspose convt({.filters = 200, .kernel_size = {3, 5}, .kernel_initializer = k.name});
      convt.build({-1, 4, 4, 60});
      REQUIRE(convt.kernel()->value.shape() == Shape{3, 5, 200, 60});
      INFO("Conv2DTranspose (3, 5, 200, 60): fan_in 3000, fan_out 900");
      require_distribution(convt.kernel()->value, k.dist, 0.0, k.scale / fan_for(k.mode, 3000, 900));
    }
  }
}

TEST_CASE("VarianceScaling: every mode with every distribution", "[layers][initializers]") {
  const Shape shape{3, 3, 64, 300};  // fan_in 576, fan_out 2700
  for (const char* mode : {"fan_in", "fan_out", "fan_avg"})
    for (const auto& [distribution, dist] : std::vector<std::pair<const char*, Dist>>{
             {"truncated_normal", Dist::TruncatedNormal},
             {"normal", Dist::TruncatedNormal},  // Keras's alias
             {"untruncated_normal", Dist::Normal},
             {"uniform", Dist::Uniform}}) {
      INFO("mode " << mode << " distribution " << distribution);
      const I::Initializer init = I::VarianceScaling{.scale = 2.5, .mode = mode, .distribution = distribution, .seed = 5};
      require_distribution(init(shape, DType::Float32), dist, 0.0, 2.5 / fan_for(mode, 576, 2700));
      REQUIRE(init.config()["distribution"] == (std::string(distribution) == "normal" ? "truncated_normal" : distribution));
    }
  // n = max(1, fan): a scalar has fans (1, 1), so a scale-4 uniform draws from [-sqrt(12), sqrt(12)].
  const I::Initializer tiny = I::VarianceScaling{.scale = 4.0, .distribution = "uniform", .seed = 1};
  for (int i = 0; i < 50; ++i) REQUIRE(std::abs(tiny(Shape{}, DType::Float64).item()) <= std::sqrt(12.0));
}

TEST_CASE("Plain random and constant initializers", "[layers][initializers]") {
  const Shape shape{400, 500};
  require_distribution(I::Initializer(I::RandomNormal{.mean = 0.3, .stddev = 0.2, .seed = 1})(shape, DType::Float32),
                       Dist::Normal, 0.3, 0.04);
  require_distribution(I::Initializer(I::RandomUniform{.minval = -0.2, .maxval = 0.5, .seed = 2})(shape, DType::Float32),
                       Dist::Uniform, 0.15, 0.49 / 12.0);
  // TruncatedNormal has no variance correction: cut at mean +- 2 stddev, variance stddev^2 * 0.8796^2.
  const double sd = 0.05;
  require_distribution(I::Initializer(I::TruncatedNormal{.mean = 0.1, .stddev = sd, .seed = 3})(shape, DType::Float64),
                       Dist::TruncatedNormal, 0.1, sd * sd * kTruncatedStd * kTruncatedStd);
  // Keras's defaults: RandomNormal(0, 0.05), RandomUniform(-0.05, 0.05).
  require_distribution(I::Initializer("random_normal")(shape, DType::Float32), Dist::Normal, 0.0, 0.0025);
  require_distribution(I::Initializer("uniform")(shape, DType::Float32), Dist::Uniform, 0.0, 0.0025 / 3.0);  // limit 0.05: var = limit^2 / 3

  REQUIRE_CLOSE(I::Initializer("zeros")(Shape{2, 3}, DType::Float32), Tensor::zeros({2, 3}), 0.0, 1e-30);
  REQUIRE_CLOSE(I::Initializer("one")(Shape{2, 3}, DType::Float64), Tensor::ones({2, 3}, DType::Float64), 0.0, 1e-30);
  REQUIRE_CLOSE(I::Initializer(I::Constant{.value = -2.5})(Shape{4}, DType::Float32), Tensor::full({4}, -2.5), 0.0, 1e-30);
  REQUIRE(I::Initializer("zeros")(Shape{2, 3}, DType::Float64).dtype() == DType::Float64);
}

TEST_CASE("Orthogonal gives W^T W = gain^2 I, Identity gives gain * I", "[layers][initializers]") {
  // rows = prod(shape[:-1]), cols = shape[-1]; the smaller side is orthonormal (times gain).
  for (const auto& [shape, gain] : std::vector<std::pair<Shape, double>>{
           {{3, 3, 4, 5}, 1.0}, {{3, 10}, 1.0}, {{7, 7}, 2.0}, {{2, 2, 3, 40}, 0.5}}) {
    INFO(fmt::format("shape {} gain {}", shape, gain));
    const Tensor w = I::Initializer(I::Orthogonal{.gain = gain, .seed = 9})(shape, DType::Float64);
    REQUIRE(w.shape() == shape);
    const std::int64_t cols = shape[-1], rows = shape.numel() / cols;
    const auto v = w.to_vector<double>();
    const bool tall = rows >= cols;
    const std::int64_t m = tall ? cols : rows, len = tall ? rows : cols;
    double worst = 0;
    for (std::int64_t a = 0; a < m; ++a)
      for (std::int64_t b = 0; b < m; ++b) {
        double dot = 0;
        for (std::int64_t k = 0; k < len; ++k)
          dot += tall ? v[k * cols + a] * v[k * cols + b] : v[a * cols + k] * v[b * cols + k];
        worst = std::max(worst, std::abs(dot - (a == b ? gain * gain : 0.0)));
      }
    CHECK(worst < 1e-12);
  }
  REQUIRE_CLOSE(I::Initializer(I::Identity{.gain = 2.0})(Shape{3, 5}, DType::Float32),
                Tensor::from_vector(std::vector<float>{2, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 2, 0, 0}, {3, 5}), 0.0, 1e-30);
  REQUIRE_CLOSE(I::Initializer("identity")(Shape{3, 2}, DType::Float64),
                Tensor::from_vector(std::vector<double>{1, 0, 0, 1, 0, 0}, {3, 2}), 0.0, 1e-30);
  REQUIRE_THROWS_WITH_ALL(I::Initializer("identity")(Shape{3, 3, 2, 2}, DType::Float32), std::invalid_argument, "2D",
                          "(3, 3, 2, 2)");
  REQUIRE_THROWS_WITH_ALL(I::Initializer("orthogonal")(Shape{5}, DType::Float32), std::invalid_argument, "Orthogonal",
                          "rank >= 2");
  // An Identity kernel makes a Dense layer copy its input.
  Dense dense({.units = 3, .kernel_initializer = "identity"});
  const Tensor x = test::pattern({2, 3}, 4);
  REQUIRE_CLOSE(dense(x), x, 0.0, 1e-30);
}

TEST_CASE("Seeded initializers repeat, unseeded ones follow the global generator", "[layers][initializers]") {
  const Shape shape{20, 30};
  for (const I::Initializer& seeded :
       {I::Initializer(I::HeNormal{.seed = 7}), I::Initializer(I::GlorotUniform{.seed = 7}),
        I::Initializer(I::RandomNormal{.seed = 7}), I::Initializer(I::TruncatedNormal{.seed = 7}),
        I::Initializer(I::Orthogonal{.seed = 7}), I::Initializer(I::VarianceScaling{.distribution = "uniform", .seed = 7})}) {
    INFO(seeded.class_name());
    const Tensor a = seeded(shape, DType::Float32), b = seeded(shape, DType::Float32);
    REQUIRE_CLOSE(a, b, 0.0, 1e-30);  // same seed, same values, call after call
    REQUIRE(seeded.config()["seed"] == 7);
    // A different seed gives different values.
    const I::Initializer other = I::Initializer::from_config(
        {{"class_name", seeded.class_name()}, {"config", [&] {
                                                 auto c = seeded.config();
                                                 c["seed"] = 8;
                                                 return c;
                                               }()}});
    REQUIRE_FALSE(test::compare(other(shape, DType::Float32), a, 0.0, 1e-3).ok);
  }
  const I::Initializer unseeded = "he_normal";
  REQUIRE(unseeded.config()["seed"].is_null());
  manual_seed(11);
  const Tensor a = unseeded(shape, DType::Float32), b = unseeded(shape, DType::Float32);
  REQUIRE_FALSE(test::compare(a, b, 0.0, 1e-3).ok);  // the generator moves on
  manual_seed(11);
  REQUIRE_CLOSE(unseeded(shape, DType::Float32), a, 0.0, 1e-30);  // and replays after manual_seed
  // Two layers built with a seeded initializer get the same kernel.
  Dense d1({.units = 4, .kernel_initializer = I::GlorotNormal{.seed = 3}}), d2({.units = 4, .kernel_initializer = I::GlorotNormal{.seed = 3}});
  d1.build({-1, 5});
  d2.build({-1, 5});
  REQUIRE_CLOSE(d1.kernel()->value, d2.kernel()->value, 0.0, 1e-30);
}

TEST_CASE("Initializer identifiers, configs and errors", "[layers][initializers][errors]") {
  const std::vector<std::pair<const char*, const char*>> names = {
      {"zeros", "Zeros"}, {"zero", "Zeros"}, {"Zeros", "Zeros"}, {"ones", "Ones"}, {"one", "Ones"},
      {"constant", "Constant"}, {"random_normal", "RandomNormal"}, {"normal", "RandomNormal"},
      {"random_uniform", "RandomUniform"}, {"uniform", "RandomUniform"}, {"truncated_normal", "TruncatedNormal"},
      {"variance_scaling", "VarianceScaling"}, {"glorot_normal", "GlorotNormal"}, {"GlorotUniform", "GlorotUniform"},
      {"glorot_uniform", "GlorotUniform"}, {"he_normal", "HeNormal"}, {"he_uniform", "HeUniform"},
      {"lecun_normal", "LecunNormal"}, {"lecun_uniform", "LecunUniform"}, {"orthogonal", "Orthogonal"},
      {"identity", "Identity"}};
  for (const auto& [id, cls] : names) {
    INFO(id);
    const I::Initializer init = id;
    REQUIRE(init.class_name() == cls);
    // serialize() -> from_config() gives the same initializer back.
    const auto j = init.serialize();
    REQUIRE(j["module"] == "keras.initializers");
    const I::Initializer again = I::Initializer::from_config(j);
    REQUIRE(again.class_name() == cls);
    REQUIRE(again.config() == init.config());
  }
  REQUIRE(I::Initializer::from_config("he_uniform").class_name() == "HeUniform");
  REQUIRE(I::Initializer::from_config(nullptr).empty());
  REQUIRE(I::Initializer(I::VarianceScaling{.scale = 3, .mode = "fan_out", .distribution = "Uniform", .seed = std::nullopt}).config() ==
          nlohmann::json{{"scale", 3.0}, {"mode", "fan_out"}, {"distribution", "uniform"}, {"seed", nullptr}});

  REQUIRE_THROWS_WITH_ALL(I::Initializer("glorot"), std::invalid_argument, "Could not interpret initializer identifier",
                          "'glorot'", "Known initializers", "glorot_uniform", "he_normal", "Orthogonal");
  REQUIRE_THROWS_WITH_ALL(Dense({.units = 2, .kernel_initializer = "HeNormall"}), std::invalid_argument, "'HeNormall'");
  REQUIRE_THROWS_WITH_ALL(I::Initializer(I::VarianceScaling{.scale = 0, .seed = std::nullopt}), std::invalid_argument, "scale", "scale=0");
  REQUIRE_THROWS_WITH_ALL(I::Initializer(I::VarianceScaling{.mode = "fan_sum", .seed = std::nullopt}), std::invalid_argument, "mode",
                          "fan_sum", "fan_avg");
  REQUIRE_THROWS_WITH_ALL(I::Initializer(I::VarianceScaling{.distribution = "gaussian", .seed = std::nullopt}), std::invalid_argument,
                          "distribution", "gaussian", "untruncated_normal");
  REQUIRE_THROWS_WITH_ALL(I::Initializer(I::RandomUniform{.minval = 1, .maxval = 1, .seed = std::nullopt}), std::invalid_argument, "minval",
                          "maxval");
  REQUIRE_THROWS_WITH_ALL(I::Initializer(I::RandomNormal{.stddev = -1, .seed = std::nullopt}), std::invalid_argument, "stddev", "-1");
  // A callable whose shape is wrong is caught when the layer creates its weight.
  Dense bad({.units = 2, .kernel_initializer = [](const Shape&, DType t) { return Tensor::zeros({1}, t); }});
  REQUIRE_THROWS_WITH_ALL(bad.build({-1, 3}), std::invalid_argument, "kernel", "(3, 2)");
}

TEST_CASE("initializers: Keras 3.15's input_axes and output_axes set the fans", "[layers][initializers]") {
  // Keras's compute_fans: with both lists, fan_in / fan_out are the products of those extents.
  const Shape s{4, 3, 5};
  CHECK(I::compute_fans(s, std::vector<std::int64_t>{0}, std::vector<std::int64_t>{1, 2}) == std::pair{4.0, 15.0});
  CHECK(I::compute_fans(s, std::vector<std::int64_t>{-1}, std::vector<std::int64_t>{0}) == std::pair{5.0, 4.0});
  CHECK(I::compute_fans(s, std::vector<std::int64_t>{0}, std::nullopt) == std::pair{12.0, 20.0});  // one alone: ignored (rf 4: 3*4, 5*4), as Keras
  REQUIRE_THROWS_WITH_ALL(I::compute_fans(s, std::vector<std::int64_t>{3}, std::vector<std::int64_t>{0}),
                          std::invalid_argument, "input_axes", "axis 3", "(4, 3, 5)");
  // GlorotUniform's limit sqrt(6 / (fan_in + fan_out)) = sqrt(6 / 19) with the axes, sqrt(6 / 40) without.
  const I::Initializer with_axes = I::GlorotUniform{.seed = 3, .input_axes = std::vector<std::int64_t>{0},
                                                    .output_axes = std::vector<std::int64_t>{1, 2}};
  const auto v = with_axes(Shape{400, 3, 5}, DType::Float64).to_vector<double>();
  const double limit = std::sqrt(6.0 / (400.0 + 15.0));
  double top = 0.0;
  for (double x : v) top = std::max(top, std::abs(x));
  CHECK(top <= limit);
  CHECK(top > 0.99 * limit);  // 6000 uniform draws reach the edge
  // The config carries the axes, and Keras's config (nulls included) reads back.
  const json config = with_axes.serialize();
  CHECK(config["config"]["input_axes"] == json{0});
  CHECK(config["config"]["output_axes"] == json{1, 2});
  CHECK(I::Initializer::from_config(config).serialize() == config);
  const json keras = {{"module", "keras.initializers"}, {"class_name", "GlorotUniform"},
                      {"config", {{"seed", nullptr}, {"input_axes", nullptr}, {"output_axes", nullptr}}},
                      {"registered_name", nullptr}};
  CHECK_FALSE(I::Initializer::from_config(keras).serialize()["config"].contains("input_axes"));
}
