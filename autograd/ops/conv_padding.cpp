// Keras's geometry rules for 'valid' and 'same' (see ../shared/spec/keras-conv2dtranspose.md §1):
// forward convolutions put the odd padding pixel at the bottom/right; transposed convolutions crop
// floor(T/2) from the start and the rest from the end of the full (n-1)*s + ke result.
#include <algorithm>
#include <cctype>

#include "minidl/autograd/ops/conv2d.h"
#include "minidl/core/error.h"

namespace minidl {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::int64_t effective_kernel(std::int64_t k, std::int64_t d) { return (k - 1) * d + 1; }

}  // namespace

bool is_channels_last(std::string_view data_format, std::string_view op) {
  const std::string f = lower(data_format);
  if (f == "channels_last") return true;
  if (f == "channels_first") return false;
  throw_invalid_argument("{}: data_format must be 'channels_last' or 'channels_first', received data_format='{}'", op,
                         data_format);
}

std::string normalize_padding(std::string_view padding, std::string_view op) {
  const std::string p = lower(padding);
  if (p == "valid" || p == "same") return p;
  if (p == "causal")
    throw_invalid_argument("{}: padding='causal' is only defined for 1-D convolutions; use 'valid' or 'same'", op);
  throw_invalid_argument("{}: padding must be 'valid' or 'same', received padding='{}'", op, padding);
}

std::int64_t keras_conv_output_length(std::string_view padding, std::int64_t n, std::int64_t k, std::int64_t s,
                                      std::int64_t d) {
  if (n < 0) return -1;
  if (normalize_padding(padding, "conv") == "same") return (n + s - 1) / s;
  const std::int64_t ke = effective_kernel(k, d);
  return n >= ke ? (n - ke) / s + 1 : 0;
}

Padding4 keras_conv_padding(std::string_view padding, Pair input_hw, Pair kernel, Pair strides, Pair dilation) {
  Padding4 out{0, 0, 0, 0};
  if (normalize_padding(padding, "conv") == "valid") return out;
  for (int a = 0; a < 2; ++a) {
    const std::int64_t n = input_hw[a], s = strides[a];
    const std::int64_t o = (n + s - 1) / s;
    const std::int64_t total = std::max<std::int64_t>((o - 1) * s + effective_kernel(kernel[a], dilation[a]) - n, 0);
    out[2 * a] = total / 2;
    out[2 * a + 1] = total - total / 2;
  }
  return out;
}

std::int64_t keras_conv_transpose_output_length(std::string_view padding, std::int64_t n, std::int64_t k,
                                                std::int64_t s, std::int64_t d,
                                                std::optional<std::int64_t> output_padding) {
  if (n < 0) return -1;
  const std::int64_t ke = effective_kernel(k, d);
  const bool same = normalize_padding(padding, "conv_transpose") == "same";
  if (!output_padding) return same ? n * s : (n - 1) * s + std::max(ke, s);
  return same ? (n - 1) * s + ke % 2 + *output_padding : (n - 1) * s + ke + *output_padding;
}

ConvTransposeGeometry keras_conv_transpose_geometry(std::string_view padding, Pair input_hw, Pair kernel, Pair strides,
                                                    Pair dilation, std::optional<Pair> output_padding) {
  ConvTransposeGeometry g;
  const bool same = normalize_padding(padding, "conv_transpose") == "same";
  for (int a = 0; a < 2; ++a) {
    const std::int64_t n = input_hw[a], s = strides[a];
    const std::int64_t ke = effective_kernel(kernel[a], dilation[a]);
    const std::optional<std::int64_t> op = output_padding ? std::optional((*output_padding)[a]) : std::nullopt;
    const std::int64_t o = keras_conv_transpose_output_length(padding, n, kernel[a], s, dilation[a], op);
    const std::int64_t crop = (n - 1) * s + ke - o;  // T: negative means extra positions at the end
    g.output_hw[a] = o;
    if (crop >= 0) {
      const std::int64_t before = same ? crop / 2 : 0;
      g.padding[2 * a] = before;
      g.padding[2 * a + 1] = crop - before;
    } else {
      g.output_padding[a] = -crop;
    }
  }
  return g;
}

}  // namespace minidl
