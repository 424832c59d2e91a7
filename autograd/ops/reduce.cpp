#include "minidl/autograd/ops/reduce.h"

#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/autograd/pointwise.h"
#include "minidl/core/kernels/reduce.h"

namespace minidl {

namespace {

Shape reduced_shape(const Shape& s, const std::vector<std::int64_t>& axes, bool keepdims) {
  std::vector<std::int64_t> dims;
  std::size_t k = 0;
  for (std::int64_t i = 0; i < s.ndim(); ++i) {
    const bool r = k < axes.size() && axes[k] == i;
    if (r) ++k;
    if (!r) dims.push_back(s.dims()[static_cast<std::size_t>(i)]);
    else if (keepdims) dims.push_back(1);
  }
  return Shape(std::move(dims));
}

template <class Op>
Tensor reduce_raw(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  Tensor out = Tensor::empty(reduced_shape(x.shape(), axes, keepdims), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::reduce<Op, T>(x.data<T>(), x.shape(), axes, out.data<T>());
  });
  return out;
}

std::int64_t reduced_count(const Shape& s, const std::vector<std::int64_t>& axes) {
  std::int64_t n = 1;
  for (auto a : axes) n *= s.dims()[static_cast<std::size_t>(a)];
  return n;
}

// max and min: the gradient goes to every element equal to the extreme, split among ties.
template <class Op>
Tensor extreme(const char* name, const Tensor& x, const std::vector<std::int64_t>& axes_in, bool keepdims) {
  const auto axes = normalize_axes(axes_in, x.ndim(), fmt::format("{}: axes", name));
  if (x.numel() == 0 || reduced_count(x.shape(), axes) == 0)
    throw_invalid_argument("{}: cannot reduce an empty axis of a tensor of shape {}", name, x.shape());
  Tensor y = reduce_raw<Op>(x, axes, keepdims);
  const Shape keep = reduced_shape(x.shape(), axes, true);
  return autograd::record(name, {x}, y, [xs = autograd::saved(x), ys = autograd::saved(y), axes, keep](
                                             const Tensor& g, const autograd::GradMask&) -> std::vector<Tensor> {
    Tensor mask = equal(xs, ys.reshape(keep));
    Tensor count = reduce_raw<kernels::SumOp>(mask, axes, true);
    return {mask * (g.reshape(keep) / count)};
  });
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& axes_in, bool keepdims) {
  const auto axes = normalize_axes(axes_in, x.ndim(), "sum: axes");
  Tensor y = reduce_raw<kernels::SumOp>(x, axes, keepdims);
  const Shape keep = reduced_shape(x.shape(), axes, true);
  return autograd::record("sum", {x}, y, [shape = x.shape(), keep](const Tensor& g, const autograd::GradMask&) {
    return std::vector<Tensor>{broadcast_to(g.reshape(keep), shape)};
  });
}

Tensor mean(const Tensor& x, const std::vector<std::int64_t>& axes_in, bool keepdims) {
  const auto axes = normalize_axes(axes_in, x.ndim(), "mean: axes");
  const std::int64_t n = reduced_count(x.shape(), axes);
  return sum(x, axes, keepdims) / static_cast<double>(n);
}

Tensor max(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  return extreme<kernels::MaxOp>("max", x, axes, keepdims);
}

Tensor min(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  return extreme<kernels::MinOp>("min", x, axes, keepdims);
}

Tensor variance(const Tensor& x, const std::vector<std::int64_t>& axes_in, bool keepdims, std::int64_t correction) {
  const auto axes = normalize_axes(axes_in, x.ndim(), "variance: axes");
  const std::int64_t n = reduced_count(x.shape(), axes);
  if (correction < 0 || correction >= n)
    throw_invalid_argument("variance: correction must be in [0, {}) for {} reduced elements, received correction={}",
                           n, n, correction);
  Tensor centered = x - mean(x, axes, true);
  return sum(square(centered), axes, keepdims) / static_cast<double>(n - correction);
}

Tensor Tensor::sum() const { return minidl::sum(*this); }
Tensor Tensor::sum(const std::vector<std::int64_t>& axes, bool keepdims) const {
  return minidl::sum(*this, axes, keepdims);
}
Tensor Tensor::mean() const { return minidl::mean(*this); }
Tensor Tensor::mean(const std::vector<std::int64_t>& axes, bool keepdims) const {
  return minidl::mean(*this, axes, keepdims);
}

namespace autograd {

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const std::int64_t lead = g.ndim() - shape.ndim();
  if (lead < 0) throw_invalid_argument("sum_to: cannot reduce shape {} to the larger shape {}", g.shape(), shape);
  std::vector<std::int64_t> axes;
  for (std::int64_t i = 0; i < g.ndim(); ++i) {
    if (i < lead) {
      axes.push_back(i);
    } else {
      const auto want = shape.dims()[static_cast<std::size_t>(i - lead)];
      const auto have = g.shape().dims()[static_cast<std::size_t>(i)];
      if (want == 1 && have != 1) axes.push_back(i);
      else if (want != have)
        throw_invalid_argument("sum_to: shape {} does not broadcast to {}", shape, g.shape());
    }
  }
  return reduce_raw<kernels::SumOp>(g, axes, false).reshape(shape);
}

}  // namespace autograd

}  // namespace minidl
