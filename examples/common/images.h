#pragma once
// Loss curves for the examples, written as PNG (image grids are io::save_image_grid).
#include <string>
#include <vector>

#include <minidl/minidl.h>

namespace minidl::examples {

// One or more curves (same x = 1..n) on a white canvas with axes and min/max labels as ticks.
struct Curve {
  std::string label;
  std::vector<double> values;
};
void write_curve_plot(const std::string& path, const std::vector<Curve>& curves, int width = 640, int height = 400);

}  // namespace minidl::examples
