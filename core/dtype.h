#pragma once
// Element types. float32 trains; float64 exists so gradients can be checked by finite differences.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

namespace minidl {

enum class DType : std::uint8_t { Float32, Float64 };

constexpr std::size_t dtype_size(DType d) { return d == DType::Float32 ? 4 : 8; }
constexpr std::string_view dtype_name(DType d) { return d == DType::Float32 ? "float32" : "float64"; }

template <class T>
constexpr DType dtype_of() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "minidl tensors hold float or double");
  return std::is_same_v<T, float> ? DType::Float32 : DType::Float64;
}

// Calls f(T{}) with T = float or double matching `d`; kernels are written once as templates.
template <class F>
decltype(auto) dispatch(DType d, F&& f) {
  if (d == DType::Float32) return f(float{});
  return f(double{});
}

// Parses "float32"/"float64" (Keras's dtype strings); throws std::invalid_argument otherwise.
DType parse_dtype(std::string_view name);

}  // namespace minidl

template <>
struct fmt::formatter<minidl::DType> : fmt::formatter<std::string_view> {
  auto format(minidl::DType d, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(minidl::dtype_name(d), ctx);
  }
};
