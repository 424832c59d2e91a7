// softmax, log_softmax and sparsemax over one axis: each row (the elements along the axis for one
// position of the other axes) is independent, so the kernels walk rows with a stride.
#include <algorithm>
#include <cmath>
#include <vector>

#include "minidl/autograd/node.h"
#include "minidl/autograd/ops/activations.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"
#include "minidl/core/parallel.h"

namespace minidl::activations {

namespace {

// x viewed as (outer, n, inner): row r = (o, i) holds x[o, :, i] with stride `inner`.
struct RowLayout {
  std::int64_t outer = 1, n = 1, inner = 1;
  std::int64_t rows() const { return outer * inner; }
  std::int64_t base(std::int64_t r) const { return (r / inner) * n * inner + r % inner; }
};

RowLayout row_layout(const Tensor& x, std::int64_t axis, const char* op) {
  if (x.ndim() == 0) throw_invalid_argument("{}: input must have at least 1 dimension, received a scalar", op);
  const std::int64_t a = normalize_axis(axis, x.ndim(), fmt::format("{}: axis", op));
  RowLayout l;
  for (std::int64_t d = 0; d < a; ++d) l.outer *= x.shape()[d];
  l.n = x.shape()[a];
  for (std::int64_t d = a + 1; d < x.ndim(); ++d) l.inner *= x.shape()[d];
  return l;
}

// Calls fn(ptrs..., stride, n) once per row, rows split over the thread pool.
template <class Fn>
void for_each_row(const RowLayout& l, Fn fn) {
  parallel_for(0, l.rows(), std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(l.n, 1)),
               [&](std::int64_t begin, std::int64_t end) {
                 for (std::int64_t r = begin; r < end; ++r) fn(l.base(r));
               });
}

enum class Kind { Softmax, LogSoftmax };

template <class T>
void softmax_rows(const RowLayout& l, const T* x, T* y, Kind kind) {
  const std::int64_t s = l.inner;
  for_each_row(l, [&](std::int64_t b) {
    T m = -INFINITY;
    for (std::int64_t k = 0; k < l.n; ++k) m = std::max(m, x[b + k * s]);
    if (!std::isfinite(m)) m = 0;  // all -inf rows give NaN like NumPy, not a crash
    double total = 0;
    for (std::int64_t k = 0; k < l.n; ++k) total += std::exp(double(x[b + k * s] - m));
    if (kind == Kind::Softmax) {
      const T inv = T(1.0 / total);
      for (std::int64_t k = 0; k < l.n; ++k) y[b + k * s] = std::exp(x[b + k * s] - m) * inv;
    } else {
      const T lse = m + T(std::log(total));
      for (std::int64_t k = 0; k < l.n; ++k) y[b + k * s] = x[b + k * s] - lse;
    }
  });
}

// softmax: dx = y (g - <g, y>);  log_softmax: dx = g - exp(y) sum(g).
template <class T>
void softmax_backward_rows(const RowLayout& l, const T* g, const T* y, T* dx, Kind kind) {
  const std::int64_t s = l.inner;
  for_each_row(l, [&](std::int64_t b) {
    double acc = 0;
    for (std::int64_t k = 0; k < l.n; ++k)
      acc += kind == Kind::Softmax ? double(g[b + k * s]) * y[b + k * s] : double(g[b + k * s]);
    const T dot = T(acc);
    for (std::int64_t k = 0; k < l.n; ++k) {
      const std::int64_t i = b + k * s;
      dx[i] = kind == Kind::Softmax ? y[i] * (g[i] - dot) : g[i] - std::exp(y[i]) * dot;
    }
  });
}

Tensor softmax_like(const Tensor& x, std::int64_t axis, Kind kind) {
  const char* op = kind == Kind::Softmax ? "softmax" : "log_softmax";
  const RowLayout l = row_layout(x, axis, op);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    softmax_rows<T>(l, x.data<T>(), y.data<T>(), kind);
  });
  return autograd::record(op, {x}, y, [l, kind, ys = autograd::saved(y)](const Tensor& g, const autograd::GradMask&) {
    Tensor dx = Tensor::empty(ys.shape(), ys.dtype());
    const Tensor& gc = g;
    dispatch(ys.dtype(), [&](auto tag) {
      using T = decltype(tag);
      softmax_backward_rows<T>(l, gc.data<T>(), ys.data<T>(), dx.data<T>(), kind);
    });
    return std::vector<Tensor>{dx};
  });
}

