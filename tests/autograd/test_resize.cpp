// resize (Keras's ops.image.resize): every interpolation, antialias, crop / pad to the aspect ratio,
// both layouts and one image against the real Keras (tests/reference/keras_resizing.py), outputs and
// gradients; hand-computed rows; float64 gradchecks; errors.
#include "support/fixtures.h"

using namespace minidl;
using nlohmann::json;

namespace {

Tensor data(const json& shape, std::int64_t seed) {
  return (test::pattern(test::shape_from_json(shape), seed, DType::Float64) * 3.0 + 1.0).to(DType::Float32);
}

ResizeOptions options_from(const json& kw) {
  ResizeOptions o;
  o.interpolation = kw.value("interpolation", o.interpolation);
  o.antialias = kw.value("antialias", o.antialias);
  o.crop_to_aspect_ratio = kw.value("crop_to_aspect_ratio", o.crop_to_aspect_ratio);
  o.pad_to_aspect_ratio = kw.value("pad_to_aspect_ratio", o.pad_to_aspect_ratio);
  o.fill_value = kw.value("fill_value", o.fill_value);
  o.data_format = kw.value("data_format", o.data_format);
  return o;
}

}  // namespace

TEST_CASE("resize equals Keras: outputs and gradients", "[resize][keras]") {
  const auto fx = test::load_fixture("keras_resizing.json");
  REQUIRE(fx["resize"].size() >= 28);
  for (const auto& c : fx["resize"]) {
    INFO("input " << c["input_shape"].dump() << " size " << c["size"].dump() << " " << c["kwargs"].dump());
    const std::int64_t seed = c["seed"];
    Tensor x = data(c["input_shape"], seed).set_requires_grad();
    const Shape out_shape = test::shape_from_json(c["output_shape"]);
    Tensor y = resize(x, {c["size"][0].get<std::int64_t>(), c["size"][1].get<std::int64_t>()}, options_from(c["kwargs"]));
    REQUIRE(y.shape() == out_shape);
    const auto out = test::compare(y, Tensor::from_vector(c["y"].get<std::vector<double>>(), out_shape).to(DType::Float32),
                                   1e-5, 1e-5);
    INFO(out.detail);
    REQUIRE(out.ok);
    y.backward(test::pattern(out_shape, seed + 500, DType::Float64).to(DType::Float32));
    const auto grad = test::compare(x.grad(), Tensor::from_vector(c["grad"].get<std::vector<double>>(), x.shape()).to(DType::Float32),
                                    1e-5, 1e-5);
    INFO(grad.detail);
    REQUIRE(grad.ok);
  }
}

TEST_CASE("resize by hand: bilinear halving averages pairs, nearest picks floor((o + 0.5) * in / out)", "[resize]") {
  // Width 4 -> 2: samples at (o + 0.5) * 2 - 0.5 = 0.5 and 2.5, halfway between neighbours.
  Tensor row = Tensor::from_vector(std::vector<double>{1.0, 3.0, 10.0, 20.0}, {1, 1, 4, 1});
  CHECK(resize(row, {1, 2}).to_vector<double>() == std::vector<double>{2.0, 15.0});
  // Width 3 -> 7: (o + 0.5) * 3 / 7 = 0.21, 0.64, 1.07, 1.5, 1.93, 2.36, 2.79.
  Tensor three = Tensor::from_vector(std::vector<double>{5.0, 6.0, 7.0}, {1, 1, 3});
  CHECK(resize(three, {1, 7}, {.interpolation = "nearest", .data_format = "channels_first"}).to_vector<double>() ==
        std::vector<double>{5.0, 5.0, 6.0, 6.0, 6.0, 7.0, 7.0});
  // Bicubic (Keys, a = -0.5) doubling a constant stays constant: the weights are normalised.
  Tensor flat = Tensor::full({1, 3, 3, 2}, 4.0, DType::Float64);
  for (double v : resize(flat, {6, 6}, {.interpolation = "bicubic"}).to_vector<double>()) CHECK(std::abs(v - 4.0) < 1e-13);
  // The same size is the identity (jax leaves the axis alone, even for lanczos).
  Tensor x = test::random_leaf({1, 3, 4, 2}, 5);
  CHECK(resize(x, {3, 4}, {.interpolation = "lanczos5"}).to_vector<double>() == x.to_vector<double>());
  // pad_to_aspect_ratio: 2 x 4 to a square pads one row of fill_value above and below, then 4 x 4 -> 4 x 4.
  Tensor wide = Tensor::ones({1, 2, 4, 1}, DType::Float64);
  const auto padded = resize(wide, {4, 4}, {.pad_to_aspect_ratio = true, .fill_value = -1.0}).to_vector<double>();
  CHECK(padded == std::vector<double>{-1, -1, -1, -1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1});
}

