#include "minidl/autograd/ops/shape.h"

#include <algorithm>
#include <numeric>

#include "minidl/autograd/pointwise.h"
#include "minidl/core/kernels/strided_copy.h"

namespace minidl {

using autograd::GradMask;
using autograd::record;

namespace {

Tensor view_as(const Tensor& x, const Shape& shape) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = x.impl()->storage;
  impl->shape = shape;
  impl->dtype = x.dtype();
  return Tensor(std::move(impl));
}

// Copies the block `extents` of src (starting at src_offset, with src_strides) into dst.
void copy_block(Tensor& dst, std::int64_t dst_offset, const std::vector<std::int64_t>& dst_strides, const Tensor& src,
                std::int64_t src_offset, const std::vector<std::int64_t>& src_strides,
                const std::vector<std::int64_t>& extents) {
  const std::size_t es = dtype_size(src.dtype());
  kernels::strided_copy(static_cast<unsigned char*>(dst.raw_data()) + dst_offset * static_cast<std::int64_t>(es),
                        dst_strides,
                        static_cast<const unsigned char*>(src.raw_data()) + src_offset * static_cast<std::int64_t>(es),
                        src_strides, extents, es);
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  std::vector<std::int64_t> dims = shape.dims();
  std::int64_t known = 1;
  int infer = -1;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1) {
      if (infer >= 0) throw_invalid_argument("reshape: only one extent may be -1, received {}", shape);
      infer = static_cast<int>(i);
    } else {
      known *= dims[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x.numel() % known != 0)
      throw_invalid_argument("reshape: cannot infer the -1 extent of {} for a tensor of shape {} ({} elements)",
                             Shape(dims), x.shape(), x.numel());
    dims[static_cast<std::size_t>(infer)] = x.numel() / known;
  }
  Shape target(dims);
  if (target.numel() != x.numel())
    throw_invalid_argument("reshape: cannot reshape a tensor of shape {} ({} elements) to {} ({} elements)", x.shape(),
                           x.numel(), target, target.numel());
  return record("reshape", {x}, view_as(x, target),
                [in = x.shape()](const Tensor& g, const GradMask&) { return std::vector<Tensor>{g.reshape(in)}; });
}

Tensor permute(const Tensor& x, const std::vector<std::int64_t>& order) {
  const auto nd = x.ndim();
  if (static_cast<std::int64_t>(order.size()) != nd)
    throw_invalid_argument("permute: order [{}] must list each of the {} axes of shape {} once",
                           fmt::join(order, ", "), nd, x.shape());
  std::vector<std::int64_t> norm;
  for (auto a : order) norm.push_back(normalize_axis(a, nd, "permute order"));
  std::vector<std::int64_t> sorted = norm;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    throw_invalid_argument("permute: order [{}] repeats an axis", fmt::join(order, ", "));
  std::vector<std::int64_t> dims(static_cast<std::size_t>(nd)), src_strides(static_cast<std::size_t>(nd));
  const auto in_strides = x.shape().strides();
  for (std::size_t i = 0; i < norm.size(); ++i) {
    dims[i] = x.shape().dims()[static_cast<std::size_t>(norm[i])];
    src_strides[i] = in_strides[static_cast<std::size_t>(norm[i])];
  }
  Tensor out = Tensor::empty(Shape(dims), x.dtype());
  copy_block(out, 0, out.shape().strides(), x, 0, src_strides, dims);
  std::vector<std::int64_t> inverse(norm.size());
  for (std::size_t i = 0; i < norm.size(); ++i) inverse[static_cast<std::size_t>(norm[i])] = static_cast<std::int64_t>(i);
  return record("permute", {x}, out, [inverse](const Tensor& g, const GradMask&) {
    return std::vector<Tensor>{permute(g, inverse)};
  });
}

