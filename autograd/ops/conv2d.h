#pragma once
// 2-D convolution and transposed convolution on OpenBLAS GEMM, for channels_last (NHWC, Keras's
// default) and channels_first (NCHW) data, with kernels in Keras's layouts:
//   conv2d:           kernel (kh, kw, in_channels / groups, out_channels)
//   conv2d_transpose: kernel (kh, kw, out_channels, in_channels)
// Both are computed as GEMM + im2col/col2im over chunks of the batch, so scratch memory stays under
// kMaxScratchBytes (core/workspace.h) whatever the batch size. channels_first data is permuted to
// channels_last and back around the same kernels.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "minidl/core/tensor.h"

namespace minidl {

using Pair = std::array<std::int64_t, 2>;
using Padding4 = std::array<std::int64_t, 4>;  // top, bottom, left, right

struct Conv2dOptions {
  Pair strides{1, 1};
  Pair dilation_rate{1, 1};
  Padding4 padding{0, 0, 0, 0};  // zeros added around the input
  std::string data_format = "channels_last";
  std::int64_t groups = 1;
};

// y = conv(x, kernel) + bias; `bias` (out_channels) may be an undefined Tensor.
Tensor conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias = {}, const Conv2dOptions& options = {});

struct Conv2dTransposeOptions {
  Pair strides{1, 1};
  Pair dilation_rate{1, 1};
  // Output j = i*s + m*d - top over j in [0, O), O = (n-1)*s + (k-1)*d + 1 - top - bottom + output_padding:
  // `padding` crops the full result, `output_padding` (< stride) extends the end again, exactly as
  // PyTorch's padding/output_padding but per side. Positions no tap reaches hold just the bias.
  Padding4 padding{0, 0, 0, 0};
  Pair output_padding{0, 0};
  std::string data_format = "channels_last";
};

// The scatter form: input pixel i and tap m land on output j = i*s + m*d - pad_before.
Tensor conv2d_transpose(const Tensor& x, const Tensor& kernel, const Tensor& bias = {},
                        const Conv2dTransposeOptions& options = {});

// ---- Keras's 'valid' / 'same' rules (padding is case-insensitive) ----

// Per-side padding of a forward convolution (or pooling): 'same' gives out = ceil(n / s) and puts
// the odd pixel at the bottom/right, as TensorFlow does.
Padding4 keras_conv_padding(std::string_view padding, Pair input_hw, Pair kernel, Pair strides, Pair dilation);
std::int64_t keras_conv_output_length(std::string_view padding, std::int64_t n, std::int64_t k, std::int64_t s,
                                      std::int64_t d);

// Conv2DTranspose's output length (Keras's deconv_output_length); an unknown n (-1) gives -1.
std::int64_t keras_conv_transpose_output_length(std::string_view padding, std::int64_t n, std::int64_t k,
                                                std::int64_t s, std::int64_t d,
                                                std::optional<std::int64_t> output_padding);
// The crop/extra arguments of conv2d_transpose that reproduce Keras's Conv2DTranspose.
struct ConvTransposeGeometry {
  Padding4 padding{};
  Pair output_padding{};
  Pair output_hw{};
};
ConvTransposeGeometry keras_conv_transpose_geometry(std::string_view padding, Pair input_hw, Pair kernel, Pair strides,
                                                    Pair dilation, std::optional<Pair> output_padding);

// "channels_last" / "channels_first" (case-insensitive) -> true for channels_last; throws otherwise.
bool is_channels_last(std::string_view data_format, std::string_view op);
// "valid" / "same" (case-insensitive) -> lower case; throws otherwise ('causal' is named as unsupported).
std::string normalize_padding(std::string_view padding, std::string_view op);

}  // namespace minidl
