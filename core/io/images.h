#pragma once
// Images in and out, for models that read pictures or draw them (decoders, GANs):
//  - Keras's keras.utils.save_img / array_to_img and load_img / img_to_array, with their arguments
//    and numbers (8-bit PNG in and out through stb, JPEG in through libjpeg-turbo as PIL);
//  - save_image_grid: a batch tiled into one PNG (as torchvision's save_image), for samples and
//    reconstructions during training;
//  - the 8-bit pixel buffer under both (Image) and its PNG encoder, written atomically.
// Errors: std::invalid_argument for bad arguments (named with the value), std::runtime_error naming
// the file when it cannot be read, decoded or written.
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "minidl/core/tensor.h"

namespace minidl::io {

// 8-bit pixels, row-major, channels interleaved (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA).
struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<std::uint8_t> pixels;
};

// PNG bytes of `image`, and the same written atomically to `path` (folders created).
std::vector<std::uint8_t> encode_png(const Image& image);
void write_png(const std::filesystem::path& path, const Image& image);
// Decodes PNG or JPEG bytes (16-bit PNGs are reduced to 8 bits); `who` names the source in errors.
Image decode_image(std::span<const std::uint8_t> bytes, const std::string& who);
Image read_image(const std::filesystem::path& path);

struct SaveImgOptions {
  std::string data_format = "channels_last";  // of x: (H, W, C) or (C, H, W)
  bool scale = true;  // Keras: map [min, max] of x to [0, 255]; false: x must already be in [0, 255]
};
// keras.utils.save_img: one image x of rank 3 with 1, 3 or 4 channels, as an 8-bit PNG. As Keras,
// scaled values are truncated to integers (float32 arithmetic, x - min, / max, * 255).
void save_img(const std::filesystem::path& path, const Tensor& x, const SaveImgOptions& options = {});
// keras.utils.array_to_img without PIL: the 8-bit image save_img writes.
Image array_to_img(const Tensor& x, const SaveImgOptions& options = {});

struct LoadImgOptions {
  std::string color_mode = "rgb";  // "grayscale", "rgb" or "rgba", converted as PIL does
  std::optional<std::array<int, 2>> target_size{};  // (height, width)
  std::string interpolation = "nearest";  // PIL's filters: nearest, bilinear, bicubic, lanczos, box, hamming
  bool keep_aspect_ratio = false;  // crop the centre to the target's aspect ratio before resizing
  std::string data_format = "channels_last";  // of the returned tensor
};
// keras.utils.load_img followed by img_to_array: a float32 tensor (H, W, C) of values 0..255.
Tensor load_img(const std::filesystem::path& path, const LoadImgOptions& options = {});
// The same on an already decoded image.
Tensor img_to_array(const Image& image, const LoadImgOptions& options = {});

struct ImageGridOptions {
  int columns = 8;  // images per row (fewer when there are fewer images)
  std::array<double, 2> value_range = {0.0, 1.0};  // mapped to 0..255 (clamped, rounded); {-1, 1} for tanh
  int padding = 2;   // pixels between and around the images
  std::uint8_t pad_value = 255;  // white
  int upscale = 1;   // each pixel drawn as upscale x upscale
  std::string data_format = "channels_last";  // (N, H, W, C) or (N, C, H, W), C = 1 or 3
};
// Tiles a batch of images into one RGB grid; returns the grid (also written as PNG to `path`).
Image image_grid(const Tensor& images, const ImageGridOptions& options = {});
void save_image_grid(const std::filesystem::path& path, const Tensor& images, const ImageGridOptions& options = {});

}  // namespace minidl::io
