#include "minidl/core/io/batching.h"

#include <cstring>
#include <numeric>

#include "minidl/core/error.h"

namespace minidl::io {

std::vector<std::int64_t> shuffled_indices(std::int64_t n, Generator& gen) {
  std::vector<std::int64_t> idx(static_cast<std::size_t>(std::max<std::int64_t>(n, 0)));
  std::iota(idx.begin(), idx.end(), std::int64_t{0});
  for (std::size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[gen.randint(i)]);
  return idx;
}

Tensor gather_rows(const Tensor& x, const std::vector<std::int64_t>& indices) {
  if (x.ndim() < 1) throw_invalid_argument("gather_rows: the input must have at least one axis, received a scalar");
  const std::int64_t n = x.shape()[0];
  std::vector<std::int64_t> dims = x.shape().dims();
  dims[0] = static_cast<std::int64_t>(indices.size());
  Tensor out = Tensor::empty(Shape(dims.begin(), dims.end()), x.dtype());
  const std::size_t row_bytes = static_cast<std::size_t>(n ? x.numel() / n : 0) * dtype_size(x.dtype());
  const auto* src = static_cast<const unsigned char*>(x.raw_data());
  auto* dst = static_cast<unsigned char*>(out.raw_data());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] < 0 || indices[i] >= n)
      throw_out_of_range("gather_rows: index {} at position {} is out of range for {} rows", indices[i], i, n);
    std::memcpy(dst + i * row_bytes, src + static_cast<std::size_t>(indices[i]) * row_bytes, row_bytes);
  }
  return out;
}

std::vector<std::vector<std::int64_t>> make_batches(std::int64_t n, std::int64_t batch_size, bool shuffle,
                                                     Generator& gen, bool drop_remainder) {
  if (batch_size < 1) throw_invalid_argument("make_batches: batch_size must be >= 1, received batch_size={}", batch_size);
  std::vector<std::int64_t> order;
  if (shuffle) {
    order = shuffled_indices(n, gen);
  } else {
    order.resize(static_cast<std::size_t>(std::max<std::int64_t>(n, 0)));
    std::iota(order.begin(), order.end(), std::int64_t{0});
  }
  std::vector<std::vector<std::int64_t>> batches;
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const std::int64_t end = std::min(n, start + batch_size);
    if (drop_remainder && end - start < batch_size) break;
    batches.emplace_back(order.begin() + start, order.begin() + end);
  }
  return batches;
}

}  // namespace minidl::io
