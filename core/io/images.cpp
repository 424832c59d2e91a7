#include "minidl/core/io/images.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "minidl/core/error.h"
#include "minidl/core/io/file_util.h"
#include "minidl/core/io/jpeg.h"
#include "minidl/core/io/pil_resample.h"

// stb is compiled here only, with internal linkage, so a program that also uses stb links cleanly.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_NO_STDIO
// PNG only: Debian's stb_image JPEG decoder writes out of bounds on hostile input (found by
// tests/fuzz/fuzz_image.cpp within seconds: stbi__build_huffman); JPEGs go to libjpeg-turbo (jpeg.cpp).
#define STBI_ONLY_PNG
#define STBI_MAX_DIMENSIONS (1 << 14)  // bounds what a hostile header can make us allocate
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

namespace minidl::io {

namespace {

void check_data_format(std::string_view who, const std::string& data_format) {
  if (data_format != "channels_last" && data_format != "channels_first")
    throw_invalid_argument("{}: data_format must be 'channels_last' or 'channels_first', received data_format='{}'", who,
                           data_format);
}

void check_image(std::string_view who, const Image& image) {
  if (image.width < 1 || image.height < 1 || image.channels < 1 || image.channels > 4 ||
      image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * image.channels)
    throw_invalid_argument("{}: the image must be at least 1x1 with 1 to 4 channels and width*height*channels pixels, "
                           "received {}x{}x{} with {} pixels",
                           who, image.width, image.height, image.channels, image.pixels.size());
}

// PIL's ITU-R 601-2 luma in fixed point (Pillow's L24 macro), so grayscale equals Keras's load_img.
std::uint8_t luma(const std::uint8_t* rgb) {
  return static_cast<std::uint8_t>((rgb[0] * 19595u + rgb[1] * 38470u + rgb[2] * 7471u + 0x8000u) >> 16);
}

// PIL's convert() between L, LA, RGB and RGBA (alpha dropped without compositing, added as 255).
Image convert(const Image& in, int channels) {
  if (in.channels == channels) return in;
  Image out{in.width, in.height, channels, {}};
  const std::size_t n = static_cast<std::size_t>(in.width) * in.height;
  out.pixels.resize(n * channels);
  const bool gray_in = in.channels <= 2, alpha_in = in.channels == 2 || in.channels == 4;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* p = &in.pixels[i * in.channels];
    std::uint8_t* q = &out.pixels[i * channels];
    const std::uint8_t gray = gray_in ? p[0] : luma(p);
    const std::uint8_t alpha = alpha_in ? p[in.channels - 1] : 255;
    switch (channels) {
      case 1: q[0] = gray; break;
      case 2: q[0] = gray, q[1] = alpha; break;
      default:
        for (int k = 0; k < 3; ++k) q[k] = gray_in ? p[0] : p[k];
        if (channels == 4) q[3] = alpha;
    }
  }
  return out;
}

// PIL's nearest-neighbour resize of the box [x0, x1) x [y0, y1) (ImagingScaleAffine): the source
// coordinate starts at x0 + step / 2 and grows by step = box width / width per pixel, summed in
// double and truncated -- the running sum, not (x + 0.5) * step, decides the exact ties as PIL does.
std::vector<int> nearest_table(int out_size, int lo, int hi, int in_size) {
  std::vector<int> table(static_cast<std::size_t>(out_size));
  const double step = double(hi - lo) / out_size;
  double pos = lo + step * 0.5;
  for (auto& t : table) {
    t = std::clamp(static_cast<int>(pos), 0, in_size - 1);
    pos += step;
  }
  return table;
}

Image resize_nearest(const Image& in, int width, int height, std::array<int, 4> box) {
  Image out{width, height, in.channels, std::vector<std::uint8_t>(static_cast<std::size_t>(width) * height * in.channels)};
  const auto xs = nearest_table(width, box[0], box[2], in.width), ys = nearest_table(height, box[1], box[3], in.height);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      std::copy_n(&in.pixels[(static_cast<std::size_t>(ys[y]) * in.width + xs[x]) * in.channels], in.channels,
                  &out.pixels[(static_cast<std::size_t>(y) * width + x) * in.channels]);
  return out;
}

// The values of x (..., C, H, W) when channels_first, else (..., H, W, C), in (..., H, W, C) order.
// Kept here rather than Tensor::permute, which belongs to autograd (core must not depend on it).
template <class T>
std::vector<T> channels_last_values(const Tensor& x, bool channels_first) {
  std::vector<T> v = x.to_vector<T>();
  if (!channels_first) return v;
  const auto& s = x.shape();
  const std::size_t c = s[s.ndim() - 3], h = s[s.ndim() - 2], w = s[s.ndim() - 1], plane = c * h * w;
  std::vector<T> out(v.size());
  for (std::size_t b = 0; b < v.size() / std::max<std::size_t>(plane, 1); ++b)
    for (std::size_t k = 0; k < c; ++k)
      for (std::size_t i = 0; i < h * w; ++i) out[b * plane + i * c + k] = v[b * plane + k * h * w + i];
  return out;
}

void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(context);
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

}  // namespace

