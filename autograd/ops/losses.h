#pragma once
// Keras's loss functions (keras.losses.*, Keras 3 formulas): each returns the per-sample loss,
// reduced over the last axis as Keras does; the Loss objects in optim/ add the batch reduction.
// y_true is cast to y_pred's dtype; it never receives a gradient in training, but the functions
// are differentiable in both arguments (useful for gradchecks and distillation).
#include <cstdint>
#include <optional>

#include "minidl/core/tensor.h"

namespace minidl::losses {

// Keras's backend.epsilon(): the clamp applied to probabilities before taking logs.
inline constexpr double kEpsilon = 1e-7;

// mean((y_true - y_pred)^2, axis=-1); a trailing size-1 axis on one side is squeezed as Keras does.
Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred);
// mean(|y_true - y_pred|, axis=-1).
Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred);

// mean over `axis` of -(t log p + (1 - t) log(1 - p)), p clipped to [eps, 1 - eps]; from_logits
// uses the stable form softplus(z) - t z. label_smoothing: t -> t (1 - ls) + ls / 2.
Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                           double label_smoothing = 0.0, std::int64_t axis = -1);

// -sum(t log p) over `axis`; probabilities are renormalised to sum 1 and clipped to
// [eps, 1 - eps]; logits go through log_softmax. label_smoothing: t -> t (1 - ls) + ls / classes.
Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                                double label_smoothing = 0.0, std::int64_t axis = -1);

// y_true holds integer class ids (any dtype) with y_pred's shape minus the class axis (a trailing
// size-1 axis is squeezed). Ids outside [0, classes) throw unless equal to `ignore_class`, whose
// samples get loss 0.
Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                                       std::optional<std::int64_t> ignore_class = std::nullopt,
                                       std::int64_t axis = -1);

}  // namespace minidl::losses
