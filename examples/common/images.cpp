#include "images.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace minidl::examples {

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
    io::write_png(path, {width, height, 3, px});
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
  io::write_png(path, {width, height, 3, px});
}

}  // namespace minidl::examples
