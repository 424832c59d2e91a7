#pragma once
// Inverted dropout (Keras's Dropout layer).
#include <optional>

#include "minidl/core/random.h"
#include "minidl/core/tensor.h"

namespace minidl {

// training: each element (or each cell of noise_shape, broadcast over x) is zeroed with
// probability `rate` and the survivors are scaled by 1 / (1 - rate), so the expectation is x.
// Not training, or rate == 0: returns x itself. rate must be in [0, 1). The mask is drawn from
// `gen` in row-major order, so the same generator state gives the same mask.
// noise_shape has x's rank; each extent is 1 (shared mask along that axis), x's extent, or -1
// (Keras's None: x's extent).
Tensor dropout(const Tensor& x, double rate, Generator& gen, bool training = true,
               const std::optional<Shape>& noise_shape = std::nullopt);

}  // namespace minidl
