#include "minidl/layers/permute.h"

#include <algorithm>
#include <numeric>

#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"
#include "minidl/core/json_number.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

Permute::Permute(const PermuteOptions& o) : Layer("Permute", common_options(o)), dims_(o.dims) {
  std::vector<std::int64_t> sorted = dims_, expected(dims_.size());
  std::sort(sorted.begin(), sorted.end());
  std::iota(expected.begin(), expected.end(), 1);
  if (dims_.empty() || sorted != expected)
    throw_invalid_argument("Permute: invalid permutation argument `dims`; the set of indices in `dims` must be "
                           "consecutive and start from 1. Received dims=({})",
                           fmt::join(dims_, ", "));
}

void Permute::check_input(const Shape& in) const { require_rank(in, static_cast<std::int64_t>(dims_.size()) + 1); }

Shape Permute::compute_output_shape(const Shape& in) const {
  check_input(in);
  std::vector<std::int64_t> out{in[0]};
  for (auto d : dims_) out.push_back(in[d]);
  return Shape(out);
}

Tensor Permute::call(const Tensor& x, bool) {
  std::vector<std::int64_t> order{0};
  order.insert(order.end(), dims_.begin(), dims_.end());
  return permute(x, order);
}

nlohmann::json Permute::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["dims"] = dims_;
  return c;
}

Permute Permute::from_config(const nlohmann::json& c) {
  PermuteOptions o;
  config::read_common(c, o);
  for (const auto& d : c.at("dims")) o.dims.push_back(json_int(d, "dims"));
  return Permute(o);
}

}  // namespace minidl::layers
