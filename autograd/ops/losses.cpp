#include "minidl/autograd/ops/losses.h"

#include <algorithm>
#include <cmath>

#include "minidl/autograd/ops/activations.h"
#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/reduce.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/autograd/pointwise.h"
#include "minidl/core/error.h"

namespace minidl::losses {

namespace {

Tensor squeeze_last(const Tensor& t) {
  Shape s = t.shape();
  std::vector<std::int64_t> dims(s.begin(), s.end() - 1);
  return reshape(t, Shape(dims.begin(), dims.end()));
}

// Keras's squeeze_or_expand_to_same_rank: when the ranks differ by one and the longer tensor ends
// in 1, squeeze that axis (or, when the shorter one has rank 1, expand it instead).
std::pair<Tensor, Tensor> align_ranks(Tensor a, Tensor b) {
  const auto ra = a.ndim(), rb = b.ndim();
  if (ra == rb + 1 && a.shape()[ra - 1] == 1) {
    if (rb == 1) b = reshape(b, Shape{b.shape()[0], 1});
    else a = squeeze_last(a);
  } else if (rb == ra + 1 && b.shape()[rb - 1] == 1) {
    if (ra == 1) a = reshape(a, Shape{a.shape()[0], 1});
    else b = squeeze_last(b);
  }
  return {a, b};
}

Tensor as_dtype_of(const Tensor& t, const Tensor& like) { return t.dtype() == like.dtype() ? t : cast(t, like.dtype()); }

void require_same_shape(const char* op, const Tensor& y_true, const Tensor& y_pred) {
  if (y_true.shape() != y_pred.shape())
    throw_invalid_argument("{}: y_true and y_pred must have the same shape, received y_true.shape={}, y_pred.shape={}",
                           op, y_true.shape(), y_pred.shape());
}

void require_smoothing(const char* op, double ls) {
  if (!(ls >= 0.0 && ls <= 1.0))
    throw_invalid_argument("{}: label_smoothing must be in [0, 1], received label_smoothing={}", op, ls);
}

Tensor prepared_targets(const char* op, const Tensor& y_true, const Tensor& y_pred) {
  if (y_pred.ndim() < 1)
    throw_invalid_argument("{}: y_pred must have rank >= 1, received shape {}", op, y_pred.shape());
  return as_dtype_of(y_true, y_pred);
}

// Logits go through log_softmax; probabilities are renormalised and clipped first, as Keras does.
Tensor log_probabilities(const Tensor& y_pred, std::int64_t axis, bool from_logits) {
  if (from_logits) return activations::log_softmax(y_pred, axis);
  return log(clip(div(y_pred, sum(y_pred, {axis}, true)), kEpsilon, 1.0 - kEpsilon));
}

// After align_ranks: shapes that still differ would broadcast (Keras does, silently) into a loss
// over pairs that mean nothing, e.g. two targets against one output.
void require_aligned(const char* op, const Tensor& y_true, const Tensor& y_pred, const Tensor& t, const Tensor& p) {
  if (t.shape() != p.shape())
    throw_invalid_argument("{}: y_true and y_pred must have the same shape (up to a trailing axis of size 1), "
                           "received y_true.shape={}, y_pred.shape={}",
                           op, y_true.shape(), y_pred.shape());
}

}  // namespace

Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = align_ranks(prepared_targets("mean_squared_error", y_true, y_pred), y_pred);
  require_aligned("mean_squared_error", y_true, y_pred, t, p);
  return mean(square(sub(t, p)), {-1});
}

Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = align_ranks(prepared_targets("mean_absolute_error", y_true, y_pred), y_pred);
  require_aligned("mean_absolute_error", y_true, y_pred, t, p);
  return mean(abs(sub(t, p)), {-1});
}

Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits, double label_smoothing,
                           std::int64_t axis) {
  Tensor t = prepared_targets("binary_crossentropy", y_true, y_pred);
  require_same_shape("binary_crossentropy", t, y_pred);
  require_smoothing("binary_crossentropy", label_smoothing);
  if (label_smoothing > 0) t = t * (1.0 - label_smoothing) + 0.5 * label_smoothing;
  Tensor elementwise;
  if (from_logits) {
    // -t log sigmoid(z) - (1 - t) log sigmoid(-z) == softplus(z) - t z, without overflow.
    elementwise = autograd::binary_pointwise(
        "binary_crossentropy", t, y_pred,
        [](auto tv, auto z) { return std::max(z, decltype(z)(0)) - tv * z + std::log1p(std::exp(-std::abs(z))); },
        [](auto, auto z, auto) { return -z; },
        [](auto tv, auto z, auto) {
          using T = decltype(z);
          const T s = z >= 0 ? T(1) / (T(1) + std::exp(-z)) : std::exp(z) / (T(1) + std::exp(z));
          return s - tv;
        });
  } else {
    // Keras clamps the probabilities to [eps, 1 - eps]; outside that band the gradient is zero.
    elementwise = autograd::binary_pointwise(
        "binary_crossentropy", t, y_pred,
        [](auto tv, auto p) {
          using T = decltype(p);
          const T pc = std::clamp(p, T(kEpsilon), T(1.0 - kEpsilon));
          return -(tv * std::log(pc) + (T(1) - tv) * std::log(T(1) - pc));
        },
        [](auto, auto p, auto) {
          using T = decltype(p);
          const T pc = std::clamp(p, T(kEpsilon), T(1.0 - kEpsilon));
          return std::log(T(1) - pc) - std::log(pc);
        },
        [](auto tv, auto p, auto) {
          using T = decltype(p);
          if (p < T(kEpsilon) || p > T(1.0 - kEpsilon)) return T(0);
          return -(tv / p) + (T(1) - tv) / (T(1) - p);
        });
  }
  return mean(elementwise, {axis});
}

Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits, double label_smoothing,
                                std::int64_t axis) {
  Tensor t = prepared_targets("categorical_crossentropy", y_true, y_pred);
  require_same_shape("categorical_crossentropy", t, y_pred);
  require_smoothing("categorical_crossentropy", label_smoothing);
  const std::int64_t a = normalize_axis(axis, y_pred.ndim(), "categorical_crossentropy: axis");
  if (y_pred.shape()[y_pred.ndim() - 1] == 1)
    throw_invalid_argument(
        "categorical_crossentropy: y_pred must be (batch_size, num_classes) with num_classes > 1, received "
        "y_pred.shape={}; use binary_crossentropy for a single output",
        y_pred.shape());
  if (label_smoothing > 0)
    t = t * (1.0 - label_smoothing) + label_smoothing / static_cast<double>(y_pred.shape()[y_pred.ndim() - 1]);
  const Tensor log_prob = log_probabilities(y_pred, a, from_logits);
  return neg(sum(mul(t, log_prob), {a}));
}

Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits,
                                       std::optional<std::int64_t> ignore_class, std::int64_t axis) {
  const char* op = "sparse_categorical_crossentropy";
  if (y_pred.ndim() < 1) throw_invalid_argument("{}: y_pred must have rank >= 1, received shape {}", op, y_pred.shape());
  const std::int64_t a = normalize_axis(axis, y_pred.ndim(), "sparse_categorical_crossentropy: axis");
  Tensor ids = y_true;
  if (ids.ndim() == y_pred.ndim() && ids.shape()[a] == 1) ids = ids.squeeze(a);
  std::vector<std::int64_t> expected;
  for (std::int64_t d = 0; d < y_pred.ndim(); ++d)
    if (d != a) expected.push_back(y_pred.shape()[d]);
  if (ids.shape() != Shape(expected.begin(), expected.end()))
    throw_invalid_argument(
        "{}: y_true must have y_pred's shape without the class axis, received y_true.shape={}, y_pred.shape={}", op,
        y_true.shape(), y_pred.shape());

  // One-hot targets (all zero for ignored samples, so their loss is 0), built without autograd.
  const std::int64_t classes = y_pred.shape()[a];
  Tensor one_hot = Tensor::zeros(y_pred.shape(), y_pred.dtype());
  Tensor valid = Tensor::ones(ids.shape(), y_pred.dtype());
  std::int64_t inner = 1;
  for (std::int64_t d = a + 1; d < y_pred.ndim(); ++d) inner *= y_pred.shape()[d];
  const std::vector<double> id_values = cast(ids.detach(), DType::Float64).to_vector<double>();
  dispatch(y_pred.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* oh = one_hot.data<T>();
    T* ok = valid.data<T>();
    for (std::size_t i = 0; i < id_values.size(); ++i) {
      const double v = id_values[i];
      if (ignore_class && v == static_cast<double>(*ignore_class)) {
        ok[i] = T(0);
        continue;
      }
      if (!(v >= 0 && v < static_cast<double>(classes)) || v != std::floor(v))
        throw_invalid_argument("{}: y_true must hold integer class ids in [0, {}), received {} at flat index {}", op,
                               classes, v, i);
      const auto outer_index = static_cast<std::int64_t>(i) / inner, inner_index = static_cast<std::int64_t>(i) % inner;
      oh[(outer_index * classes + static_cast<std::int64_t>(v)) * inner + inner_index] = T(1);
    }
  });
  const Tensor log_prob = log_probabilities(y_pred, a, from_logits);
  Tensor loss = neg(sum(mul(one_hot, log_prob), {a}));
  return ignore_class ? mul(loss, valid) : loss;
}

}  // namespace minidl::losses
