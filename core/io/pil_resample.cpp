#include "minidl/core/io/pil_resample.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "minidl/core/error.h"

namespace minidl::io {

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // PIL's fixed point for 8-bit images

struct Filter {
  double (*weight)(double);
  double support;
};

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= std::numbers::pi;
  return std::sin(x) / x;
}

const Filter* find_filter(const std::string& name) {
  static const Filter box{[](double x) { return x > -0.5 && x <= 0.5 ? 1.0 : 0.0; }, 0.5};
  static const Filter bilinear{[](double x) {
                                 x = std::abs(x);
                                 return x < 1.0 ? 1.0 - x : 0.0;
                               },
                               1.0};
  static const Filter hamming{[](double x) {
                                x = std::abs(x);
                                if (x == 0.0) return 1.0;
                                if (x >= 1.0) return 0.0;
                                x *= std::numbers::pi;
                                // PIL's constants are floats (0.54f, 0.46f), promoted to double.
                                return std::sin(x) / x * (double(0.54f) + double(0.46f) * std::cos(x));
                              },
                              1.0};
  static const Filter bicubic{[](double x) {
                                constexpr double a = -0.5;
                                x = std::abs(x);
                                if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                                if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
                                return 0.0;
                              },
                              2.0};
  static const Filter lanczos{[](double x) { return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0; }, 3.0};
  if (name == "bilinear") return &bilinear;
  if (name == "bicubic") return &bicubic;
  if (name == "lanczos") return &lanczos;
  if (name == "box") return &box;
  if (name == "hamming") return &hamming;
  return nullptr;
}

// One axis: for output i, `count[i]` weights (fixed point) starting at source index `first[i]`.
struct Coefficients {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<std::int32_t> weight;  // ksize per output
};

Coefficients coefficients(int in_size, float in0, float in1, int out_size, const Filter& f) {
  const double scale = (static_cast<double>(in1) - static_cast<double>(in0)) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = f.support * filter_scale;
  Coefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(static_cast<std::size_t>(out_size));
  c.count.resize(static_cast<std::size_t>(out_size));
  c.weight.assign(static_cast<std::size_t>(out_size) * c.ksize, 0);
  std::vector<double> k(static_cast<std::size_t>(c.ksize));
  for (int i = 0; i < out_size; ++i) {
    const double center = in0 + (i + 0.5) * scale;
    const int lo = std::max(static_cast<int>(center - support + 0.5), 0);
    const int n = std::min(static_cast<int>(center + support + 0.5), in_size) - lo;
    double total = 0.0;
    for (int x = 0; x < n; ++x) total += k[static_cast<std::size_t>(x)] = f.weight((x + lo - center + 0.5) / filter_scale);
    for (int x = 0; x < n; ++x) {
      double w = k[static_cast<std::size_t>(x)];
      if (total != 0.0) w /= total;
      // Rounded half away from zero, as PIL's normalize_coeffs_8bpc.
      c.weight[static_cast<std::size_t>(i) * c.ksize + x] =
          static_cast<std::int32_t>(w < 0 ? -0.5 + w * (1 << kPrecisionBits) : 0.5 + w * (1 << kPrecisionBits));
    }
    c.first[static_cast<std::size_t>(i)] = lo;
    c.count[static_cast<std::size_t>(i)] = std::max(n, 0);
  }
  return c;
}

std::uint8_t clip8(std::int32_t v) {
  if (v >= (1 << kPrecisionBits << 8)) return 255;
  if (v <= 0) return 0;
  return static_cast<std::uint8_t>(v >> kPrecisionBits);
}

// out[row][i] = sum over the taps of i of weight * in[row][first + x], per channel; `stride` is the
// distance between neighbouring taps (channels for a row pass, a whole row for a column pass).
Image pass(const Image& in, int width, int height, int row_offset, const Coefficients& c, bool horizontal) {
  const int ch = in.channels;
  Image out{width, height, ch, std::vector<std::uint8_t>(static_cast<std::size_t>(width) * height * ch)};
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const int i = horizontal ? x : y;
      const std::int32_t* w = &c.weight[static_cast<std::size_t>(i) * c.ksize];
      for (int k = 0; k < ch; ++k) {
        std::int32_t acc = 1 << (kPrecisionBits - 1);
        for (int t = 0; t < c.count[static_cast<std::size_t>(i)]; ++t) {
          const int sx = horizontal ? c.first[static_cast<std::size_t>(i)] + t : x;
          const int sy = horizontal ? y + row_offset : c.first[static_cast<std::size_t>(i)] + t;
          acc += in.pixels[(static_cast<std::size_t>(sy) * in.width + sx) * ch + k] * w[t];
        }
        out.pixels[(static_cast<std::size_t>(y) * width + x) * ch + k] = clip8(acc);
      }
    }
  return out;
}

// PIL's RGBA <-> RGBa (premultiplied) conversions.
void premultiply(Image& im) {
  for (std::size_t p = 0; p < im.pixels.size(); p += 4)
    for (int k = 0; k < 3; ++k) {
      const unsigned t = im.pixels[p + k] * im.pixels[p + 3] + 128u;
      im.pixels[p + k] = static_cast<std::uint8_t>(((t >> 8) + t) >> 8);
    }
}

void unpremultiply(Image& im) {
  for (std::size_t p = 0; p < im.pixels.size(); p += 4) {
    const unsigned alpha = im.pixels[p + 3];
    if (alpha == 0 || alpha == 255) continue;
    for (int k = 0; k < 3; ++k)
      im.pixels[p + k] = static_cast<std::uint8_t>(std::min(255u, (255u * im.pixels[p + k]) / alpha));
  }
}

}  // namespace

bool is_pil_filter(const std::string& name) { return find_filter(name) != nullptr; }

Image pil_resample(const Image& image, int width, int height, std::array<int, 4> box, const std::string& filter) {
  const Filter* f = find_filter(filter);
  if (!f)
    throw_invalid_argument("pil_resample: filter must be 'bilinear', 'bicubic', 'lanczos', 'box' or 'hamming', "
                           "received '{}'",
                           filter);
  if (width < 1 || height < 1) throw_invalid_argument("pil_resample: size must be positive, received {}x{}", width, height);
  Image im = image;
  if (im.channels == 4) premultiply(im);
  const bool horizontal = width != im.width || box[0] != 0 || box[2] != width;
  const bool vertical = height != im.height || box[1] != 0 || box[3] != height;
  const Coefficients cx = coefficients(im.width, static_cast<float>(box[0]), static_cast<float>(box[2]), width, *f);
  Coefficients cy = coefficients(im.height, static_cast<float>(box[1]), static_cast<float>(box[3]), height, *f);
  if (horizontal) {
    // Only the source rows the vertical pass reads are resampled; its taps are shifted to match.
    const int first_row = cy.first.front(), last_row = cy.first.back() + cy.count.back();
    for (int& lo : cy.first) lo -= first_row;
    im = pass(im, width, last_row - first_row, first_row, cx, true);
  }
  if (vertical) im = pass(im, im.width, height, 0, cy, false);
  if (im.channels == 4) unpremultiply(im);
  return im;
}

}  // namespace minidl::io
