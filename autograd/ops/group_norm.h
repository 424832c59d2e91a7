#pragma once
// Group normalization (keras.layers.GroupNormalization's call, PyTorch's F.group_norm).
#include <cstdint>

#include "minidl/core/tensor.h"

namespace minidl {

// x has its batch on axis 0 and its C channels on `axis` (not 0; negative counts from the end).
// The channels are split into `groups` consecutive groups of C / groups; each sample's group is
// normalized over its channels and every other non-batch axis:
//   y = gamma[c] * (x - mean[n, g]) / sqrt(var[n, g] + epsilon) + beta[c]
// var is the biased variance. gamma and beta are undefined (Keras's scale=False / center=False) or of
// shape (C,). Statistics are accumulated in double whatever the dtype.
Tensor group_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, std::int64_t groups, std::int64_t axis = -1,
                  double epsilon = 1e-3);

}  // namespace minidl
