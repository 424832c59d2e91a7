#pragma once
// Differentiable reductions over any axes (empty list = every axis), with keepdims.
#include <cstdint>
#include <vector>

#include "minidl/core/tensor.h"

namespace minidl {

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
// Ties share the gradient equally (like PyTorch's amax/amin).
Tensor max(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
Tensor min(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
// Population variance (divides by N, as Keras and NumPy); `correction` = 1 gives the sample variance.
Tensor variance(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false,
                std::int64_t correction = 0);

}  // namespace minidl
