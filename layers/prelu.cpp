#include "minidl/layers/prelu.h"

#include "minidl/autograd/ops/activations.h"
#include "minidl/autograd/ops/elementwise.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

PReLU::PReLU(const PReLUOptions& o) : Layer("PReLU", common_options(o)), options_(o) {
  set_supports_masking(true);
  if (o.shared_axes)
    for (auto a : *o.shared_axes)
      if (a < 1)
        throw_invalid_argument(
            "PReLU: shared_axes are the input's axes after the batch axis (1, 2, ...), received shared_axes=[{}]",
            fmt::join(*o.shared_axes, ", "));
}

PReLU PReLU::from_config(const nlohmann::json& c) {
  PReLUOptions o;
  config::read_common(c, o);
  if (c.contains("alpha_initializer")) o.alpha_initializer = initializers::Initializer::from_config(c["alpha_initializer"]);
  if (c.contains("alpha_regularizer")) o.alpha_regularizer = regularizers::Regularizer::from_config(c["alpha_regularizer"]);
  if (c.contains("alpha_constraint")) o.alpha_constraint = constraints::Constraint::from_config(c["alpha_constraint"]);
  if (c.contains("shared_axes") && !c["shared_axes"].is_null()) {
    const nlohmann::json& a = c["shared_axes"];
    std::vector<std::int64_t> axes;
    if (a.is_array())
      for (const auto& v : a) axes.push_back(json_int(v, "shared_axes"));
    else
      axes.push_back(json_int(a, "shared_axes"));
    o.shared_axes = axes;
  }
  return PReLU(o);
}

// Keras's InputSpec: the rank, and each axis alpha is not shared along, must stay as built.
void PReLU::check_input(const Shape& in) const {
  if (options_.shared_axes)
    for (auto a : *options_.shared_axes)
      if (a >= in.ndim())
        throw_invalid_argument("PReLU: shared_axes=[{}] names an axis the input of shape {} lacks",
                               fmt::join(*options_.shared_axes, ", "), shape_str(in));
  if (!alpha_) return;
  const Shape& a = alpha_->value.shape();
  require_rank(in, a.ndim() + 1);
  for (std::int64_t i = 0; i < a.ndim(); ++i)
    if (a[i] != 1 && in[i + 1] >= 0 && in[i + 1] != a[i])
      throw_invalid_argument("PReLU: input axis {} has extent {}, but the layer was built for {} (input shape {})", i + 1,
                             in[i + 1], a[i], shape_str(in));
}

void PReLU::build_impl(const Shape& in) {
  std::vector<std::int64_t> dims(in.dims().begin() + 1, in.dims().end());
  if (options_.shared_axes)
    for (auto a : *options_.shared_axes) dims[static_cast<std::size_t>(a - 1)] = 1;
  alpha_ = add_weight("alpha", Shape(dims.begin(), dims.end()), options_.alpha_initializer, options_.alpha_regularizer,
                      options_.alpha_constraint);
}

// Keras's relu(x) - alpha * relu(-x); alpha broadcasts over the batch and the shared axes.
Tensor PReLU::call(const Tensor& x, bool) { return activations::relu(x) - alpha_->value * activations::relu(-x); }

nlohmann::json PReLU::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["alpha_initializer"] = options_.alpha_initializer.serialize();
  c["alpha_regularizer"] = options_.alpha_regularizer.serialize();
  c["alpha_constraint"] = options_.alpha_constraint.serialize();
  c["shared_axes"] = options_.shared_axes ? nlohmann::json(*options_.shared_axes) : nlohmann::json(nullptr);
  return c;
}

}  // namespace minidl::layers
