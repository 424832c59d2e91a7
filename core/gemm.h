#pragma once
// The one door to OpenBLAS: row-major C = alpha * op(A) * op(B) + beta * C, where op transposes
// when asked. Transposes are flags, never copies.
#include <cstdint>

namespace minidl::blas {

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
          std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc);

}  // namespace minidl::blas
