// max_pool2d and avg_pool2d: forward and gradients against PyTorch (tests/reference/pool_reference.py),
// float64 gradchecks over layouts, paddings and strides, a hand-computed 'same' average, errors.
#include <cmath>
#include <limits>

#include "support/fixtures.h"

using namespace minidl;

namespace {

Pool2dOptions options_from(const nlohmann::json& c) {
  Pool2dOptions o;
  o.pool_size = {c.at("pool_size")[0].get<std::int64_t>(), c.at("pool_size")[1].get<std::int64_t>()};
  o.strides = {c.at("strides")[0].get<std::int64_t>(), c.at("strides")[1].get<std::int64_t>()};
  o.padding = c.at("padding").get<std::string>();
  o.data_format = c.at("data_format").get<std::string>();
  return o;
}

std::string describe(const Pool2dOptions& o, const Shape& s) {
  return fmt::format("{} x{} pool ({}, {}) strides ({}, {}) {}", o.data_format, s, o.pool_size[0], o.pool_size[1],
                     o.strides[0], o.strides[1], o.padding);
}

// Distinct values (a shuffled grid plus jitter) keep every max window free of ties and of
// near-ties closer than the gradcheck step.
Tensor distinct_leaf(const Shape& shape, std::uint64_t seed) {
  Generator gen(seed);
  const std::int64_t n = shape.numel();
  std::vector<double> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = static_cast<double>(i) + 0.25 + 0.5 * gen.uniform();
  for (std::int64_t i = n - 1; i > 0; --i)
    std::swap(v[static_cast<std::size_t>(i)], v[gen.randint(static_cast<std::uint64_t>(i + 1))]);
  for (auto& e : v) e = e / static_cast<double>(n) * 2.0 - 1.0;
  return Tensor::from_vector(v, shape).set_requires_grad();
}

}  // namespace

TEST_CASE("pool2d forward and gradients match PyTorch", "[pool2d][reference]") {
  const auto fixture = test::load_fixture("pool_reference.json");
  for (const auto& c : fixture.at("pool")) {
    const Pool2dOptions o = options_from(c);
    for (const char* kind : {"max", "avg"}) {
      Tensor x = test::tensor_from_json(c.at("x")).set_requires_grad();
      INFO(kind << " " << describe(o, x.shape()));
      Tensor y = std::string(kind) == "max" ? max_pool2d(x, o) : avg_pool2d(x, o);
      const auto& ref = c.at(kind);
      REQUIRE_CLOSE(y, test::tensor_from_json(ref.at("y")), 1e-12, 1e-12);
      y.backward(test::tensor_from_json(ref.at("w")));
      REQUIRE_CLOSE(x.grad(), test::tensor_from_json(ref.at("grad_x")), 1e-12, 1e-12);

      // float32 runs the same loops with the other instantiation.
      Tensor y32 = std::string(kind) == "max" ? max_pool2d(x.detach().to(DType::Float32), o)
                                               : avg_pool2d(x.detach().to(DType::Float32), o);
      REQUIRE(y32.dtype() == DType::Float32);
      REQUIRE_CLOSE(y32, test::tensor_from_json(ref.at("y")), 1e-6, 1e-6);
    }
  }
}

TEST_CASE("pool2d gradchecks over layouts, paddings and strides", "[pool2d][gradcheck]") {
  struct Config {
    Shape nhwc;
    std::array<std::int64_t, 2> pool, strides;
    const char* padding;
  };
  const std::vector<Config> configs = {
      {{2, 4, 4, 3}, {2, 2}, {2, 2}, "valid"}, {{1, 5, 7, 2}, {3, 2}, {1, 2}, "valid"},
      {{2, 5, 5, 2}, {3, 3}, {2, 2}, "same"},  {{1, 6, 5, 3}, {2, 3}, {1, 1}, "same"},
      {{1, 7, 4, 1}, {4, 2}, {3, 3}, "same"},  {{2, 3, 3, 2}, {1, 1}, {2, 2}, "valid"},
      // Tiling windows (stride == pool): a 'valid' remainder row and column, and 'same' padding.
      {{2, 5, 7, 2}, {2, 2}, {2, 2}, "valid"}, {{1, 5, 5, 3}, {2, 2}, {2, 2}, "same"},
      {{1, 7, 6, 2}, {3, 2}, {3, 2}, "valid"},
  };
  std::uint64_t seed = 10;
  for (const auto& cfg : configs) {
    for (const char* format : {"channels_last", "channels_first"}) {
      Pool2dOptions o{cfg.pool, cfg.strides, cfg.padding, format};
      const auto& d = cfg.nhwc.dims();
      const Shape shape = o.data_format == "channels_last" ? cfg.nhwc : Shape{d[0], d[3], d[1], d[2]};
      Tensor x = distinct_leaf(shape, ++seed);
      REQUIRE_GRADCHECK("max_pool2d " + describe(o, shape), [o](const std::vector<Tensor>& in) {
        return max_pool2d(in[0], o);
      }, std::vector<Tensor>{x});
      REQUIRE_GRADCHECK("avg_pool2d " + describe(o, shape), [o](const std::vector<Tensor>& in) {
        return avg_pool2d(in[0], o);
      }, std::vector<Tensor>{x});
    }
  }
}

