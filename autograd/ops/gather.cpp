#include "minidl/autograd/ops/gather.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "minidl/autograd/node.h"
#include "minidl/core/error.h"
#include "minidl/core/parallel.h"

namespace minidl {

namespace {

// "[1, 2]" for flat element k of `shape` ("" for a scalar).
std::string position(std::int64_t k, const Shape& shape) {
  if (shape.ndim() == 0) return "";
  std::vector<std::int64_t> idx(static_cast<std::size_t>(shape.ndim()));
  for (std::int64_t a = shape.ndim() - 1; a >= 0; --a) {
    const std::int64_t e = shape.dims()[static_cast<std::size_t>(a)];
    idx[static_cast<std::size_t>(a)] = k % e;
    k /= e;
  }
  return fmt::format("[{}]", fmt::join(idx, ", "));
}

// The indices as integers, each checked against [0, rows).
std::vector<std::int64_t> checked_indices(const Tensor& indices, std::int64_t rows, const GatherNames& names) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(indices.numel()));
  dispatch(indices.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = indices.data<T>();
    for (std::size_t k = 0; k < out.size(); ++k) {
      const double v = static_cast<double>(p[k]);
      if (!std::isfinite(v) || v != std::floor(v))
        throw_invalid_argument("{}: {}{} = {} is not an integer index; indices must be integers in [0, {}) ({}={})",
                               names.op, names.indices, position(static_cast<std::int64_t>(k), indices.shape()), v,
                               rows, names.limit, rows);
      if (v < 0 || v >= static_cast<double>(rows))
        throw_out_of_range("{}: {}{} = {} is out of range; indices must be integers in [0, {}) ({}={})", names.op,
                           names.indices, position(static_cast<std::int64_t>(k), indices.shape()), v, rows,
                           names.limit, rows);
      out[k] = static_cast<std::int64_t>(v);
    }
  });
  return out;
}

}  // namespace

Tensor gather(const Tensor& params, const Tensor& indices, const GatherNames& names) {
  if (!params.defined() || params.ndim() < 1)
    throw_invalid_argument("{}: params must have at least one axis, received shape {}", names.op,
                           params.defined() ? params.shape().str() : std::string("(undefined)"));
  if (!indices.defined()) throw_invalid_argument("{}: {} is an undefined tensor", names.op, names.indices);
  const std::int64_t rows = params.shape()[0];
  const std::int64_t row_size = rows > 0 ? params.numel() / rows : 0;
  auto idx = std::make_shared<const std::vector<std::int64_t>>(checked_indices(indices, rows, names));

  std::vector<std::int64_t> dims = indices.shape().dims();
  dims.insert(dims.end(), params.shape().dims().begin() + 1, params.shape().dims().end());
  Tensor out = Tensor::empty(Shape(dims), params.dtype());
  const std::size_t row_bytes = static_cast<std::size_t>(row_size) * dtype_size(params.dtype());
  const auto* src = static_cast<const unsigned char*>(params.raw_data());
  auto* dst = static_cast<unsigned char*>(out.raw_data());
  const auto count = static_cast<std::int64_t>(idx->size());
  parallel_for(0, count, std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(row_size, 1)),
               [&](std::int64_t k0, std::int64_t k1) {
                 for (std::int64_t k = k0; k < k1; ++k)
                   std::memcpy(dst + static_cast<std::size_t>(k) * row_bytes,
                               src + static_cast<std::size_t>((*idx)[static_cast<std::size_t>(k)]) * row_bytes,
                               row_bytes);
               });

  return autograd::record(
      "gather", {params}, out,
      [idx, params_shape = params.shape(), row_size](const Tensor& g, const autograd::GradMask&) {
        Tensor dparams = Tensor::zeros(params_shape, g.dtype());
        const auto n = static_cast<std::int64_t>(idx->size());
        dispatch(g.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* pg = g.data<T>();
          T* pd = dparams.data<T>();
          // Threads take column ranges, so a row picked by several indices is only ever written by
          // one thread, and every element adds its contributions in index order (deterministic).
          const std::int64_t grain = n * row_size < 32768 ? row_size : std::max<std::int64_t>(16, 32768 / std::max<std::int64_t>(n, 1));
          parallel_for(0, row_size, std::max<std::int64_t>(grain, 1), [&](std::int64_t c0, std::int64_t c1) {
            for (std::int64_t k = 0; k < n; ++k) {
              T* drow = pd + (*idx)[static_cast<std::size_t>(k)] * row_size;
              const T* grow = pg + k * row_size;
              for (std::int64_t c = c0; c < c1; ++c) drow[c] += grow[c];
            }
          });
        });
        return std::vector<Tensor>{dparams};
      });
}

}  // namespace minidl
