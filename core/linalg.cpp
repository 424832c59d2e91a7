#include "minidl/core/linalg.h"

#include <algorithm>

#include "minidl/core/error.h"

extern "C" {
// LAPACK, Fortran calling convention (column-major, arguments by pointer).
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work, const int* lwork,
             int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau, double* work,
             const int* lwork, int* info);
}

namespace minidl::linalg {

void qr(const std::vector<double>& a, std::int64_t rows, std::int64_t cols, std::vector<double>& q,
        std::vector<double>& r_diagonal) {
  if (rows < cols || cols < 1)
    throw_invalid_argument("qr: needs rows >= cols >= 1, received a {}x{} matrix", rows, cols);
  const int m = static_cast<int>(rows), n = static_cast<int>(cols);
  // Row-major (rows x cols) -> column-major copy.
  std::vector<double> col(static_cast<std::size_t>(rows * cols));
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) col[static_cast<std::size_t>(j * rows + i)] = a[static_cast<std::size_t>(i * cols + j)];
  std::vector<double> tau(static_cast<std::size_t>(n));
  int info = 0, lwork = -1;
  double query = 0.0;
  dgeqrf_(&m, &n, col.data(), &m, tau.data(), &query, &lwork, &info);
  lwork = static_cast<int>(query);
  std::vector<double> work(static_cast<std::size_t>(std::max(lwork, 1)));
  dgeqrf_(&m, &n, col.data(), &m, tau.data(), work.data(), &lwork, &info);
  if (info != 0) throw_runtime_error("qr: LAPACK dgeqrf failed with info={}", info);
  r_diagonal.resize(static_cast<std::size_t>(n));
  for (int j = 0; j < n; ++j) r_diagonal[static_cast<std::size_t>(j)] = col[static_cast<std::size_t>(j * m + j)];
  lwork = -1;
  dorgqr_(&m, &n, &n, col.data(), &m, tau.data(), &query, &lwork, &info);
  lwork = static_cast<int>(query);
  work.assign(static_cast<std::size_t>(std::max(lwork, 1)), 0.0);
  dorgqr_(&m, &n, &n, col.data(), &m, tau.data(), work.data(), &lwork, &info);
  if (info != 0) throw_runtime_error("qr: LAPACK dorgqr failed with info={}", info);
  q.resize(static_cast<std::size_t>(rows * cols));
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) q[static_cast<std::size_t>(i * cols + j)] = col[static_cast<std::size_t>(j * rows + i)];
}

}  // namespace minidl::linalg
