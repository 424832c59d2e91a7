#include "minidl/core/shape.h"

#include <algorithm>

#include "minidl/core/dtype.h"
#include "minidl/core/error.h"

namespace minidl {

DType parse_dtype(std::string_view name) {
  if (name == "float32") return DType::Float32;
  if (name == "float64") return DType::Float64;
  throw_invalid_argument("dtype must be 'float32' or 'float64', received dtype='{}'", name);
}

Shape::Shape(std::initializer_list<std::int64_t> dims) : Shape(std::vector<std::int64_t>(dims)) {}

Shape::Shape(std::vector<std::int64_t> dims) : dims_(std::move(dims)) {
  for (std::size_t i = 0; i < dims_.size(); ++i)
    if (dims_[i] < -1)
      throw_invalid_argument("shape extents must be >= 0 (or -1 for unknown), received {} at axis {} of ({})",
                             dims_[i], i, fmt::join(dims_, ", "));
}

bool Shape::is_fully_defined() const {
  return std::all_of(dims_.begin(), dims_.end(), [](std::int64_t d) { return d >= 0; });
}

std::int64_t Shape::numel() const {
  std::int64_t n = 1;
  for (auto d : dims_) n *= d;
  return n;
}

std::int64_t Shape::operator[](std::int64_t axis) const {
  return dims_[static_cast<std::size_t>(normalize_axis(axis, ndim()))];
}

std::vector<std::int64_t> Shape::strides() const {
  std::vector<std::int64_t> s(dims_.size());
  std::int64_t acc = 1;
  for (std::size_t i = dims_.size(); i-- > 0;) {
    s[i] = acc;
    acc *= dims_[i];
  }
  return s;
}

std::string Shape::str() const {
  if (dims_.size() == 1) return fmt::format("({},)", dims_[0]);
  return fmt::format("({})", fmt::join(dims_, ", "));
}

std::int64_t normalize_axis(std::int64_t axis, std::int64_t ndim, std::string_view arg) {
  if (axis < -ndim || axis >= ndim || ndim == 0)
    throw_out_of_range("{}={} is out of range for a tensor of rank {} (allowed: {} to {})", arg, axis,
                       ndim, -ndim, ndim - 1);
  return axis < 0 ? axis + ndim : axis;
}

std::vector<std::int64_t> normalize_axes(const std::vector<std::int64_t>& axes, std::int64_t ndim,
                                         std::string_view arg) {
  std::vector<std::int64_t> out;
  if (axes.empty()) {
    for (std::int64_t i = 0; i < ndim; ++i) out.push_back(i);
    return out;
  }
  for (auto a : axes) out.push_back(normalize_axis(a, ndim, arg));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    throw_invalid_argument("{} must not repeat an axis, received [{}]", arg, fmt::join(axes, ", "));
  return out;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op) {
  const std::int64_t n = std::max(a.ndim(), b.ndim());
  std::vector<std::int64_t> out(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t da = i < n - a.ndim() ? 1 : a.dims()[static_cast<std::size_t>(i - (n - a.ndim()))];
    const std::int64_t db = i < n - b.ndim() ? 1 : b.dims()[static_cast<std::size_t>(i - (n - b.ndim()))];
    if (da != db && da != 1 && db != 1)
      throw_invalid_argument("{}: shapes {} and {} cannot be broadcast together (axis {} from the end: {} vs {})",
                             op, a, b, n - i, da, db);
    out[static_cast<std::size_t>(i)] = da == 1 ? db : da;
  }
  return Shape(std::move(out));
}

}  // namespace minidl
