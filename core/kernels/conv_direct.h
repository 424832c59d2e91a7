#pragma once
// Direct (no im2col) channels-last convolution for few output channels. With Cout <= ~8 the GEMM
// path is bound by writing and re-reading the kh*kw*Cin-wide column matrix, which costs more than
// the arithmetic; these loops read the input in place, with unit-stride dot products over Cin.
// Geometry as in im2col.h (image = input, grid = output), ungrouped.
#include <cstdint>

#include "minidl/core/kernels/im2col.h"

namespace minidl::kernels {

// y (N, grid, Cout) = conv(x, k) (+ bias when non-null); k is (kh, kw, Cin, Cout).
template <class T>
void conv_direct_forward(const T* x, std::int64_t count, const ConvGeometry& g, const T* k, std::int64_t cout,
                         const T* bias, T* y);

// dx (N, image, Cin) = the input gradient for output gradient gy (overwrites dx).
template <class T>
void conv_direct_input_grad(const T* gy, std::int64_t count, const ConvGeometry& g, const T* k, std::int64_t cout,
                            T* dx);

// dk (kh, kw, Cin, Cout) = the kernel gradient (overwrites dk).
template <class T>
void conv_direct_kernel_grad(const T* x, const T* gy, std::int64_t count, const ConvGeometry& g, std::int64_t cout,
                             T* dk);

}  // namespace minidl::kernels
