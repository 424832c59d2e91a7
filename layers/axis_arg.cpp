#include "minidl/layers/axis_arg.h"

#include <nlohmann/json.hpp>

#include "minidl/core/json_number.h"

namespace minidl::layers {

AxisArg AxisArg::from_json(const nlohmann::json& axis) {
  if (!axis.is_array()) return AxisArg(json_int(axis, "axis"));
  std::vector<std::int64_t> list;
  for (const auto& e : axis) list.push_back(json_int(e, "axis"));
  return AxisArg(std::move(list));
}

nlohmann::json AxisArg::to_json() const { return is_list ? nlohmann::json(axes) : nlohmann::json(axes.front()); }

}  // namespace minidl::layers
