#include "minidl/layers/normalization.h"

#include <algorithm>

#include <fmt/ranges.h>

#include "minidl/autograd/grad_mode.h"
#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/reduce.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

namespace {

constexpr double kEpsilon = 1e-7;  // Keras's backend.epsilon()

std::string axis_text(const std::vector<std::int64_t>& axes) {
  return axes.size() == 1 ? fmt::format("({},)", axes[0]) : fmt::format("({})", fmt::join(axes, ", "));
}

}  // namespace

Normalization::Normalization(const NormalizationOptions& o) : Layer("Normalization", common_options(o)), options_(o) {
  set_supports_masking(true);  // as Keras: the mask passes through unchanged
  if (o.mean.has_value() != o.variance.has_value())
    throw_invalid_argument("Normalization: When setting values directly, both `mean` and `variance` must be set. "
                           "Received: mean={} and variance={}",
                           o.mean.has_value() ? o.mean.to_json().dump() : "None",
                           o.variance.has_value() ? o.variance.to_json().dump() : "None");
  if (o.mean.has_value()) {
    if (o.mean.is_list != o.variance.is_list || o.mean.values.size() != o.variance.values.size())
      throw_invalid_argument("Normalization: When setting values directly, `mean` and `variance` must have the same "
                             "shape. Received: mean={} and variance={}",
                             o.mean.to_json().dump(), o.variance.to_json().dump());
    if (o.mean.is_list && o.axis.axes.empty())
      throw_invalid_argument("Normalization: The rank of `mean` must be less than or equal to the number of axes (0). "
                             "Received: mean={} for axis ()",
                             o.mean.to_json().dump());
    for (double v : o.variance.values)
      if (!(v >= 0.0)) throw_invalid_argument("Normalization: variance must be >= 0, received variance={}", o.variance.to_json().dump());
  }
}

std::vector<std::int64_t> Normalization::kept_axes(std::int64_t ndim) const {
  std::vector<std::int64_t> keep;
  for (auto a : options_.axis.axes) {
    if (a < -ndim || a >= ndim)
      throw_invalid_argument("Normalization '{}': All `axis` values must be in the range [-ndim, ndim). Received inputs "
                             "with ndim={}, while axis={}",
                             name(), ndim, axis_text(options_.axis.axes));
    keep.push_back(a < 0 ? a + ndim : a);
  }
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
  return keep;
}

Shape Normalization::broadcast_shape(const Shape& in) const {
  std::vector<std::int64_t> dims(static_cast<std::size_t>(in.ndim()), 1);
  for (auto d : kept_axes(in.ndim())) dims[static_cast<std::size_t>(d)] = in[d];
  return Shape(dims);
}

void Normalization::check_input(const Shape& in) const {
  const auto keep = kept_axes(in.ndim());
  for (auto d : keep)
    if (in[d] < 0)
      throw_invalid_argument("Normalization '{}': All `axis` values to be kept must have a known shape. Received "
                             "axis={}, inputs.shape={}, with unknown axis at index {}",
                             name(), axis_text(options_.axis.axes), in, d);
  if (built_input_shape_)
    for (auto d : keep)
      if (in[d] != (*built_input_shape_)[d])
        throw_invalid_argument("Normalization '{}': the layer was built for inputs of shape {}; axis {} must keep {} "
                               "entries, received inputs of shape {}",
                               name(), *built_input_shape_, d, (*built_input_shape_)[d], in);
  if (options_.mean.has_value() && options_.mean.is_list && options_.mean.values.size() != 1) {
    const auto n = static_cast<std::int64_t>(options_.mean.values.size());
    if (in[keep.back()] != n)
      throw_invalid_argument("Normalization '{}': mean and variance hold {} values, which do not broadcast against axis "
                             "{} of inputs of shape {} ({} entries)",
                             name(), n, keep.back(), in, in[keep.back()]);
  }
}

void Normalization::build_impl(const Shape& in) {
  const auto keep = kept_axes(in.ndim());
  if (!options_.mean.has_value()) {
    std::vector<std::int64_t> dims;
    for (auto d : keep) dims.push_back(in[d]);
    mean_ = add_weight("mean", Shape(dims), "zeros", {}, {}, false);
    variance_ = add_weight("variance", Shape(dims), "ones", {}, {}, false);
    count_ = add_weight("count", Shape{}, "zeros", {}, {}, false);
    return;
  }
  // Given values: a number fills every kept entry; a list runs along the last kept axis.
  std::vector<std::int64_t> dims(static_cast<std::size_t>(in.ndim()), 1);
  if (options_.mean.is_list) dims[static_cast<std::size_t>(keep.back())] = static_cast<std::int64_t>(options_.mean.values.size());
  given_mean_ = options_.mean.tensor(dtype()).reshape(Shape(dims));
  given_variance_ = options_.variance.tensor(dtype()).reshape(Shape(dims));
}

Shape Normalization::compute_output_shape(const Shape& in) const {
  check_input(in);
  return in;
}