std::vector<std::uint8_t> encode_png(const Image& image) {
  check_image("encode_png", image);
  std::vector<std::uint8_t> png;
  if (!stbi_write_png_to_func(append_bytes, &png, image.width, image.height, image.channels, image.pixels.data(),
                              image.width * image.channels))
    throw std::runtime_error(fmt::format("encode_png: stb could not encode a {}x{}x{} image", image.width,
                                         image.height, image.channels));
  return png;
}

void write_png(const std::filesystem::path& path, const Image& image) {
  const auto png = encode_png(image);
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec)
      throw std::runtime_error(fmt::format("write_png: cannot create the folder '{}' for '{}': {}",
                                           path.parent_path().string(), path.string(), ec.message()));
  }
  AtomicFileWriter writer(path, "write_png");
  writer.write(std::as_bytes(std::span(png)));
  writer.commit();
}

Image decode_image(std::span<const std::uint8_t> bytes, const std::string& who) {
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::runtime_error(fmt::format("{}: the image file is too large ({} bytes)", who, bytes.size()));
  if (looks_like_jpeg(bytes)) return decode_jpeg(bytes, who);
  int w = 0, h = 0, c = 0;
  stbi_uc* data = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &c, 0);
  if (!data)
    throw std::runtime_error(fmt::format("{}: not a readable PNG or JPEG image ({})", who, stbi_failure_reason()));
  Image image{w, h, c, std::vector<std::uint8_t>(data, data + static_cast<std::size_t>(w) * h * c)};
  stbi_image_free(data);
  return image;
}

Image read_image(const std::filesystem::path& path) {
  const auto bytes = read_file_bytes(path, "read_image");
  return decode_image(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
                      fmt::format("read_image('{}')", path.string()));
}

Image array_to_img(const Tensor& x_in, const SaveImgOptions& o) {
  check_data_format("array_to_img", o.data_format);
  if (!x_in.defined() || x_in.ndim() != 3)
    throw_invalid_argument("array_to_img: Expected image array to have rank 3 (single image). Got array with shape: {}",
                           x_in.defined() ? fmt::format("{}", x_in.shape()) : std::string("undefined"));
  const bool first = o.data_format == "channels_first";
  const auto& s = x_in.shape();
  const auto h = static_cast<int>(s[first ? 1 : 0]), w = static_cast<int>(s[first ? 2 : 1]),
             c = static_cast<int>(s[first ? 0 : 2]);
  if (c != 1 && c != 3 && c != 4) throw_invalid_argument("array_to_img: Unsupported channel number: {}", c);
  // Keras converts to float32 first and scales in float32; the same order gives the same integers.
  std::vector<float> v = channels_last_values<float>(x_in, first);
  for (float f : v)
    if (!std::isfinite(f)) throw_invalid_argument("array_to_img: x holds a non-finite value ({})", f);
  if (o.scale) {
    const float lo = *std::min_element(v.begin(), v.end());
    for (float& f : v) f -= lo;
    const float hi = *std::max_element(v.begin(), v.end());
    for (float& f : v) {
      if (hi != 0.0f) f /= hi;
      f *= 255.0f;
    }
  } else {
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    if (*lo < 0.0f || *hi >= 256.0f)
      throw_invalid_argument("array_to_img: with scale=false the values must lie in [0, 255], received values in "
                             "[{}, {}]; pass scale=true to map them",
                             *lo, *hi);
  }
  Image image{w, h, c, std::vector<std::uint8_t>(v.size())};
  for (std::size_t i = 0; i < v.size(); ++i) image.pixels[i] = static_cast<std::uint8_t>(v[i]);  // truncation, as astype
  return image;
}

void save_img(const std::filesystem::path& path, const Tensor& x, const SaveImgOptions& o) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (ext != ".png")
    throw_invalid_argument("save_img: minidl writes PNG only; the path must end in .png, received '{}'", path.string());
  write_png(path, array_to_img(x, o));
}