Tensor transpose(const Tensor& x, std::int64_t axis0, std::int64_t axis1) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(x.ndim()));
  std::iota(order.begin(), order.end(), 0);
  std::swap(order[static_cast<std::size_t>(normalize_axis(axis0, x.ndim(), "transpose: axis0"))],
            order[static_cast<std::size_t>(normalize_axis(axis1, x.ndim(), "transpose: axis1"))]);
  return permute(x, order);
}

Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t stop, std::int64_t step) {
  const auto ax = static_cast<std::size_t>(normalize_axis(axis, x.ndim(), "slice axis"));
  if (step < 1) throw_invalid_argument("slice: step must be >= 1, received step={}", step);
  const std::int64_t n = x.shape().dims()[ax];
  auto clamp = [n](std::int64_t v) { return std::clamp(v < 0 ? v + n : v, std::int64_t{0}, n); };
  const std::int64_t lo = clamp(start), hi = clamp(stop);
  const std::int64_t count = hi > lo ? (hi - lo + step - 1) / step : 0;
  std::vector<std::int64_t> dims = x.shape().dims();
  dims[ax] = count;
  const auto strides = x.shape().strides();
  std::vector<std::int64_t> src_strides = strides;
  src_strides[ax] *= step;
  Tensor out = Tensor::empty(Shape(dims), x.dtype());
  copy_block(out, 0, out.shape().strides(), x, lo * strides[ax], src_strides, dims);
  return record("slice", {x}, out, [in = x.shape(), ax, lo, step](const Tensor& g, const GradMask&) {
    Tensor gx = Tensor::zeros(in, g.dtype());
    const auto st = in.strides();
    std::vector<std::int64_t> dst_strides = st;
    dst_strides[ax] *= step;
    copy_block(gx, lo * st[ax], dst_strides, g, 0, g.shape().strides(), g.shape().dims());
    return std::vector<Tensor>{gx};
  });
}

Tensor flip(const Tensor& x, std::int64_t axis) {
  const auto ax = static_cast<std::size_t>(normalize_axis(axis, x.ndim(), "flip axis"));
  const std::vector<std::int64_t>& dims = x.shape().dims();
  // Read from the last element of the axis backwards: a negative source stride.
  std::vector<std::int64_t> src_strides = x.shape().strides();
  const std::int64_t offset = dims[ax] > 0 ? (dims[ax] - 1) * src_strides[ax] : 0;
  src_strides[ax] = -src_strides[ax];
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  copy_block(out, 0, out.shape().strides(), x, offset, src_strides, dims);
  return record("flip", {x}, out, [ax](const Tensor& g, const GradMask&) {
    return std::vector<Tensor>{flip(g, static_cast<std::int64_t>(ax))};
  });
}

Tensor concat(const std::vector<Tensor>& tensors, std::int64_t axis) {
  if (tensors.empty()) throw_invalid_argument("concat: needs at least one tensor, received none");
  const Tensor& first = tensors[0];
  const auto ax = static_cast<std::size_t>(normalize_axis(axis, first.ndim(), "concat axis"));
  std::vector<std::int64_t> dims = first.shape().dims();
  dims[ax] = 0;
  for (std::size_t t = 0; t < tensors.size(); ++t) {
    check_same_dtype(first, tensors[t], "concat");
    const auto& d = tensors[t].shape().dims();
    bool ok = d.size() == dims.size();
    for (std::size_t i = 0; ok && i < d.size(); ++i) ok = i == ax || d[i] == first.shape().dims()[i];
    if (!ok)
      throw_invalid_argument("concat: tensor {} has shape {}, which differs from tensor 0's {} outside axis {}", t,
                             tensors[t].shape(), first.shape(), ax);
    dims[ax] += d[ax];
  }
  Tensor out = Tensor::empty(Shape(dims), first.dtype());
  const auto out_strides = out.shape().strides();
  std::vector<std::int64_t> offsets;
  std::int64_t at = 0;
  for (const auto& t : tensors) {
    offsets.push_back(at);
    copy_block(out, at * out_strides[ax], out_strides, t, 0, t.shape().strides(), t.shape().dims());
    at += t.shape().dims()[ax];
  }
  return record("concat", tensors, out, [offsets, ax, sizes = [&] {
                  std::vector<std::int64_t> s;
                  for (const auto& t : tensors) s.push_back(t.shape().dims()[ax]);
                  return s;
                }()](const Tensor& g, const GradMask& needs) {
    std::vector<Tensor> grads(offsets.size());
    for (std::size_t i = 0; i < offsets.size(); ++i)
      if (needs[i]) grads[i] = slice(g, static_cast<std::int64_t>(ax), offsets[i], offsets[i] + sizes[i]);
    return grads;
  });
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t axis) {
  if (tensors.empty()) throw_invalid_argument("stack: needs at least one tensor, received none");
  const auto ax = normalize_axis(axis, tensors[0].ndim() + 1, "stack axis");
  std::vector<Tensor> expanded;
  for (std::size_t t = 0; t < tensors.size(); ++t) {
    if (tensors[t].shape() != tensors[0].shape())
      throw_invalid_argument("stack: tensor {} has shape {} but tensor 0 has {}; all must match", t,
                             tensors[t].shape(), tensors[0].shape());
    expanded.push_back(tensors[t].unsqueeze(ax));
  }
  return concat(expanded, ax);
}

Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& paddings, double value) {
  if (static_cast<std::int64_t>(paddings.size()) != x.ndim())
    throw_invalid_argument("pad: needs one (before, after) pair per axis: {} pairs for shape {}", paddings.size(),
                           x.shape());
  std::vector<std::int64_t> dims = x.shape().dims();
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (paddings[i].first < 0 || paddings[i].second < 0)
      throw_invalid_argument("pad: paddings must be >= 0, received ({}, {}) for axis {}", paddings[i].first,
                             paddings[i].second, i);
    dims[i] += paddings[i].first + paddings[i].second;
  }
  Tensor out = Tensor::full(Shape(dims), value, x.dtype());
  const auto st = out.shape().strides();
  std::int64_t offset = 0;
  for (std::size_t i = 0; i < dims.size(); ++i) offset += paddings[i].first * st[i];
  copy_block(out, offset, st, x, 0, x.shape().strides(), x.shape().dims());
  return record("pad", {x}, out, [offset, st, in = x.shape()](const Tensor& g, const GradMask&) {
    Tensor gx = Tensor::empty(in, g.dtype());
    copy_block(gx, 0, in.strides(), g, offset, st, in.dims());
    return std::vector<Tensor>{gx};
  });
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  if (broadcast_shapes(x.shape(), shape, "broadcast_to") != shape)
    throw_invalid_argument("broadcast_to: shape {} cannot be broadcast to {}", x.shape(), shape);
  if (x.shape() == shape) return record("broadcast_to", {x}, view_as(x, shape), [](const Tensor& g, const GradMask&) {
      return std::vector<Tensor>{g};
    });
  Tensor out = Tensor::empty(shape, x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::map_broadcast<T, 1>(out.data<T>(), shape, {x.data<T>()}, {&x.shape()}, [](T v) { return v; });
  });
  return record("broadcast_to", {x}, out, [in = x.shape()](const Tensor& g, const GradMask&) {
    return std::vector<Tensor>{autograd::sum_to(g, in)};
  });
}

