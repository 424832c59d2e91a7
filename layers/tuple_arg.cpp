#include "minidl/layers/tuple_arg.h"

#include <set>

#include "minidl/core/error.h"

namespace minidl::layers {

void check_int_tuple(const std::string& op, const std::string& name, const std::vector<std::int64_t>& values,
                     bool from_int, std::size_t n, bool allow_zero) {
  // Python's repr of what was passed: 3, (3,) or (1, 2).
  const std::string given = from_int           ? fmt::format("{}", values.at(0))
                            : values.size() == 1 ? fmt::format("({},)", values[0])
                                                 : fmt::format("({})", fmt::join(values, ", "));
  if (!from_int && values.size() != n)
    throw_invalid_argument("{}: The `{}` argument must be a tuple of {} integers. Received {}={}", op, name, n, name,
                           given);
  std::set<std::int64_t> bad;
  for (auto v : values)
    if (allow_zero ? v < 0 : v <= 0) bad.insert(v);
  if (!bad.empty())
    throw_invalid_argument(
        "{}: The `{}` argument must be a tuple of {} integers. Received {}={}, including values {{{}}} that do not "
        "satisfy `value {}`",
        op, name, n, name, given, fmt::join(bad, ", "), allow_zero ? ">= 0" : "> 0");
}

}  // namespace minidl::layers