TEST_CASE("resize gradchecks", "[resize][gradcheck]") {
  struct Config {
    Shape shape;
    std::array<std::int64_t, 2> size;
    ResizeOptions options;
  };
  const std::vector<Config> configs = {
      {{2, 3, 4, 2}, {5, 7}, {.interpolation = "bilinear"}},
      {{1, 7, 6, 2}, {3, 4}, {.interpolation = "bilinear", .antialias = true}},
      {{2, 3, 4, 1}, {5, 2}, {.interpolation = "nearest"}},
      {{1, 4, 3, 2}, {7, 5}, {.interpolation = "bicubic"}},
      {{1, 8, 7, 1}, {3, 3}, {.interpolation = "bicubic", .antialias = true}},
      {{1, 3, 4, 2}, {6, 5}, {.interpolation = "lanczos3"}},
      {{1, 2, 9, 6}, {4, 3}, {.interpolation = "lanczos5", .antialias = true, .data_format = "channels_first"}},
      {{2, 6, 3, 2}, {4, 4}, {.crop_to_aspect_ratio = true}},
      {{1, 2, 3, 6}, {5, 5}, {.pad_to_aspect_ratio = true, .fill_value = 0.5, .data_format = "channels_first"}},
      {{3, 4, 2}, {6, 3}, {.interpolation = "bicubic"}},
  };
  std::uint64_t seed = 70;
  for (const auto& cfg : configs) {
    const auto label = fmt::format("{} antialias {} {} x{} -> ({}, {})", cfg.options.interpolation, cfg.options.antialias,
                                   cfg.options.data_format, cfg.shape, cfg.size[0], cfg.size[1]);
    auto f = [cfg](const std::vector<Tensor>& in) { return resize(in[0], cfg.size, cfg.options); };
    REQUIRE_GRADCHECK(label, f, std::vector<Tensor>{test::random_leaf(cfg.shape, ++seed)});
  }
}

TEST_CASE("resize rejects bad arguments as Keras does", "[resize][errors]") {
  Tensor x = Tensor::zeros({1, 4, 4, 1});
  REQUIRE_THROWS_WITH_ALL(resize(x, {2, 2}, {.interpolation = "area"}), std::invalid_argument, "resize",
                          "interpolation='area'", "'bilinear', 'nearest', 'lanczos3', 'lanczos5', 'bicubic'");
  REQUIRE_THROWS_WITH_ALL(resize(x, {2, 2}, {.fill_mode = "reflect"}), std::invalid_argument, "fill_mode='reflect'",
                          "'constant'");
  REQUIRE_THROWS_WITH_ALL(resize(x, {2, 2}, {.crop_to_aspect_ratio = true, .pad_to_aspect_ratio = true}),
                          std::invalid_argument, "pad_to_aspect_ratio", "crop_to_aspect_ratio", "both true");
  REQUIRE_THROWS_WITH_ALL(resize(x, {0, 2}), std::invalid_argument, "size=(0, 2)", "positive");
  REQUIRE_THROWS_WITH_ALL(resize(Tensor::zeros({4, 4}), {2, 2}), std::invalid_argument, "rank 3", "rank 4", "(4, 4)");
  REQUIRE_THROWS_WITH_ALL(resize(x, {2, 2}, {.data_format = "channels_middle"}), std::invalid_argument,
                          "data_format='channels_middle'");
}
