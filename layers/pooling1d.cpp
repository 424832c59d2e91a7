#include "minidl/layers/pooling1d.h"

#include "minidl/layers/layer_config.h"
#include "minidl/layers/tuple_arg.h"

namespace minidl::layers {

Pooling2DOptions pooling1d_as_2d(const Pooling1DOptions& o, const std::string& class_name) {
  check_int_tuple(class_name, "pool_size", {o.pool_size}, true, 1, false);
  Pooling2DOptions p{.pool_size = IntPair(1, o.pool_size), .padding = o.padding, .data_format = o.data_format};
  if (o.strides) p.strides = IntPair(1, *o.strides);
  return with_common_options(p, o);
}

Pooling1DOptions pooling1d_options_from_config(const nlohmann::json& c) {
  Pooling1DOptions o;
  config::read_common(c, o);
  if (c.contains("pool_size")) o.pool_size = config::int_single(c["pool_size"], "pool_size");
  if (c.contains("strides") && !c["strides"].is_null()) o.strides = config::int_single(c["strides"], "strides");
  o.padding = c.value("padding", o.padding);
  if (c.contains("data_format") && !c["data_format"].is_null()) o.data_format = c["data_format"].get<std::string>();
  return o;
}

}  // namespace minidl::layers
