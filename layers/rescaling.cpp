#include "minidl/layers/rescaling.h"

#include "minidl/autograd/ops/elementwise.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

nlohmann::json ValuesArg::to_json() const {
  if (values.empty()) return nullptr;
  return is_list ? nlohmann::json(values) : nlohmann::json(values[0]);
}

ValuesArg ValuesArg::from_json(const nlohmann::json& j, const char* who) {
  if (j.is_number()) return ValuesArg(j.get<double>());
  if (j.is_array() && !j.empty()) {
    std::vector<double> v;
    for (const auto& e : j) {
      if (!e.is_number())
        throw_invalid_argument("{}: expected a number or a flat list of numbers, received {}", who, j.dump());
      v.push_back(e.get<double>());
    }
    return ValuesArg(std::move(v));
  }
  throw_invalid_argument("{}: expected a number or a flat list of numbers, received {}", who, j.dump());
}

Tensor ValuesArg::tensor(DType dtype) const {
  const Tensor t = Tensor::from_vector(values, is_list ? Shape{static_cast<std::int64_t>(values.size())} : Shape{});
  return dtype == DType::Float64 ? t : t.to(dtype);
}

Rescaling::Rescaling(const RescalingOptions& o) : Layer("Rescaling", common_options(o)), options_(o) {
  set_supports_masking(true);  // as Keras: the mask passes through unchanged
  if (!o.scale.has_value() || !o.offset.has_value())
    throw_invalid_argument("Rescaling: scale and offset must hold at least one number, received scale={}, offset={}",
                           o.scale.to_json().dump(), o.offset.to_json().dump());
}

void Rescaling::check_input(const Shape& in) const {
  // A list broadcasts against the last axis, which must then have as many entries (or one).
  for (const ValuesArg* v : {&options_.scale, &options_.offset}) {
    const auto n = static_cast<std::int64_t>(v->values.size());
    if (v->is_list && n != 1 && (in.ndim() == 0 || in[in.ndim() - 1] != n))
      throw_invalid_argument("Rescaling '{}': {} {} has {} values, which do not broadcast against inputs of shape {} "
                             "(the last axis must have {} entries)",
                             name(), v == &options_.scale ? "scale" : "offset", v->to_json().dump(), n, in, n);
  }
}

Shape Rescaling::compute_output_shape(const Shape& in) const {
  check_input(in);
  return in;
}

Tensor Rescaling::call(const Tensor& x, bool) {
  return x * options_.scale.tensor(x.dtype()) + options_.offset.tensor(x.dtype());
}

nlohmann::json Rescaling::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["scale"] = options_.scale.to_json();
  c["offset"] = options_.offset.to_json();
  return c;
}

Rescaling Rescaling::from_config(const nlohmann::json& c) {
  RescalingOptions o;
  config::read_common(c, o);
  o.scale = ValuesArg::from_json(c.at("scale"), "Rescaling scale");
  if (c.contains("offset")) o.offset = ValuesArg::from_json(c.at("offset"), "Rescaling offset");
  return Rescaling(o);
}

}  // namespace minidl::layers
