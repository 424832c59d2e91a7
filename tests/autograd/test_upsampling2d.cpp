// upsampling2d: nearest and bilinear against PyTorch (tests/reference/pool_reference.py), a
// hand-computed bilinear row, float64 gradchecks, errors.
#include "support/fixtures.h"

using namespace minidl;

TEST_CASE("upsampling2d forward and gradients match PyTorch", "[upsampling2d][reference]") {
  const auto fixture = test::load_fixture("pool_reference.json");
  for (const auto& c : fixture.at("upsampling")) {
    const std::array<std::int64_t, 2> size{c.at("size")[0].get<std::int64_t>(), c.at("size")[1].get<std::int64_t>()};
    const auto format = c.at("data_format").get<std::string>();
    const auto interpolation = c.at("interpolation").get<std::string>();
    Tensor x = test::tensor_from_json(c.at("x")).set_requires_grad();
    INFO(interpolation << " " << format << " x" << x.shape().str() << " size (" << size[0] << ", " << size[1] << ")");
    Tensor y = upsampling2d(x, size, format, interpolation);
    REQUIRE_CLOSE(y, test::tensor_from_json(c.at("y")), 1e-12, 1e-12);
    y.backward(test::tensor_from_json(c.at("w")));
    REQUIRE_CLOSE(x.grad(), test::tensor_from_json(c.at("grad_x")), 1e-12, 1e-12);
    Tensor y32 = upsampling2d(x.detach().to(DType::Float32), size, format, interpolation);
    REQUIRE_CLOSE(y32, test::tensor_from_json(c.at("y")), 1e-5, 1e-5);
  }
}

TEST_CASE("bilinear upsampling by 2 uses half-pixel centres", "[upsampling2d]") {
  // Row [0, 4], factor 2: sources (o + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25
  // (x[1] held past the last centre): 0, 1, 3, 4.
  Tensor x = Tensor::from_vector(std::vector<double>{0.0, 4.0}, {1, 1, 1, 2});
  Tensor y = upsampling2d(x, {1, 2}, "channels_first", "bilinear");
  REQUIRE(y.to_vector<double>() == std::vector<double>{0.0, 1.0, 3.0, 4.0});
}

TEST_CASE("upsampling2d gradchecks", "[upsampling2d][gradcheck]") {
  struct Config {
    Shape shape;
    std::array<std::int64_t, 2> size;
    const char* format;
  };
  const std::vector<Config> configs = {
      {{2, 3, 2, 2}, {2, 2}, "channels_last"},  {{1, 2, 3, 4}, {3, 2}, "channels_first"},
      {{1, 1, 5, 3}, {1, 3}, "channels_last"},  {{2, 1, 1, 3}, {2, 1}, "channels_first"},
  };
  std::uint64_t seed = 40;
  for (const auto& cfg : configs)
    for (const char* interpolation : {"nearest", "bilinear"}) {
      Tensor x = test::random_leaf(cfg.shape, ++seed);
      const auto label = fmt::format("{} {} x{} size ({}, {})", interpolation, cfg.format, cfg.shape, cfg.size[0],
                                     cfg.size[1]);
      auto f = [cfg, interpolation](const std::vector<Tensor>& in) {
        return upsampling2d(in[0], cfg.size, cfg.format, interpolation);
      };
      REQUIRE_GRADCHECK(label, f, std::vector<Tensor>{x});
    }
}

TEST_CASE("upsampling2d rejects bad arguments", "[upsampling2d][errors]") {
  Tensor x = Tensor::zeros({1, 2, 2, 1});
  REQUIRE_THROWS_WITH_ALL(upsampling2d(x, {0, 2}), std::invalid_argument, "upsampling2d", "size", "(0, 2)");
  REQUIRE_THROWS_WITH_ALL(upsampling2d(x, {2, 2}, "channels_middle"), std::invalid_argument, "data_format",
                          "'channels_middle'");
  REQUIRE_THROWS_WITH_ALL(upsampling2d(x, {2, 2}, "channels_last", "area"), std::invalid_argument,
                          "interpolation", "'area'", "'bilinear', 'nearest', 'lanczos3', 'lanczos5', 'bicubic'");
  REQUIRE_THROWS_WITH_ALL(upsampling2d(Tensor::zeros({2, 2}), {2, 2}), std::invalid_argument, "upsampling2d", "4-D",
                          "(2, 2)");
}
