// core/io/images: Keras's array_to_img / save_img and load_img / img_to_array against the real
// Keras + PIL (tests/reference/keras_images.py), the image grid against a hand calculation, PNG
// round trips, and the errors.
#include <fstream>
#include <iterator>

#include "io_support.h"
#include "support/fixtures.h"

using namespace minidl;
using namespace minidl::test;
using nlohmann::json;

namespace {

std::vector<int> ints(const std::vector<std::uint8_t>& pixels) { return {pixels.begin(), pixels.end()}; }

std::vector<int> ints(const Tensor& t) {
  std::vector<int> out;
  for (float v : t.to_vector<float>()) out.push_back(static_cast<int>(v));
  return out;
}

// factor * pattern + offset computed in double and cast to float32, as the script's NumPy does.
Tensor scaled_pattern(const json& c) {
  const Shape shape = shape_from_json(c["shape"]);
  std::vector<float> v;
  for (double p : pattern(shape, c["seed"].get<std::int64_t>(), DType::Float64).to_vector<double>())
    v.push_back(static_cast<float>(c["factor"].get<double>() * p + c["offset"].get<double>()));
  return Tensor::from_vector(v, shape);
}

}  // namespace

TEST_CASE("images: array_to_img and save_img equal Keras's pixels", "[core][images][keras]") {
  const auto fixture = load_fixture("keras_images.json");
  TempDir dir;
  for (const auto& c : fixture["array_to_img"]) {
    INFO("shape " << c["shape"] << " " << c["data_format"] << " scale=" << c["scale"]);
    const io::SaveImgOptions options{.data_format = c["data_format"], .scale = c["scale"]};
    const io::Image image = io::array_to_img(scaled_pattern(c), options);
    CHECK(ints(image.pixels) == c["pixels"].get<std::vector<int>>());
    // What save_img writes reads back as the same pixels.
    io::save_img(dir / "x.png", scaled_pattern(c), options);
    const io::Image back = io::read_image(dir / "x.png");
    CHECK(back.channels == image.channels);
    CHECK(back.pixels == image.pixels);
  }
}

TEST_CASE("images: load_img equals Keras's load_img + img_to_array", "[core][images][keras]") {
  const auto fixture = load_fixture("keras_images.json");
  int checked = 0;
  for (const auto& c : fixture["load_img"]) {
    INFO(c["file"] << " color_mode=" << c["color_mode"] << " target_size=" << c["target_size"]
                   << " keep_aspect_ratio=" << c["keep_aspect_ratio"]);
    io::LoadImgOptions options{.color_mode = c["color_mode"], .keep_aspect_ratio = c["keep_aspect_ratio"]};
    if (!c["target_size"].is_null()) options.target_size = c["target_size"].get<std::array<int, 2>>();
    const Tensor x = io::load_img(std::string(MINIDL_FIXTURE_DIR) + "/" + c["file"].get<std::string>(), options);
    REQUIRE(x.shape() == shape_from_json(c["shape"]));
    CHECK(x.dtype() == DType::Float32);
    CHECK(ints(x) == c["pixels"].get<std::vector<int>>());
    ++checked;
  }
  CHECK(checked == 150);  // 5 PNGs and 5 JPEGs, 15 cases each
}

TEST_CASE("images: load_img with PIL's filters equals Keras's, byte for byte", "[core][images][keras]") {
  const auto fixture = load_fixture("keras_images.json");
  int checked = 0;
  for (const auto& c : fixture["load_img_resampled"]) {
    INFO(c["file"] << " color_mode=" << c["color_mode"] << " interpolation=" << c["interpolation"]
                   << " target_size=" << c["target_size"] << " keep_aspect_ratio=" << c["keep_aspect_ratio"]);
    io::LoadImgOptions options{.color_mode = c["color_mode"],
                               .target_size = c["target_size"].get<std::array<int, 2>>(),
                               .interpolation = c["interpolation"],
                               .keep_aspect_ratio = c["keep_aspect_ratio"]};
    const Tensor x = io::load_img(std::string(MINIDL_FIXTURE_DIR) + "/" + c["file"].get<std::string>(), options);
    REQUIRE(x.shape() == shape_from_json(c["shape"]));
    CHECK(ints(x) == c["pixels"].get<std::vector<int>>());
    ++checked;
  }
  CHECK(checked == 360);  // 6 files x 3 color modes x 5 filters x 4 sizes
}