// tau is chosen so that sum(max(x - tau, 0)) = 1 over the row.
template <class T>
void sparsemax_rows(const RowLayout& l, const T* x, T* y) {
  const std::int64_t s = l.inner;
  for_each_row(l, [&](std::int64_t b) {
    std::vector<T> z(l.n);
    for (std::int64_t k = 0; k < l.n; ++k) z[k] = x[b + k * s];
    std::sort(z.begin(), z.end(), std::greater<T>());
    double cumsum = 0, tau = 0;
    for (std::int64_t k = 0; k < l.n; ++k) {
      cumsum += z[k];
      if (1 + double(k + 1) * z[k] > cumsum) tau = (cumsum - 1) / double(k + 1);
    }
    for (std::int64_t k = 0; k < l.n; ++k) y[b + k * s] = std::max(x[b + k * s] - T(tau), T(0));
  });
}

// On the support S (y > 0): dx = g - mean_S(g); elsewhere 0.
template <class T>
void sparsemax_backward_rows(const RowLayout& l, const T* g, const T* y, T* dx) {
  const std::int64_t s = l.inner;
  for_each_row(l, [&](std::int64_t b) {
    double acc = 0;
    std::int64_t support = 0;
    for (std::int64_t k = 0; k < l.n; ++k)
      if (y[b + k * s] > 0) {
        acc += g[b + k * s];
        ++support;
      }
    const T mean_g = support ? T(acc / double(support)) : T(0);
    for (std::int64_t k = 0; k < l.n; ++k) dx[b + k * s] = y[b + k * s] > 0 ? g[b + k * s] - mean_g : T(0);
  });
}

// The axes moved last and flattened into one: each group of elements they span is one row.
Tensor softmax_like(const Tensor& x, const std::vector<std::int64_t>& axes, Kind kind, const char* op) {
  if (axes.empty()) throw_invalid_argument("{}: axis must name at least one axis, received an empty list", op);
  if (x.ndim() == 0) throw_invalid_argument("{}: input must have at least 1 dimension, received a scalar", op);
  const std::vector<std::int64_t> ax = normalize_axes(axes, x.ndim(), fmt::format("{}: axis", op));
  if (ax.size() == 1) return softmax_like(x, ax[0], kind);
  std::vector<std::int64_t> order, grouped;
  for (std::int64_t d = 0; d < x.ndim(); ++d)
    if (!std::binary_search(ax.begin(), ax.end(), d)) {
      order.push_back(d);
      grouped.push_back(x.shape()[d]);
    }
  std::int64_t n = 1;
  for (std::int64_t d : ax) {
    order.push_back(d);
    n *= x.shape()[d];
  }
  grouped.push_back(n);
  const Tensor moved = permute(x, order);
  const Tensor y = reshape(softmax_like(reshape(moved, Shape(grouped.begin(), grouped.end())), -1, kind), moved.shape());
  std::vector<std::int64_t> back(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) back[static_cast<std::size_t>(order[i])] = static_cast<std::int64_t>(i);
  return permute(y, back);
}

}  // namespace

Tensor softmax(const Tensor& x, std::int64_t axis) { return softmax_like(x, axis, Kind::Softmax); }

Tensor log_softmax(const Tensor& x, std::int64_t axis) { return softmax_like(x, axis, Kind::LogSoftmax); }

Tensor softmax(const Tensor& x, const std::vector<std::int64_t>& axes) {
  return softmax_like(x, axes, Kind::Softmax, "softmax");
}

Tensor log_softmax(const Tensor& x, const std::vector<std::int64_t>& axes) {
  return softmax_like(x, axes, Kind::LogSoftmax, "log_softmax");
}

Tensor sparsemax(const Tensor& x, std::int64_t axis) {
  const RowLayout l = row_layout(x, axis, "sparsemax");
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    sparsemax_rows<T>(l, x.data<T>(), y.data<T>());
  });
  return autograd::record("sparsemax", {x}, y, [l, ys = autograd::saved(y)](const Tensor& g, const autograd::GradMask&) {
    Tensor dx = Tensor::empty(ys.shape(), ys.dtype());
    const Tensor& gc = g;
    dispatch(ys.dtype(), [&](auto tag) {
      using T = decltype(tag);
      sparsemax_backward_rows<T>(l, gc.data<T>(), ys.data<T>(), dx.data<T>());
    });
    return std::vector<Tensor>{dx};
  });
}

}  // namespace minidl::activations
