#pragma once
// Differentiable shape and layout ops. reshape/squeeze/unsqueeze are views of the same buffer;
// the others copy into a new contiguous tensor.
#include <cstdint>
#include <utility>
#include <vector>

#include "minidl/core/tensor.h"

namespace minidl {

Tensor reshape(const Tensor& x, const Shape& shape);
Tensor permute(const Tensor& x, const std::vector<std::int64_t>& order);
Tensor transpose(const Tensor& x, std::int64_t axis0, std::int64_t axis1);
// Elements start, start+step, ... < stop along `axis` (negative start/stop count from the end,
// out-of-range bounds are clamped as in Python; step >= 1).
Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t stop, std::int64_t step = 1);
// Keras's ops.flip: the elements along `axis` in reverse order (Bidirectional's backward sequence).
Tensor flip(const Tensor& x, std::int64_t axis);
Tensor concat(const std::vector<Tensor>& tensors, std::int64_t axis);
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t axis);
// Constant padding; paddings[i] = (before, after) for axis i (one pair per axis).
Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& paddings, double value = 0.0);
Tensor broadcast_to(const Tensor& x, const Shape& shape);
Tensor cast(const Tensor& x, DType dtype);

}  // namespace minidl
