#pragma once
// Shape: the extents of a tensor, row-major. Also the axis and broadcasting rules every op shares.
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace minidl {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims);
  explicit Shape(std::vector<std::int64_t> dims);
  template <class It>
  Shape(It first, It last) : Shape(std::vector<std::int64_t>(first, last)) {}

  std::int64_t ndim() const { return static_cast<std::int64_t>(dims_.size()); }
  std::int64_t numel() const;  // product of the extents (meaningless while an extent is -1)
  bool is_fully_defined() const;  // no extent is -1 (-1 = unknown: a Keras None, or reshape's "infer")
  // Extent of `axis`; negative axes count from the end. Throws std::out_of_range naming the axis.
  std::int64_t operator[](std::int64_t axis) const;
  std::int64_t at(std::int64_t axis) const { return (*this)[axis]; }
  const std::vector<std::int64_t>& dims() const { return dims_; }
  auto begin() const { return dims_.begin(); }
  auto end() const { return dims_.end(); }
  bool empty() const { return dims_.empty(); }

  std::vector<std::int64_t> strides() const;  // contiguous row-major strides, in elements
  std::string str() const;                    // "(2, 3)", "()" for a scalar

  friend bool operator==(const Shape&, const Shape&) = default;

 private:
  std::vector<std::int64_t> dims_;
};

// Maps a possibly negative axis into [0, ndim); throws std::out_of_range naming `arg` and the range.
std::int64_t normalize_axis(std::int64_t axis, std::int64_t ndim, std::string_view arg = "axis");
// Normalizes, sorts and de-duplicates a list of axes; an empty list means "every axis".
std::vector<std::int64_t> normalize_axes(const std::vector<std::int64_t>& axes, std::int64_t ndim,
                                         std::string_view arg = "axes");
// NumPy broadcasting; throws std::invalid_argument naming `op` and both shapes on mismatch.
Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op);

// `std::cout << shape` prints what fmt prints: "(2, 3)".
inline std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.str(); }

}  // namespace minidl

template <>
struct fmt::formatter<minidl::Shape> : fmt::formatter<std::string_view> {
  auto format(const minidl::Shape& s, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(s.str(), ctx);
  }
};
