#include "images.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb/stb_image.h>

namespace minidl::examples {

namespace {

void write_png(const std::string& path, int w, int h, int channels, const std::vector<unsigned char>& pixels) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot create the folder '{}' for '{}': {}", parent.string(), path, ec.message()));
  }
  // stb writes in place; write next to the target and rename so a crash never leaves half a PNG.
  const std::string tmp = path + ".tmp";
  if (!stbi_write_png(tmp.c_str(), w, h, channels, pixels.data(), w * channels))
    throw std::runtime_error(fmt::format("cannot write the PNG file '{}' (is the folder writable?)", path));
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot move '{}' to '{}': {}", tmp, path, ec.message()));
}

}  // namespace

void write_image_grid(const std::string& path, const Tensor& images, int columns, double low, double high, int border,
                      int scale) {
  if (images.ndim() != 4 || (images.shape()[3] != 1 && images.shape()[3] != 3))
    throw std::invalid_argument(
        fmt::format("write_image_grid: images must be (N, H, W, 1) or (N, H, W, 3), received {}", images.shape()));
  if (columns < 1 || scale < 1 || border < 0 || !(high > low))
    throw std::invalid_argument(fmt::format(
        "write_image_grid: need columns >= 1, scale >= 1, border >= 0 and high > low, received {}, {}, {}, [{}, {}]",
        columns, scale, border, low, high));
  const auto n = static_cast<int>(images.shape()[0]), h = static_cast<int>(images.shape()[1]),
             w = static_cast<int>(images.shape()[2]), c = static_cast<int>(images.shape()[3]);
  const int cols = std::max(1, std::min(columns, n)), rows = (n + cols - 1) / cols;
  const int cell_w = w * scale + border, cell_h = h * scale + border;
  const int width = cols * cell_w + border, height = rows * cell_h + border;
  std::vector<unsigned char> pixels(static_cast<std::size_t>(width) * height * 3, 255);
  const std::vector<double> v = images.to(DType::Float64).to_vector<double>();
  for (int i = 0; i < n; ++i) {
    const int x0 = border + (i % cols) * cell_w, y0 = border + (i / cols) * cell_h;
    for (int y = 0; y < h * scale; ++y)
      for (int x = 0; x < w * scale; ++x)
        for (int k = 0; k < 3; ++k) {
          const double value = v[((static_cast<std::size_t>(i) * h + y / scale) * w + x / scale) * c + (c == 3 ? k : 0)];
          const double t = std::clamp((value - low) / (high - low), 0.0, 1.0);
          pixels[(static_cast<std::size_t>(y0 + y) * width + x0 + x) * 3 + k] =
              static_cast<unsigned char>(std::lround(t * 255.0));
        }
  }
  write_png(path, width, height, 3, pixels);
}

void write_curve_plot(const std::string& path, const std::vector<Curve>& curves, int width, int height) {
  if (width < 64 || height < 64) throw std::invalid_argument("write_curve_plot: the canvas must be at least 64x64");
  std::vector<unsigned char> px(static_cast<std::size_t>(width) * height * 3, 255);
  auto put = [&](int x, int y, std::array<unsigned char, 3> rgb) {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    for (int k = 0; k < 3; ++k) px[(static_cast<std::size_t>(y) * width + x) * 3 + k] = rgb[k];
  };
  const int left = 40, right = width - 16, top = 16, bottom = height - 32;
  for (int x = left; x <= right; ++x) put(x, bottom, {0, 0, 0});
  for (int y = top; y <= bottom; ++y) put(left, y, {0, 0, 0});
  double lo = INFINITY, hi = -INFINITY;
  std::size_t longest = 0;
  for (const auto& c : curves) {
    longest = std::max(longest, c.values.size());
    for (double v : c.values)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (longest == 0 || !std::isfinite(lo)) {
    write_png(path, width, height, 3, px);
    return;
  }
  if (hi - lo < 1e-12) hi = lo + 1.0;
  // grid lines at quarters of the range, so the curve's scale is readable without text
  for (int q = 1; q < 4; ++q)
    for (int x = left + 1; x <= right; x += 4) put(x, bottom - (bottom - top) * q / 4, {200, 200, 200});
  const std::array<std::array<unsigned char, 3>, 4> colors = {{{31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40}}};
  for (std::size_t ci = 0; ci < curves.size(); ++ci) {
    const auto& vals = curves[ci].values;
    auto at = [&](std::size_t i) {
      const double fx = longest > 1 ? double(i) / double(longest - 1) : 0.5;
      return std::pair<double, double>{left + fx * (right - left), bottom - (vals[i] - lo) / (hi - lo) * (bottom - top)};
    };
    for (std::size_t i = 0; i < vals.size(); ++i) {
      const auto [x1, y1] = at(i);
      const auto [x0, y0] = at(i == 0 ? 0 : i - 1);
      const int steps = std::max(1, static_cast<int>(std::hypot(x1 - x0, y1 - y0)));
      for (int s = 0; s <= steps; ++s) {
        const double t = double(s) / steps;
        const int x = static_cast<int>(std::lround(x0 + t * (x1 - x0))), y = static_cast<int>(std::lround(y0 + t * (y1 - y0)));
        for (int dx = -1; dx <= 1; ++dx)
          for (int dy = -1; dy <= 1; ++dy) put(x + dx, y + dy, colors[ci % colors.size()]);
      }
    }
  }
  write_png(path, width, height, 3, px);
}

PngInfo read_png_info(const std::string& path) {
  PngInfo info;
  if (!stbi_info(path.c_str(), &info.width, &info.height, &info.channels))
    throw std::runtime_error(fmt::format("'{}' is not a readable PNG file: {}", path, stbi_failure_reason()));
  return info;
}

}  // namespace minidl::examples
