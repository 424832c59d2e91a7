#pragma once
// Layer normalization with Keras's semantics (keras.layers.LayerNormalization's call).
#include <cstdint>
#include <vector>

#include "minidl/core/tensor.h"

namespace minidl {

// Normalizes every slice of x spanned by `axes` (one or more, any order, negative counting from the
// end) with its own statistics:
//   y = gamma * (x - mean) / sqrt(var + epsilon) + beta
// var is the biased variance (mean of squared deviations, no Bessel correction), as Keras computes it.
// rms_scaling (Keras's flag): y = gamma * x / sqrt(var + epsilon). x is not centred, yet var is still
//   the centred variance: that is what Keras computes (keras-team/keras#21234). beta must be undefined.
// gamma and beta are undefined tensors (Keras's scale=False / center=False) or have the extents of
// `axes` in the order given. Their elements are laid over the normalized axes in increasing axis
// order, as Keras's reshape to the broadcast shape does (the same thing for sorted axes).
// Statistics are accumulated in double whatever the dtype.
Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const std::vector<std::int64_t>& axes = {-1},
                  double epsilon = 1e-3, bool rms_scaling = false);

}  // namespace minidl
