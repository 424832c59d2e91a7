#pragma once
// Keras's ops.image.resize (the JAX backend's numbers): resamples the height and width of a batch
// (N, H, W, C) or of one image (H, W, C) -- channels first likewise -- to `size` = (height, width).
//   interpolation  "bilinear" (default), "nearest", "bicubic" (Keys, a = -0.5), "lanczos3", "lanczos5";
//                  half-pixel centres; an axis whose size does not change is left untouched, as jax does.
//   antialias      widen the kernel by the shrink factor when downscaling (no effect when enlarging).
//   crop_to_aspect_ratio / pad_to_aspect_ratio
//                  first crop the centre (or pad both sides of the short axis with fill_value) to the
//                  target's aspect ratio, so the picture is not distorted; at most one of them.
// Differentiable in the images (the backward applies the transposed weights).
#include <array>
#include <cstdint>
#include <string>

#include "minidl/core/tensor.h"

namespace minidl {

struct ResizeOptions {
  std::string interpolation = "bilinear";
  bool antialias = false;
  bool crop_to_aspect_ratio = false;
  bool pad_to_aspect_ratio = false;
  std::string fill_mode = "constant";  // the only mode Keras supports
  double fill_value = 0.0;
  std::string data_format = "channels_last";
};

Tensor resize(const Tensor& images, std::array<std::int64_t, 2> size, const ResizeOptions& options = {});

}  // namespace minidl
