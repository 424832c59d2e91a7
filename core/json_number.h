#pragma once
// Integers read from JSON that came from outside (model configs, file headers). nlohmann's
// get<integer>() turns a float such as 2e66 into an integer with a bare cast, which is undefined
// behaviour; these accept an integer, or a float with an integral value in range, and otherwise
// throw invalid_argument naming `what` and the value.
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

namespace minidl {

std::int64_t json_int(const nlohmann::json& j, std::string_view what);
std::uint64_t json_uint(const nlohmann::json& j, std::string_view what);
// object[key] through json_int, or `fallback` when the key is missing.
std::int64_t json_int_or(const nlohmann::json& object, const char* key, std::int64_t fallback);

}  // namespace minidl
