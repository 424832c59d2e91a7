#pragma once
// Error helpers: every check names the argument, the value received and what is allowed.
#include <fmt/format.h>

#include <stdexcept>
#include <utility>

namespace minidl {

template <class... Args>
[[noreturn]] void throw_invalid_argument(fmt::format_string<Args...> f, Args&&... args) {
  throw std::invalid_argument(fmt::format(f, std::forward<Args>(args)...));
}

template <class... Args>
[[noreturn]] void throw_out_of_range(fmt::format_string<Args...> f, Args&&... args) {
  throw std::out_of_range(fmt::format(f, std::forward<Args>(args)...));
}

template <class... Args>
[[noreturn]] void throw_runtime_error(fmt::format_string<Args...> f, Args&&... args) {
  throw std::runtime_error(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace minidl
