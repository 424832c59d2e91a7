#pragma once
// The `axis` argument of LayerNormalization, Normalization and Softmax.
#include <cstdint>
#include <initializer_list>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace minidl::layers {

// Keras's `axis`: an int or a list of ints (`.axis = -1`, `.axis = {1, 2}`). Keras's get_config
// writes what it was given (LayerNormalization: until the layer is built, and a list afterwards).
struct AxisArg {
  std::vector<std::int64_t> axes{-1};
  bool is_list = false;
  AxisArg(std::int64_t axis) : axes{axis} {}
  AxisArg(std::initializer_list<std::int64_t> list) : axes(list), is_list(true) {}
  explicit AxisArg(std::vector<std::int64_t> list) : axes(std::move(list)), is_list(true) {}
  // A config's int or list of ints; to_json writes what was given.
  static AxisArg from_json(const nlohmann::json& axis);
  nlohmann::json to_json() const;
};

}  // namespace minidl::layers