TEST_CASE("avg_pool2d 'same' divides border windows by their real cells", "[pool2d]") {
  // 1x3x3x1 input 1..9, pool 2, stride 2, 'same': out 2x2, padding total 1 per axis, all of it
  // after (top = 1 / 2 = 0). Windows: {1,2,4,5}/4 = 3, {3,6}/2 = 4.5, {7,8}/2 = 7.5, {9}/1 = 9.
  Tensor x = Tensor::arange(1, 10, 1, DType::Float64).reshape({1, 3, 3, 1});
  Tensor y = avg_pool2d(x, {{2, 2}, {2, 2}, "same", "channels_last"});
  REQUIRE(y.shape() == Shape{1, 2, 2, 1});
  REQUIRE(y.to_vector<double>() == std::vector<double>{3.0, 4.5, 7.5, 9.0});
  // Max over the same windows: 5, 6, 8, 9.
  REQUIRE(max_pool2d(x, {{2, 2}, {2, 2}, "same", "channels_last"}).to_vector<double>() ==
          std::vector<double>{5.0, 6.0, 8.0, 9.0});
}

TEST_CASE("max_pool2d sends the gradient of a tie to the first maximum only", "[pool2d]") {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 3, 3, 2}, {1, 1, 2, 2}).set_requires_grad();
  max_pool2d(x, {{2, 2}, {2, 2}, "valid", "channels_first"}).sum().backward();
  REQUIRE(x.grad().to_vector<double>() == std::vector<double>{0, 1, 0, 0});
}

TEST_CASE("max_pool2d: a NaN wins its window, ties and -inf keep the first cell, in every layout", "[pool2d]") {
  // One 4x4 plane, pool 2, stride 2. Windows (row-major cells, flat index h * 4 + w):
  //   {1, NaN, 3, 0} -> NaN at 1;  {2, 2, 2, 1} -> 2 at 2 (first of the tie);
  //   {-inf x4} -> -inf at 8;      {5, 5, 5, 4} -> 5 at 10.
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const std::vector<double> plane = {1, nan, 2, 2, 3, 0, 2, 1, -inf, -inf, 5, 5, -inf, -inf, 5, 4};
  const std::vector<double> winners = {0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0};
  // channels_first and one-channel channels_last take the planar kernel; two channels_last
  // channels (the plane twice) the interleaved one.
  std::vector<double> two_channels;
  for (double v : plane) two_channels.insert(two_channels.end(), {v, v});
  struct Case {
    std::vector<double> values;
    Shape shape;
    const char* format;
    std::int64_t channels;
  };
  for (const Case& c : {Case{plane, {1, 1, 4, 4}, "channels_first", 1}, Case{plane, {1, 4, 4, 1}, "channels_last", 1},
                        Case{two_channels, {1, 4, 4, 2}, "channels_last", 2}}) {
    for (DType dtype : {DType::Float64, DType::Float32}) {
      INFO(c.format << " x" << fmt::format("{}", c.shape) << (dtype == DType::Float32 ? " float32" : " float64"));
      Tensor x = Tensor::from_vector(c.values, c.shape).to(dtype).set_requires_grad();
      Tensor y = max_pool2d(x, {{2, 2}, {2, 2}, "valid", c.format});
      const auto out = y.to(DType::Float64).to_vector<double>();
      REQUIRE(out.size() == static_cast<std::size_t>(4 * c.channels));
      for (std::int64_t ch = 0; ch < c.channels; ++ch) {
        const auto at = [&](std::int64_t k) { return out[static_cast<std::size_t>(k * c.channels + ch)]; };
        REQUIRE(std::isnan(at(0)));
        REQUIRE(at(1) == 2.0);
        REQUIRE(at(2) == -inf);
        REQUIRE(at(3) == 5.0);
      }
      y.sum().backward();
      std::vector<double> expected;
      for (double w : winners)
        for (std::int64_t ch = 0; ch < c.channels; ++ch) expected.push_back(w);
      REQUIRE(x.grad().to(DType::Float64).to_vector<double>() == expected);
    }
  }
}

TEST_CASE("pool2d rejects bad arguments", "[pool2d][errors]") {
  Tensor x = Tensor::zeros({1, 4, 4, 2});
  REQUIRE_THROWS_WITH_ALL(max_pool2d(x, {{0, 2}, {2, 2}}), std::invalid_argument, "max_pool2d", "pool_size",
                          "(0, 2)");
  REQUIRE_THROWS_WITH_ALL(avg_pool2d(x, {{2, 2}, {2, -1}}), std::invalid_argument, "avg_pool2d", "strides",
                          "(2, -1)");
  REQUIRE_THROWS_WITH_ALL(max_pool2d(x, {{2, 2}, {2, 2}, "full"}), std::invalid_argument, "padding", "'full'",
                          "'valid' or 'same'");
  REQUIRE_THROWS_WITH_ALL(avg_pool2d(x, {{2, 2}, {2, 2}, "valid", "NHWC"}), std::invalid_argument, "data_format",
                          "'NHWC'", "channels_last");
  REQUIRE_THROWS_WITH_ALL(max_pool2d(Tensor::zeros({4, 4, 2}), {}), std::invalid_argument, "max_pool2d", "4-D",
                          "(4, 4, 2)");
  REQUIRE_THROWS_WITH_ALL(avg_pool2d(x, {{5, 2}, {1, 1}}), std::invalid_argument, "avg_pool2d", "(5, 2)",
                          "(4, 4)", "'valid'");
}
