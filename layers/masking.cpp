#include "minidl/layers/masking.h"

#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/reduce.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

namespace {

// 1 where any feature differs from `value`, over the last axis (kept as size 1).
Tensor keep(const Tensor& x, double value) {
  const Tensor v = x.detach();
  return max(not_equal(v, Tensor::full(v.shape(), value, v.dtype())), {-1}, true);
}

}  // namespace

Masking::Masking(const MaskingOptions& o) : Layer("Masking", common_options(o)), mask_value_(o.mask_value) {
  set_supports_masking(true);
}

void Masking::check_input(const Shape& in) const {
  // The mask drops the last (features) axis, so there must be one besides the batch axis.
  if (in.ndim() < 2)
    throw_invalid_argument("layer '{}' (Masking): expected inputs of rank >= 2 (batch, ..., features), received shape {}",
                           name(), shape_str(in));
}

Tensor Masking::compute_mask(const Tensor& inputs, const Tensor&) const {
  return keep(inputs, mask_value_).squeeze(-1);
}

Tensor Masking::call(const Tensor& x, bool) {
  // Keras's where(mask, inputs, 0): the gradient reaches the kept timesteps only.
  return where(keep(x, mask_value_), x, Tensor::zeros(x.shape(), x.dtype()));
}

nlohmann::json Masking::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["mask_value"] = mask_value_;
  return c;
}

Masking Masking::from_config(const nlohmann::json& c) {
  MaskingOptions o;
  config::read_common(c, o);
  if (c.contains("mask_value")) {
    if (!c["mask_value"].is_number())
      throw_invalid_argument("Masking: mask_value must be a number, received mask_value={}", c["mask_value"].dump());
    o.mask_value = c["mask_value"].get<double>();
  }
  return Masking(o);
}

}  // namespace minidl::layers
