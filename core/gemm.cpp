#include "minidl/core/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <type_traits>

#include "minidl/core/blas_kernels.h"
#include "minidl/core/parallel.h"

namespace minidl::blas {

namespace {

// OpenBLAS rejects leading dimensions of 0 even for empty operands.
blasint ld(std::int64_t v) { return static_cast<blasint>(std::max<std::int64_t>(v, 1)); }

// Below this much work a second thread costs more (wake-up, packing B twice) than it saves.
constexpr double kParallelFlops = 4e6;

template <class T>
void call_blas(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
               std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  const auto ta = trans_a ? CblasTrans : CblasNoTrans;
  const auto tb = trans_b ? CblasTrans : CblasNoTrans;
  const auto M = static_cast<blasint>(m), N = static_cast<blasint>(n), K = static_cast<blasint>(k);
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, a, ld(lda), b, ld(ldb), beta, c, ld(ldc));
  } else {
    cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, alpha, a, ld(lda), b, ld(ldb), beta, c, ld(ldc));
  }
}

}  // namespace

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
          std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  if (m == 0 || n == 0) return;
  select_kernels();
  if (k == 0) {  // C = beta * C; BLAS would not read A or B, and may not scale C either
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
    return;
  }
  // OpenBLAS runs single-threaded (see set_num_threads): the cores are shared out by minidl's one
  // pool, one slice of C per thread. OpenBLAS's own workers spin-wait after every call and would
  // fight the pool's threads for the same two cores between GEMMs.
  if (get_num_threads() > 1 && 2.0 * double(m) * double(n) * double(k) >= kParallelFlops) {
    if (m >= n) {
      parallel_for(0, m, 16, [&](std::int64_t lo, std::int64_t hi) {
        call_blas(trans_a, trans_b, hi - lo, n, k, alpha, trans_a ? a + lo : a + lo * lda, lda, b, ldb, beta,
                  c + lo * ldc, ldc);
      });
    } else {
      parallel_for(0, n, 16, [&](std::int64_t lo, std::int64_t hi) {
        call_blas(trans_a, trans_b, m, hi - lo, k, alpha, a, lda, trans_b ? b + lo * ldb : b + lo, ldb, beta,
                  c + lo, ldc);
      });
    }
    return;
  }
  call_blas(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

template void gemm<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float, const float*, std::int64_t,
                          const float*, std::int64_t, float, float*, std::int64_t);
template void gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double, const double*,
                           std::int64_t, const double*, std::int64_t, double, double*, std::int64_t);

}  // namespace minidl::blas
