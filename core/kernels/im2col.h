#pragma once
// im2col / col2im for channels-last (NHWC) images: the bridge between convolutions and GEMM.
//
// A "grid" position (gy, gx) looks at image pixels (gy*stride - pad + m*dilation) for every kernel
// tap m; one column row holds, for one grid position, kh*kw runs of `channels` contiguous values
// (zeros where the tap falls outside the image). For conv2d the image is the input and the grid the
// output; for conv2d_transpose the roles swap (the image is the output).
#include <cstdint>

namespace minidl::kernels {

struct ConvGeometry {
  std::int64_t image_h = 0, image_w = 0;
  std::int64_t image_channels = 0;  // channel stride of the image (all groups)
  std::int64_t channel_offset = 0;  // first channel this call reads or writes (a group's slice)
  std::int64_t channels = 0;        // channels per tap in a column row
  std::int64_t grid_h = 0, grid_w = 0;
  std::int64_t kernel_h = 1, kernel_w = 1;
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t dilation_h = 1, dilation_w = 1;
  std::int64_t pad_top = 0, pad_left = 0;

  std::int64_t row_length() const { return kernel_h * kernel_w * channels; }
  std::int64_t rows_per_image() const { return grid_h * grid_w; }
  std::int64_t image_size() const { return image_h * image_w * image_channels; }
};

// The taps m in [first, last) of a k-tap window starting at `base` with dilation d that land
// inside [0, extent).
inline void valid_taps(std::int64_t base, std::int64_t k, std::int64_t d, std::int64_t extent, std::int64_t& first,
                       std::int64_t& last) {
  first = base >= 0 ? 0 : (-base + d - 1) / d;
  last = base >= extent ? 0 : (k < (extent - 1 - base) / d + 1 ? k : (extent - 1 - base) / d + 1);
  if (last < first) last = first;
}

// cols[(n, gy, gx), (my, mx, c)] = image[n, gy*sh - pt + my*dh, gx*sw - pl + mx*dw, offset + c].
// cols is (images * grid_h * grid_w, row_length), row-major.
template <class T>
void im2col(const T* images, std::int64_t count, const ConvGeometry& g, T* cols);

// The adjoint: image[n, ...] += cols[...] for every tap that lands inside the image. Adds into
// `images`, so zero it first for a plain scatter.
template <class T>
void col2im(const T* cols, std::int64_t count, const ConvGeometry& g, T* images);

}  // namespace minidl::kernels
