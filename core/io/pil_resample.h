#pragma once
// PIL's Image.resize with a filter (what keras.utils.load_img calls for target_size), byte for byte:
// separable filters scaled by the shrink factor (PIL always antialiases), 22-bit fixed-point weights,
// a horizontal pass into an 8-bit intermediate, then a vertical pass. RGBA is resized with
// premultiplied alpha, as PIL does. Filters: "bilinear", "bicubic", "lanczos", "box", "hamming".
#include <array>
#include <string>

#include "minidl/core/io/images.h"

namespace minidl::io {

// True for the names above; "nearest" is resize_nearest's (PIL's affine path), not this one.
bool is_pil_filter(const std::string& name);
// Resizes the box [x0, x1) x [y0, y1) of `image` (box = {x0, y0, x1, y1}) to width x height.
Image pil_resample(const Image& image, int width, int height, std::array<int, 4> box, const std::string& filter);

}  // namespace minidl::io
