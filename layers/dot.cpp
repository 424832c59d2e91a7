#include "minidl/layers/dot.h"

#include <nlohmann/json.hpp>

#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/matmul.h"
#include "minidl/autograd/ops/reduce.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

namespace {

// Keras's ops.normalize(x, axis) with order 2 and epsilon 1e-7: x * min(rsqrt(sum(x^2)), 1 / 1e-7).
Tensor l2_normalize(const Tensor& x, std::int64_t axis) {
  const Tensor inv_norm = 1.0 / sqrt(sum(square(x), {axis}, true));
  return x * minimum(inv_norm, Tensor::full({}, 1e7, x.dtype()));
}

// `axes` as the user wrote it: "1" or "[1, 2]".
std::string axes_str(const AxisArg& axes) {
  return axes.is_list ? fmt::format("[{}]", fmt::join(axes.axes, ", ")) : std::to_string(axes.axes.front());
}

std::int64_t product(const Shape& s, std::int64_t begin, std::int64_t end) {
  std::int64_t p = 1;
  for (std::int64_t d = begin; d < end; ++d) p *= s[d];
  return p;
}

}  // namespace

Dot::Dot(const DotOptions& o) : ListLayer("Dot", common_options(o)), axes_(o.axes), normalize_(o.normalize) {
  if (axes_.is_list && axes_.axes.size() != 2)
    throw_invalid_argument("Dot: Invalid format for argument `axes`: it should contain two elements. Received: axes=[{}]",
                           fmt::join(axes_.axes, ", "));
}

Dot Dot::from_config(const nlohmann::json& c) {
  DotOptions o;
  config::read_common(c, o);
  if (c.contains("axes")) o.axes = AxisArg::from_json(c["axes"]);
  if (c.contains("normalize")) o.normalize = c["normalize"].get<bool>();
  return Dot(o);
}

std::array<std::int64_t, 2> Dot::resolved_axes(const Shape& a, const Shape& b) const {
  const std::string shapes = fmt::format("{} and {}", shape_str(a), shape_str(b));
  if (a.ndim() < 2 || b.ndim() < 2)
    throw_invalid_argument("Dot ('{}'): Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes {}",
                           name(), shapes);
  std::array<std::int64_t, 2> axes{axes_.axes.front(), axes_.axes.back()};
  const std::int64_t ranks[2] = {a.ndim(), b.ndim()};
  for (int i = 0; i < 2; ++i) {
    if (axes[i] < -ranks[i] || axes[i] >= ranks[i])
      throw_invalid_argument("Dot ('{}'): axes={} is out of range for inputs of shapes {} (an axis of input {} must be "
                             "in [{}, {}))",
                             name(), axes_str(axes_), shapes, i, -ranks[i], ranks[i]);
    if (axes[i] < 0) axes[i] += ranks[i];
    if (axes[i] == 0)
      throw_invalid_argument("Dot ('{}'): Cannot perform batch_dot over axis 0 (the batch axis), received axes={} for "
                             "inputs of shapes {}",
                             name(), axes_str(axes_), shapes);
  }
  if (a[0] >= 0 && b[0] >= 0 && a[0] != b[0])
    throw_invalid_argument("Dot ('{}'): Cannot do batch_dot on inputs with different batch sizes. Received inputs with "
                           "shapes {}",
                           name(), shapes);
  const std::int64_t da = a[axes[0]], db = b[axes[1]];
  if (da >= 0 && db >= 0 && da != db)
    throw_invalid_argument("Dot ('{}'): Incompatible input shapes: axis values {} (at axis {}) != {} (at axis {}). Full "
                           "input shapes: {}",
                           name(), da, axes[0], db, axes[1], shapes);
  return axes;
}

Shape Dot::compute_output_shape_for(const std::vector<Shape>& shapes) const {
  if (shapes.size() != 2) {
    std::vector<std::string> s;
    for (const auto& x : shapes) s.push_back(shape_str(x));
    throw_invalid_argument("A `Dot` layer ('{}') should be called on {}. Received: input_shape=[{}]", name(),
                           expected_list(), fmt::join(s, ", "));
  }
  const auto axes = resolved_axes(shapes[0], shapes[1]);
  std::vector<std::int64_t> out;
  for (std::int64_t d = 0; d < shapes[0].ndim(); ++d)
    if (d != axes[0]) out.push_back(shapes[0][d]);
  for (std::int64_t d = 1; d < shapes[1].ndim(); ++d)
    if (d != axes[1]) out.push_back(shapes[1][d]);
  if (out.size() == 1) out.push_back(1);
  return Shape(out);
}

// batch_dot as one batched GEMM: a with its axis last and the axes between flattened, (B, M, n);
// b with its axis second and the rest flattened, (B, n, N); the product (B, M, N) reshaped.
Tensor Dot::call_inputs(const std::vector<Tensor>& raw, bool) {
  const Shape out = build_for_tensors(raw);
  const auto axes = resolved_axes(raw[0].shape(), raw[1].shape());
  const std::vector<Tensor> in = in_layer_dtype(raw);
  Tensor a = in[0], b = in[1];
  if (normalize_) {
    a = l2_normalize(a, axes[0]);
    b = l2_normalize(b, axes[1]);
  }
  std::vector<std::int64_t> a_order, b_order{0, axes[1]};
  for (std::int64_t d = 0; d < a.ndim(); ++d)
    if (d != axes[0]) a_order.push_back(d);
  a_order.push_back(axes[0]);
  for (std::int64_t d = 1; d < b.ndim(); ++d)
    if (d != axes[1]) b_order.push_back(d);
  const Tensor ap = permute(a, a_order), bp = permute(b, b_order);
  const std::int64_t batch = a.shape()[0], n = a.shape()[axes[0]];
  const std::int64_t m = product(ap.shape(), 1, ap.ndim() - 1), cols = product(bp.shape(), 2, bp.ndim());
  return reshape(matmul(reshape(ap, {batch, m, n}), reshape(bp, {batch, n, cols})), out);
}

nlohmann::json Dot::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["axes"] = axes_.to_json();
  c["normalize"] = normalize_;
  return c;
}

}  // namespace minidl::layers