TEST_CASE("images: channels_first loads and saves the transposed layout", "[core][images]") {
  const std::string rgb = std::string(MINIDL_FIXTURE_DIR) + "/images/rgb.png";
  const Tensor hwc = io::load_img(rgb), chw = io::load_img(rgb, {.data_format = "channels_first"});
  REQUIRE(chw.shape() == Shape{3, 6, 9});
  const auto a = hwc.to_vector<float>(), b = chw.to_vector<float>();
  for (std::size_t y = 0; y < 6; ++y)
    for (std::size_t x = 0; x < 9; ++x)
      for (std::size_t k = 0; k < 3; ++k) CHECK(a[(y * 9 + x) * 3 + k] == b[(k * 6 + y) * 9 + x]);
  // Pixels 0..255 saved without scaling come back unchanged, in either layout.
  TempDir dir;
  io::save_img(dir / "chw.png", chw, {.data_format = "channels_first", .scale = false});
  CHECK(io::load_img(dir / "chw.png").to_vector<float>() == a);
}

TEST_CASE("images: image_grid places, scales and pads as computed by hand", "[core][images]") {
  // Two 1x2 grayscale images in [-1, 1] -> one row, padding 1, upscale 2.
  const Tensor images = Tensor::from_vector(std::vector<float>{-1.0f, 0.0f, 1.0f, 2.0f}, {2, 1, 2, 1});
  const io::Image grid = io::image_grid(images, {.columns = 4, .value_range = {-1.0, 1.0}, .padding = 1, .pad_value = 7,
                                                 .upscale = 2});
  // Width: 2 cells of (2*2 + 1) + 1 = 11; height: 1 cell of (1*2 + 1) + 1 = 4.
  REQUIRE(grid.width == 11);
  REQUIRE(grid.height == 4);
  REQUIRE(grid.channels == 3);
  auto at = [&](int x, int y) { return int(grid.pixels[(static_cast<std::size_t>(y) * 11 + x) * 3]); };
  CHECK(at(0, 0) == 7);            // padding
  CHECK(at(1, 1) == 0);            // -1 -> 0
  CHECK(at(2, 2) == 0);            // the same pixel, upscaled
  CHECK(at(3, 1) == 128);          // 0 -> round(127.5) = 128
  CHECK(at(6, 1) == 255);          // second image, 1 -> 255
  CHECK(at(8, 2) == 255);          // 2 clamps to 255
  CHECK(at(5, 1) == 7);            // padding between the images
  CHECK(at(3, 3) == 7);            // bottom padding
  // Three columns of RGB images in NCHW wrap onto two rows.
  const io::Image rgb = io::image_grid(Tensor::zeros({5, 3, 2, 2}), {.columns = 3, .data_format = "channels_first"});
  CHECK(rgb.width == 3 * (2 + 2) + 2);
  CHECK(rgb.height == 2 * (2 + 2) + 2);
}

TEST_CASE("images: encode_png and decode_image round trip every channel count", "[core][images]") {
  for (int c = 1; c <= 4; ++c) {
    io::Image image{5, 3, c, {}};
    for (int i = 0; i < 5 * 3 * c; ++i) image.pixels.push_back(static_cast<std::uint8_t>((i * 37 + c) % 256));
    const auto png = io::encode_png(image);
    REQUIRE(png.size() > 8);
    CHECK(png[1] == 'P');
    const io::Image back = io::decode_image(png, "round trip");
    CHECK(back.width == 5);
    CHECK(back.height == 3);
    CHECK(back.channels == c);
    CHECK(back.pixels == image.pixels);
  }
}

