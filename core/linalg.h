#pragma once
// Small dense linear algebra through LAPACK (from OpenBLAS).
#include <cstdint>
#include <vector>

namespace minidl::linalg {

// Reduced QR of the row-major (rows x cols) matrix `a`, rows >= cols: returns Q (rows x cols,
// row-major, orthonormal columns) and the diagonal of R.
void qr(const std::vector<double>& a, std::int64_t rows, std::int64_t cols, std::vector<double>& q,
        std::vector<double>& r_diagonal);

}  // namespace minidl::linalg
