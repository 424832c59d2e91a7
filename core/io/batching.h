#pragma once
// Mini-batches over the first axis of in-memory datasets, shuffled from a seeded Generator.
#include <cstdint>
#include <vector>

#include "minidl/core/random.h"
#include "minidl/core/tensor.h"

namespace minidl::io {

// A uniformly random permutation of 0..n-1 (Fisher-Yates on `gen`): same seed, same order.
std::vector<std::int64_t> shuffled_indices(std::int64_t n, Generator& gen);

// The rows x[indices[0]], x[indices[1]], ... along axis 0, copied into a new tensor.
Tensor gather_rows(const Tensor& x, const std::vector<std::int64_t>& indices);

// Splits 0..n-1 (shuffled when `shuffle`) into consecutive batches of `batch_size`; the last one may
// be shorter unless drop_remainder.
std::vector<std::vector<std::int64_t>> make_batches(std::int64_t n, std::int64_t batch_size, bool shuffle,
                                                     Generator& gen, bool drop_remainder = false);

}  // namespace minidl::io
