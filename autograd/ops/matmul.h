#pragma once
// Matrix products on OpenBLAS. a: (..., M, K), b: (..., K, N) -> (..., M, N); the batch axes
// broadcast. transpose_a/transpose_b use the last two axes transposed, passed to BLAS as flags.
#include "minidl/core/tensor.h"

namespace minidl {

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);

}  // namespace minidl
