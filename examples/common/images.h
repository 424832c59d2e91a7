#pragma once
// Pictures for the examples: image grids and loss curves written as PNG through stb_image_write.
#include <string>
#include <vector>

#include <minidl/minidl.h>

namespace minidl::examples {

// Tiles images (N, H, W, 1) or (N, H, W, 3) into rows of `columns`, values mapped from
// [low, high] to 0..255 (clamped), with a `border`-pixel gap; returns the PNG path written.
// Throws std::runtime_error naming the path if it cannot be written.
void write_image_grid(const std::string& path, const Tensor& images, int columns, double low = 0.0, double high = 1.0,
                      int border = 2, int scale = 2);

// One or more curves (same x = 1..n) on a white canvas with axes and min/max labels as ticks.
struct Curve {
  std::string label;
  std::vector<double> values;
};
void write_curve_plot(const std::string& path, const std::vector<Curve>& curves, int width = 640, int height = 400);

// PNG dimensions (width, height, channels) read back from a file, for tests.
struct PngInfo {
  int width = 0, height = 0, channels = 0;
};
PngInfo read_png_info(const std::string& path);

}  // namespace minidl::examples