Tensor cast(const Tensor& x, DType dtype) {
  Tensor out = Tensor::empty(x.shape(), dtype);
  dispatch(dtype, [&](auto to_tag) {
    using To = decltype(to_tag);
    dispatch(x.dtype(), [&](auto from_tag) {
      using From = decltype(from_tag);
      const From* src = x.data<From>();
      To* dst = out.data<To>();
      for (std::int64_t i = 0, n = x.numel(); i < n; ++i) dst[i] = static_cast<To>(src[i]);
    });
  });
  return record("cast", {x}, out, [from = x.dtype()](const Tensor& g, const GradMask&) {
    return std::vector<Tensor>{cast(g, from)};
  });
}

// ---- Tensor methods ----
Tensor Tensor::to(DType dtype) const { return dtype == this->dtype() ? *this : cast(*this, dtype); }
Tensor Tensor::reshape(const Shape& shape) const { return minidl::reshape(*this, shape); }
Tensor Tensor::flatten() const { return minidl::reshape(*this, Shape{numel()}); }
Tensor Tensor::squeeze() const {
  std::vector<std::int64_t> dims;
  for (auto d : shape()) if (d != 1) dims.push_back(d);
  return minidl::reshape(*this, Shape(dims));
}
Tensor Tensor::squeeze(std::int64_t axis) const {
  const auto ax = static_cast<std::size_t>(normalize_axis(axis, ndim(), "squeeze axis"));
  if (shape().dims()[ax] != 1)
    throw_invalid_argument("squeeze: axis {} has extent {} in shape {}; only extent-1 axes can be squeezed", axis,
                           shape().dims()[ax], shape());
  std::vector<std::int64_t> dims = shape().dims();
  dims.erase(dims.begin() + static_cast<std::ptrdiff_t>(ax));
  return minidl::reshape(*this, Shape(dims));
}
Tensor Tensor::unsqueeze(std::int64_t axis) const {
  const auto ax = static_cast<std::size_t>(normalize_axis(axis, ndim() + 1, "unsqueeze axis"));
  std::vector<std::int64_t> dims = shape().dims();
  dims.insert(dims.begin() + static_cast<std::ptrdiff_t>(ax), 1);
  return minidl::reshape(*this, Shape(dims));
}
Tensor Tensor::permute(const std::vector<std::int64_t>& order) const { return minidl::permute(*this, order); }
Tensor Tensor::transpose(std::int64_t a, std::int64_t b) const { return minidl::transpose(*this, a, b); }
Tensor Tensor::slice(std::int64_t axis, std::int64_t start, std::int64_t stop, std::int64_t step) const {
  return minidl::slice(*this, axis, start, stop, step);
}

}  // namespace minidl