TEST_CASE("images: bad arguments and bad files name what is wrong", "[core][images][errors]") {
  TempDir dir;
  const Tensor x = Tensor::zeros({4, 4, 3});
  REQUIRE_THROWS_WITH_ALL(io::array_to_img(Tensor::zeros({4, 4})), std::invalid_argument, "rank 3", "(4, 4)");
  REQUIRE_THROWS_WITH_ALL(io::array_to_img(Tensor::zeros({4, 4, 2})), std::invalid_argument, "Unsupported channel number: 2");
  REQUIRE_THROWS_WITH_ALL(io::array_to_img(x, {.data_format = "nhwc"}), std::invalid_argument, "data_format='nhwc'");
  REQUIRE_THROWS_WITH_ALL(io::array_to_img(Tensor::full({2, 2, 1}, 300.0), {.scale = false}), std::invalid_argument,
                          "scale=false", "[0, 255]", "300");
  REQUIRE_THROWS_WITH_ALL(io::array_to_img(Tensor::full({2, 2, 1}, std::nan(""))), std::invalid_argument, "non-finite");
  REQUIRE_THROWS_WITH_ALL(io::save_img(dir / "x.jpg", x), std::invalid_argument, "PNG only", "x.jpg");
  REQUIRE_THROWS_WITH_ALL(io::load_img(dir / "missing.png"), std::runtime_error, "missing.png");
  {
    std::ofstream(dir / "junk.png") << "not an image at all";
  }
  REQUIRE_THROWS_WITH_ALL(io::load_img(dir / "junk.png"), std::runtime_error, "junk.png", "not a readable PNG");
  const std::string rgb = std::string(MINIDL_FIXTURE_DIR) + "/images/rgb.png";
  REQUIRE_THROWS_WITH_ALL(io::load_img(rgb, {.color_mode = "cmyk"}), std::invalid_argument, "color_mode", "'cmyk'");
  REQUIRE_THROWS_WITH_ALL(io::load_img(rgb, {.target_size = std::array<int, 2>{0, 4}}), std::invalid_argument,
                          "target_size", "(0, 4)");
  REQUIRE_THROWS_WITH_ALL(io::load_img(rgb, {.target_size = std::array<int, 2>{3, 4}, .interpolation = "gaussian"}),
                          std::invalid_argument, "interpolation", "gaussian", "nearest, bilinear, bicubic, hamming, box, lanczos");
  REQUIRE_THROWS_WITH_ALL(io::image_grid(Tensor::zeros({2, 4, 4, 2})), std::invalid_argument, "1 or 3 channels", "2");
  REQUIRE_THROWS_WITH_ALL(io::image_grid(Tensor::zeros({4, 4, 1})), std::invalid_argument, "(N, H, W, C)", "(4, 4, 1)");
  REQUIRE_THROWS_WITH_ALL(io::image_grid(Tensor::zeros({2, 4, 4, 1}), {.columns = 0}), std::invalid_argument, "columns=0");
  REQUIRE_THROWS_WITH_ALL(io::image_grid(Tensor::zeros({2, 4, 4, 1}), {.value_range = {1.0, 1.0}}), std::invalid_argument,
                          "value_range=(1, 1)");
  // A file in place of the folder: the writer fails with the path, and nothing is left behind.
  {
    std::ofstream(dir / "file") << "x";
  }
  REQUIRE_THROWS_WITH_ALL(io::save_image_grid(dir / "file" / "grid.png", Tensor::zeros({1, 2, 2, 1})), std::runtime_error,
                          "grid.png");
}

TEST_CASE("images: broken JPEGs are errors naming the file, never gray filler", "[core][images][errors]") {
  TempDir dir;
  const std::string images = std::string(MINIDL_FIXTURE_DIR) + "/images/";
  std::ifstream in(images + "rgb420.jpg", std::ios::binary);
  const std::string jpeg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(jpeg.size() > 400);
  const auto write = [&](const char* name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
    return dir / name;
  };
  // Cut in the middle of the entropy-coded data: libjpeg would pad with gray, PIL says truncated.
  REQUIRE_THROWS_WITH_ALL(io::load_img(write("cut.jpg", jpeg.substr(0, jpeg.size() / 2 + 100))), std::runtime_error,
                          "cut.jpg", "JPEG", "Premature end");
  // Only the start-of-image marker.
  REQUIRE_THROWS_WITH_ALL(io::load_img(write("soi.jpg", jpeg.substr(0, 4))), std::runtime_error, "soi.jpg",
                          "not a readable JPEG");
  // A header whose frame claims 0 lines.
  std::string zero = jpeg;
  const auto sof = zero.find("\xFF\xC0");
  REQUIRE(sof != std::string::npos);
  zero[sof + 5] = 0, zero[sof + 6] = 0;  // height
  REQUIRE_THROWS_WITH_ALL(io::load_img(write("zero.jpg", zero)), std::runtime_error, "zero.jpg", "JPEG");
  REQUIRE_THROWS_WITH_ALL(io::load_img(images + "cmyk.jpg"), std::runtime_error, "cmyk.jpg", "CMYK");
}
