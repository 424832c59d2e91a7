#pragma once
// Batch normalization with Keras's semantics (keras.layers.BatchNormalization's call).
#include <cstdint>

#include "minidl/core/tensor.h"

namespace minidl {

// y = gamma * (x - mean) / sqrt(var + epsilon) + beta, per slice along `axis` (the channels).
// training: mean and var are the batch statistics over every other axis (var biased, dividing by
//   the count), and the moving statistics are updated in place, outside the tape:
//   moving = moving * momentum + batch * (1 - momentum), with the biased variance, as Keras does.
//   The gradient flows through the batch statistics.
// inference: mean and var are moving_mean and moving_var, left unchanged.
// gamma and beta are (C,) tensors, or undefined tensors for Keras's scale=False / center=False.
// moving_mean and moving_var are (C,) with x's dtype and never receive gradients.
// mask (training only; ignored at inference): undefined, or x's shape without its last axis, with x's
//   dtype; nonzero marks a kept position. As Keras's BatchNormalization._moments, the weights are the
//   mask broadcast over x's last axis (whatever `axis` is) and the batch statistics are
//   mean = sum(w * x) / (sum(w) + 1e-7), var = sum(w * (x - mean)^2) / (sum(w) + 1e-7)
//   (Keras's backend.epsilon()); all positions are normalised with them. A channel with no kept
//   position gets mean 0 and var 0.
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& moving_mean, Tensor& moving_var,
                  std::int64_t axis = -1, double momentum = 0.99, double epsilon = 1e-3, bool training = false,
                  const Tensor& mask = Tensor());

}  // namespace minidl