Tensor Normalization::call(const Tensor& x, bool) {
  Tensor m = given_mean_.defined() ? given_mean_ : mean_->value.reshape(broadcast_shape(x.shape()));
  Tensor v = given_variance_.defined() ? given_variance_ : variance_->value.reshape(broadcast_shape(x.shape()));
  if (m.dtype() != x.dtype()) m = m.to(x.dtype()), v = v.to(x.dtype());
  const Tensor denom = maximum(sqrt(v), Tensor::full({}, kEpsilon, x.dtype()));
  return options_.invert ? m + x * denom : (x - m) / denom;
}

void Normalization::batch_moments(const Tensor& batch, std::vector<double>& m, std::vector<double>& v,
                                  double& count) const {
  const auto keep = kept_axes(batch.ndim());
  std::vector<std::int64_t> reduce;
  count = 1.0;
  for (std::int64_t d = 0; d < batch.ndim(); ++d)
    if (std::find(keep.begin(), keep.end(), d) == keep.end()) reduce.push_back(d), count *= static_cast<double>(batch.shape()[d]);
  NoGradGuard no_grad;
  const Tensor b = batch.to(DType::Float64);
  m = mean(b, reduce).to_vector<double>();
  v = variance(b, reduce).to_vector<double>();
}

void Normalization::adapt(const Tensor& data) { adapt(std::vector<Tensor>{data}); }

void Normalization::adapt(const std::vector<Tensor>& batches) {
  if (options_.mean.has_value())
    throw_invalid_argument("Normalization '{}': adapt() learns mean and variance, which were given to the layer; "
                           "make the layer without `mean` and `variance` to adapt it",
                           name());
  if (batches.empty())
    throw_invalid_argument("Normalization '{}': adapt() received an empty list (no batches). Expected at least one batch",
                           name());
  for (const auto& b : batches)
    if (!b.defined() || b.ndim() < 1 || b.numel() == 0)
      throw_invalid_argument("Normalization '{}': adapt() needs non-empty batches, received {}", name(),
                             b.defined() ? fmt::format("shape {}", b.shape()) : std::string("an undefined tensor"));
  if (!built_input_shape_) ensure_built(batches.front().shape());
  const auto keep = kept_axes(built_input_shape_->ndim());
  for (const auto& b : batches) {
    bool fits = b.ndim() == built_input_shape_->ndim();
    for (auto d : keep) fits = fits && b.shape()[d] == (*built_input_shape_)[d];
    if (!fits)
      throw_invalid_argument("Normalization '{}': The layer was built with input_shape={}, but adapt() is being called "
                             "with data with an incompatible shape, data.shape={}",
                             name(), *built_input_shape_, b.shape());
  }
  // Keras's merge of per-batch moments, batch by batch (exact for one batch).
  std::vector<double> total_mean, total_var;
  double total_count = 0.0;
  for (const auto& b : batches) {
    std::vector<double> bm, bv;
    double bc = 0.0;
    batch_moments(b, bm, bv, bc);
    if (total_mean.empty()) total_mean.assign(bm.size(), 0.0), total_var.assign(bm.size(), 0.0);
    total_count += bc;
    const double bw = bc / total_count, ew = 1.0 - bw;
    for (std::size_t i = 0; i < bm.size(); ++i) {
      const double nm = total_mean[i] * ew + bm[i] * bw;
      total_var[i] = (total_var[i] + (total_mean[i] - nm) * (total_mean[i] - nm)) * ew +
                     (bv[i] + (bm[i] - nm) * (bm[i] - nm)) * bw;
      total_mean[i] = nm;
    }
  }
  const Shape s = mean_->value.shape();
  mean_->value.copy_(Tensor::from_vector(total_mean, s).to(mean_->value.dtype()));
  variance_->value.copy_(Tensor::from_vector(total_var, s).to(variance_->value.dtype()));
}

nlohmann::json Normalization::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["axis"] = options_.axis.axes;
  c["invert"] = options_.invert;
  c["mean"] = options_.mean.to_json();
  c["variance"] = options_.variance.to_json();
  return c;
}

Normalization Normalization::from_config(const nlohmann::json& c) {
  NormalizationOptions o;
  config::read_common(c, o);
  if (c.contains("axis")) {
    const auto& a = c.at("axis");
    if (a.is_null()) o.axis = AxisArg(std::vector<std::int64_t>{});
    else if (a.is_number_integer()) o.axis = a.get<std::int64_t>();
    else o.axis = AxisArg(a.get<std::vector<std::int64_t>>());
  }
  o.invert = c.value("invert", false);
  if (c.contains("mean") && !c.at("mean").is_null()) o.mean = ValuesArg::from_json(c.at("mean"), "Normalization mean");
  if (c.contains("variance") && !c.at("variance").is_null())
    o.variance = ValuesArg::from_json(c.at("variance"), "Normalization variance");
  return Normalization(o);
}

}  // namespace minidl::layers
