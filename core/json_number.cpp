#include "minidl/core/json_number.h"

#include <cmath>

#include "minidl/core/error.h"

namespace minidl {

namespace {

// 2^63 as a double: the first value past the int64 range (int64 max itself is not representable).
constexpr double kTwo63 = 9223372036854775808.0;

[[noreturn]] void not_an_integer(const nlohmann::json& j, std::string_view what, std::string_view range) {
  throw_invalid_argument("{}: expected an integer{}, received {}", what, range, j.dump());
}

}  // namespace

std::int64_t json_int(const nlohmann::json& j, std::string_view what) {
  if (j.is_number_integer() && !j.is_number_unsigned()) return j.get<std::int64_t>();
  if (j.is_number_unsigned()) {
    const auto u = j.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) not_an_integer(j, what, " in the int64 range");
    return static_cast<std::int64_t>(u);
  }
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (std::isfinite(d) && d == std::trunc(d) && d >= -kTwo63 && d < kTwo63) return static_cast<std::int64_t>(d);
    not_an_integer(j, what, " (a whole number in the int64 range)");
  }
  not_an_integer(j, what, "");
}

std::uint64_t json_uint(const nlohmann::json& j, std::string_view what) {
  if (j.is_number_unsigned()) return j.get<std::uint64_t>();
  // Values built in C++ from a signed integer are stored signed even when non-negative.
  if (j.is_number_integer() && j.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(j.get<std::int64_t>());
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (std::isfinite(d) && d == std::trunc(d) && d >= 0 && d < 2 * kTwo63) return static_cast<std::uint64_t>(d);
  }
  not_an_integer(j, what, " >= 0");
}

std::int64_t json_int_or(const nlohmann::json& object, const char* key, std::int64_t fallback) {
  if (!object.is_object() || !object.contains(key)) return fallback;
  return json_int(object[key], key);
}

}  // namespace minidl