Tensor img_to_array(const Image& image_in, const LoadImgOptions& o) {
  check_image("img_to_array", image_in);
  check_data_format("load_img", o.data_format);
  int channels = 0;
  if (o.color_mode == "grayscale") channels = 1;
  else if (o.color_mode == "rgb") channels = 3;
  else if (o.color_mode == "rgba") channels = 4;
  else throw_invalid_argument("load_img: color_mode must be \"grayscale\", \"rgb\", or \"rgba\", received '{}'", o.color_mode);
  Image image = convert(image_in, channels);
  if (o.target_size) {
    const int th = (*o.target_size)[0], tw = (*o.target_size)[1];
    if (th < 1 || tw < 1)
      throw_invalid_argument("load_img: target_size must be two positive sizes (height, width), received ({}, {})", th, tw);
    if (o.interpolation != "nearest" && !is_pil_filter(o.interpolation))
      throw_invalid_argument("load_img: Invalid interpolation method {} specified. Supported methods are nearest, "
                             "bilinear, bicubic, hamming, box, lanczos",
                             o.interpolation);
    if (th != image.height || tw != image.width) {
      std::array<int, 4> box{0, 0, image.width, image.height};
      if (o.keep_aspect_ratio) {  // Keras's centre crop to the target's aspect ratio
        const int crop_h = std::min(image.height, image.width * th / tw);
        const int crop_w = std::min(image.width, image.height * tw / th);
        box = {(image.width - crop_w) / 2, (image.height - crop_h) / 2, 0, 0};
        box[2] = box[0] + crop_w, box[3] = box[1] + crop_h;
      }
      image = o.interpolation == "nearest" ? resize_nearest(image, tw, th, box)
                                           : pil_resample(image, tw, th, box, o.interpolation);
    }
  }
  const std::size_t hw = static_cast<std::size_t>(image.width) * image.height, c = image.channels;
  std::vector<float> values(image.pixels.size());
  const bool first = o.data_format == "channels_first";
  for (std::size_t i = 0; i < hw; ++i)
    for (std::size_t k = 0; k < c; ++k) values[first ? k * hw + i : i * c + k] = image.pixels[i * c + k];
  return first ? Tensor::from_vector(values, {image.channels, image.height, image.width})
               : Tensor::from_vector(values, {image.height, image.width, image.channels});
}

Tensor load_img(const std::filesystem::path& path, const LoadImgOptions& o) {
  check_data_format("load_img", o.data_format);  // argument errors before touching the file
  return img_to_array(read_image(path), o);
}

Image image_grid(const Tensor& images_in, const ImageGridOptions& o) {
  check_data_format("image_grid", o.data_format);
  if (!images_in.defined() || images_in.ndim() != 4)
    throw_invalid_argument("image_grid: images must be a batch (N, H, W, C) or (N, C, H, W), received {}",
                           images_in.defined() ? fmt::format("shape {}", images_in.shape()) : std::string("undefined"));
  const bool first = o.data_format == "channels_first";
  const auto& shape = images_in.shape();
  const std::array<std::int64_t, 4> s{shape[0], shape[first ? 2 : 1], shape[first ? 3 : 2], shape[first ? 1 : 3]};
  if (s[3] != 1 && s[3] != 3)
    throw_invalid_argument("image_grid: images must have 1 or 3 channels, received {} (shape {}, data_format='{}')",
                           s[3], shape, o.data_format);
  if (s[0] < 1) throw_invalid_argument("image_grid: images holds no image (shape {})", shape);
  if (o.columns < 1) throw_invalid_argument("image_grid: columns must be >= 1, received columns={}", o.columns);
  if (o.padding < 0) throw_invalid_argument("image_grid: padding must be >= 0, received padding={}", o.padding);
  if (o.upscale < 1) throw_invalid_argument("image_grid: upscale must be >= 1, received upscale={}", o.upscale);
  const auto [lo, hi] = o.value_range;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi))
    throw_invalid_argument("image_grid: value_range must be finite with low < high, received value_range=({}, {})", lo, hi);
  const auto n = static_cast<int>(s[0]), h = static_cast<int>(s[1]), w = static_cast<int>(s[2]), c = static_cast<int>(s[3]);
  const int cols = std::min(o.columns, n), rows = (n + cols - 1) / cols, up = o.upscale, pad = o.padding;
  const int cell_w = w * up + pad, cell_h = h * up + pad;
  Image grid{cols * cell_w + pad, rows * cell_h + pad, 3, {}};
  grid.pixels.assign(static_cast<std::size_t>(grid.width) * grid.height * 3, o.pad_value);
  const std::vector<double> v = channels_last_values<double>(images_in, first);
  for (int i = 0; i < n; ++i) {
    const int x0 = pad + (i % cols) * cell_w, y0 = pad + (i / cols) * cell_h;
    for (int y = 0; y < h * up; ++y)
      for (int x = 0; x < w * up; ++x)
        for (int k = 0; k < 3; ++k) {
          const double value = v[((static_cast<std::size_t>(i) * h + y / up) * w + x / up) * c + (c == 3 ? k : 0)];
          const double t = std::isnan(value) ? 0.0 : std::clamp((value - lo) / (hi - lo), 0.0, 1.0);
          grid.pixels[(static_cast<std::size_t>(y0 + y) * grid.width + x0 + x) * 3 + k] =
              static_cast<std::uint8_t>(std::lround(t * 255.0));
        }
  }
  return grid;
}

void save_image_grid(const std::filesystem::path& path, const Tensor& images, const ImageGridOptions& o) {
  write_png(path, image_grid(images, o));
}

}  // namespace minidl::io
