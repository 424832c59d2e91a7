#include "minidl/core/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <type_traits>

namespace minidl::blas {

namespace {
// OpenBLAS rejects leading dimensions of 0 even for empty operands.
blasint ld(std::int64_t v) { return static_cast<blasint>(std::max<std::int64_t>(v, 1)); }
}  // namespace

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
          std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // C = beta * C; BLAS would not read A or B, and may not scale C either
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
    return;
  }
  const auto ta = trans_a ? CblasTrans : CblasNoTrans;
  const auto tb = trans_b ? CblasTrans : CblasNoTrans;
  const auto M = static_cast<blasint>(m), N = static_cast<blasint>(n), K = static_cast<blasint>(k);
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, a, ld(lda), b, ld(ldb), beta, c, ld(ldc));
  } else {
    cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, alpha, a, ld(lda), b, ld(ldb), beta, c, ld(ldc));
  }
}

template void gemm<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float, const float*, std::int64_t,
                          const float*, std::int64_t, float, float*, std::int64_t);
template void gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double, const double*,
                           std::int64_t, const double*, std::int64_t, double, double*, std::int64_t);

}  // namespace minidl::blas
