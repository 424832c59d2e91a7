#pragma once
// Separable image resampling, the way Keras 3 resizes on its JAX backend (jax.image.resize): along
// each axis an output index is a weighted sum of input indices. The weights are jax's weight matrix
// (half-pixel centres, kernel normalised to sum 1 over the input, scaled by the shrink factor when
// antialiasing a downscale), kept sparse: a few taps per output index.
#include <cstdint>
#include <string>
#include <vector>

namespace minidl::kernels {

enum class ResizeMethod { Nearest, Bilinear, Bicubic, Lanczos3, Lanczos5 };

// "nearest", "bilinear", "bicubic", "lanczos3", "lanczos5" (Keras's names); anything else throws a
// message that starts with `where` (the caller's name).
ResizeMethod resize_method(const std::string& name, const char* where);

// Compressed rows: destination index d reads source indices index[offset[d] .. offset[d + 1])
// with the matching weights.
struct ResampleTaps {
  std::int64_t src_len = 0, dst_len = 0;
  std::vector<std::int64_t> offset, index;
  std::vector<double> weight;
};

ResampleTaps resize_taps(std::int64_t in, std::int64_t out, ResizeMethod method, bool antialias);
// The adjoint: taps from the destination back to the source (what the backward pass gathers).
ResampleTaps transpose_taps(const ResampleTaps& taps);

// Weight 1 from each index to itself: an axis left as it is.
ResampleTaps identity_taps(std::int64_t len);

// Images (outer, H, W, channels), channels contiguous -- NHWC is (N, H, W, C), NCHW (N*C, H, W, 1) --
// resampled along H with `th` and along W with `tw`, one output row at a time (H blend of the source
// rows, then W taps), into (outer, th.dst_len, tw.dst_len, channels). With transposed taps it is the
// backward pass.
template <class T>
void resample_2d(const T* src, T* dst, std::int64_t outer, std::int64_t channels, const ResampleTaps& th,
                 const ResampleTaps& tw);

}  // namespace minidl::kernels
