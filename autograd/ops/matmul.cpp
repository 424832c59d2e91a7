#include "minidl/autograd/ops/matmul.h"

#include "minidl/autograd/pointwise.h"
#include "minidl/core/gemm.h"

namespace minidl {

namespace {

struct MatmulDims {
  std::int64_t m, n, k;
  Shape batch;  // broadcast batch shape
};

MatmulDims matmul_dims(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  if (a.ndim() < 2 || b.ndim() < 2)
    throw_invalid_argument("matmul: both operands need rank >= 2, received a of shape {} and b of shape {}",
                           a.shape(), b.shape());
  const auto& da = a.shape().dims();
  const auto& db = b.shape().dims();
  const std::int64_t a_rows = da[da.size() - 2], a_cols = da.back();
  const std::int64_t b_rows = db[db.size() - 2], b_cols = db.back();
  MatmulDims d{ta ? a_cols : a_rows, tb ? b_rows : b_cols, ta ? a_rows : a_cols, {}};
  const std::int64_t kb = tb ? b_cols : b_rows;
  if (d.k != kb)
    throw_invalid_argument(
        "matmul: inner dimensions differ: a {}{} contributes {} and b {}{} contributes {}", a.shape(),
        ta ? " (transposed)" : "", d.k, b.shape(), tb ? " (transposed)" : "", kb);
  d.batch = broadcast_shapes(Shape(da.begin(), da.end() - 2), Shape(db.begin(), db.end() - 2), "matmul batch axes");
  return d;
}

// Offset of batch item `idx` (in the broadcast batch shape) inside an operand with batch shape `own`.
std::int64_t batch_offset(std::int64_t idx, const Shape& batch, const Shape& own, std::int64_t matrix_size) {
  std::int64_t off = 0, own_stride = matrix_size;
  const std::int64_t lead = batch.ndim() - own.ndim();
  for (std::int64_t i = batch.ndim() - 1; i >= 0; --i) {
    const std::int64_t coord = idx % batch.dims()[static_cast<std::size_t>(i)];
    idx /= batch.dims()[static_cast<std::size_t>(i)];
    if (i >= lead) {
      const std::int64_t extent = own.dims()[static_cast<std::size_t>(i - lead)];
      if (extent != 1) off += coord * own_stride;
      own_stride *= extent;
    }
  }
  return off;
}

Tensor matmul_raw(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  check_same_dtype(a, b, "matmul");
  const MatmulDims d = matmul_dims(a, b, ta, tb);
  std::vector<std::int64_t> out_dims = d.batch.dims();
  out_dims.push_back(d.m);
  out_dims.push_back(d.n);
  Tensor out = Tensor::empty(Shape(out_dims), a.dtype());
  const auto& da = a.shape().dims();
  const auto& db = b.shape().dims();
  const Shape a_batch(da.begin(), da.end() - 2), b_batch(db.begin(), db.end() - 2);
  const std::int64_t lda = da.back(), ldb = db.back();
  dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* pc = out.data<T>();
    if (!ta && b_batch.numel() == 1 && a_batch == d.batch) {
      // b is one matrix shared by the whole batch: fold the batch into M, one big GEMM.
      blas::gemm<T>(false, tb, d.batch.numel() * d.m, d.n, d.k, T(1), pa, lda, pb, ldb, T(0), pc, d.n);
      return;
    }
    const std::int64_t count = d.batch.numel();
    for (std::int64_t i = 0; i < count; ++i) {
      const T* ai = pa + batch_offset(i, d.batch, a_batch, da[da.size() - 2] * lda);
      const T* bi = pb + batch_offset(i, d.batch, b_batch, db[db.size() - 2] * ldb);
      blas::gemm<T>(ta, tb, d.m, d.n, d.k, T(1), ai, lda, bi, ldb, T(0), pc + i * d.m * d.n, d.n);
    }
  });
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  Tensor out = matmul_raw(a, b, ta, tb);
  return autograd::record(
      "matmul", {a, b}, out,
      [as = autograd::saved(a), bs = autograd::saved(b), ta, tb](const Tensor& g,
                                                                 const autograd::GradMask& needs) {
        // C = op(A) op(B): dA = g op(B)^T (or its transpose), dB = op(A)^T g (or its transpose).
        std::vector<Tensor> grads(2);
        if (needs[0])
          grads[0] = autograd::sum_to(ta ? matmul_raw(bs, g, tb, true) : matmul_raw(g, bs, false, !tb), as.shape());
        if (needs[1])
          grads[1] = autograd::sum_to(tb ? matmul_raw(g, as, true, ta) : matmul_raw(as, g, !ta, false), bs.shape());
        return grads;
      });
}

}  // namespace minidl
