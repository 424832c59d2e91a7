// The table of Keras operations (op_table.h): shapes as Keras's compute_output_spec computes them,
// values with minidl's autograd ops. Bools are 0/1 floats, ints are integral floats.
#include "minidl/layers/op_table.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "minidl/autograd/ops/activations.h"
#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/matmul.h"
#include "minidl/autograd/ops/reduce.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer.h"

namespace minidl::layers::op_table {

namespace {

using nlohmann::json;

// ---- shapes ----

// Keras's broadcast_shapes: right-aligned; 1 takes the other extent, unknown (None) takes a known
// one (or stays unknown against 1); two known extents must match.
Shape broadcast(const Shape& a, const Shape& b, const std::string& name) {
  const std::int64_t rank = std::max(a.ndim(), b.ndim());
  std::vector<std::int64_t> out(rank);
  for (std::int64_t k = 0; k < rank; ++k) {
    const std::int64_t i = k - (rank - a.ndim()) >= 0 ? a[k - (rank - a.ndim())] : 1;
    const std::int64_t j = k - (rank - b.ndim()) >= 0 ? b[k - (rank - b.ndim())] : 1;
    if (i == 1) out[k] = j;
    else if (i < 0) out[k] = j == 1 ? -1 : j;
    else if (j == 1 || j < 0 || j == i) out[k] = i;
    else
      throw_invalid_argument("{}: cannot broadcast shapes {} and {}: the failure dim has value {}, which cannot be "
                             "broadcasted to {}",
                             name, shape_str(a), shape_str(b), i, j);
  }
  return Shape(out);
}

Shape broadcast_all(const std::vector<Shape>& shapes, const json&, const std::string& name) {
  Shape out = shapes.at(0);
  for (std::size_t i = 1; i < shapes.size(); ++i) out = broadcast(out, shapes[i], name);
  return out;
}

Shape same_shape(const std::vector<Shape>& shapes, const json&, const std::string&) { return shapes.at(0); }

std::int64_t canonical_axis(std::int64_t axis, std::int64_t rank, const std::string& name) {
  if (axis < -rank || axis >= rank)
    throw_out_of_range("{}: axis {} is out of bounds for an array with dimension {} (allowed: {} to {})", name, axis,
                       rank, -rank, rank - 1);
  return axis < 0 ? axis + rank : axis;
}

// Keras's `axis`: null (every axis), an int or a list; canonical, sorted, without repeats.
std::vector<std::int64_t> axes_of(const json& axis, std::int64_t rank, const std::string& name) {
  std::vector<std::int64_t> out;
  if (axis.is_null()) {
    for (std::int64_t i = 0; i < rank; ++i) out.push_back(i);
    return out;
  }
  if (axis.is_number_integer()) return {canonical_axis(axis.get<std::int64_t>(), rank, name)};
  if (!axis.is_array()) throw_invalid_argument("{}: axis must be null, an int or a list of ints, received {}", name, axis.dump());
  for (const auto& a : axis) {
    if (!a.is_number_integer()) throw_invalid_argument("{}: axis must be null, an int or a list of ints, received {}", name, axis.dump());
    out.push_back(canonical_axis(a.get<std::int64_t>(), rank, name));
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    throw_invalid_argument("{}: axis {} names an axis twice", name, axis.dump());
  return out;
}

Shape reduce_shape(const std::vector<Shape>& shapes, const json& c, const std::string& name) {
  const Shape& s = shapes.at(0);
  const auto axes = axes_of(c.at("axis"), s.ndim(), name);
  std::vector<std::int64_t> out;
  for (std::int64_t i = 0; i < s.ndim(); ++i) {
    const bool reduced = std::binary_search(axes.begin(), axes.end(), i);
    if (!reduced) out.push_back(s[i]);
    else if (c.at("keepdims").get<bool>()) out.push_back(1);
  }
  return Shape(out);
}

Shape reshape_shape(const std::vector<Shape>& shapes, const json& c, const std::string& name) {
  const Shape& s = shapes.at(0);
  std::vector<std::int64_t> out;
  std::int64_t known = 1, free_axes = 0;
  for (const auto& d : c.at("newshape")) {
    const std::int64_t v = d.is_null() ? -1 : d.get<std::int64_t>();
    if (v == 0 || v < -1) throw_invalid_argument("{}: newshape {} has extent {} (allowed: >= 1, or -1 once)", name, c["newshape"].dump(), v);
    free_axes += v == -1;
    known *= v == -1 ? 1 : v;
    out.push_back(v);
  }
  if (free_axes > 1) throw_invalid_argument("{}: newshape {} has more than one -1", name, c["newshape"].dump());
  const bool input_known = std::all_of(s.begin(), s.end(), [](std::int64_t d) { return d >= 0; });
  if (input_known) {
    const std::int64_t total = s.numel();
    if ((free_axes == 0 && total != known) || (free_axes == 1 && total % known != 0))
      throw_invalid_argument("{}: cannot reshape a tensor of shape {} ({} elements) into newshape {}", name, shape_str(s),
                             total, c["newshape"].dump());
    for (auto& d : out)
      if (d == -1) d = total / known;
  }
  return Shape(out);
}

std::vector<std::int64_t> permutation(const json& axes, std::int64_t rank, const std::string& name) {
  std::vector<std::int64_t> order;
  if (axes.is_null()) {
    for (std::int64_t i = rank - 1; i >= 0; --i) order.push_back(i);
    return order;
  }
  for (const auto& a : axes) order.push_back(canonical_axis(a.get<std::int64_t>(), rank, name));
  auto sorted = order;
  std::sort(sorted.begin(), sorted.end());
  bool ok = static_cast<std::int64_t>(order.size()) == rank;
  for (std::int64_t i = 0; ok && i < rank; ++i) ok = sorted[i] == i;
  if (!ok) throw_invalid_argument("{}: axes {} is not a permutation of the {} axes of the input", name, axes.dump(), rank);
  return order;
}

Shape transpose_shape(const std::vector<Shape>& shapes, const json& c, const std::string& name) {
  const Shape& s = shapes.at(0);
  std::vector<std::int64_t> out;
  for (auto a : permutation(c.at("axes"), s.ndim(), name)) out.push_back(s[a]);
  return Shape(out);
}

Shape expand_dims_shape(const std::vector<Shape>& shapes, const json& c, const std::string& name) {
  const Shape& s = shapes.at(0);
  const auto axes = axes_of(c.at("axis"), s.ndim() + static_cast<std::int64_t>(c["axis"].is_array() ? c["axis"].size() : 1), name);
  std::vector<std::int64_t> out(s.begin(), s.end());
  for (auto a : axes) out.insert(out.begin() + a, 1);
  return Shape(out);
}

// The axes Squeeze removes: the given ones (each must be 1, or unknown), or every extent known to be 1.
std::vector<std::int64_t> squeezed_axes(const Shape& s, const json& axis, const std::string& name) {
  if (axis.is_null()) {
    std::vector<std::int64_t> out;
    for (std::int64_t i = 0; i < s.ndim(); ++i)
      if (s[i] == 1) out.push_back(i);
    return out;
  }
  const auto axes = axes_of(axis, s.ndim(), name);
  for (auto a : axes)
    if (s[a] > 1) throw_invalid_argument("{}: cannot squeeze axis {} of shape {}, because the dimension is not 1", name, a, shape_str(s));
  return axes;
}

Shape squeeze_shape(const std::vector<Shape>& shapes, const json& c, const std::string& name) {
  const Shape& s = shapes.at(0);
  const auto axes = squeezed_axes(s, c.at("axis"), name);
  std::vector<std::int64_t> out;
  for (std::int64_t i = 0; i < s.ndim(); ++i)
    if (!std::binary_search(axes.begin(), axes.end(), i)) out.push_back(s[i]);
  return Shape(out);
}

std::string shapes_str(const std::vector<Shape>& shapes) {
  std::string s;
  for (const auto& x : shapes) s += (s.empty() ? "" : ", ") + shape_str(x);
  return "[" + s + "]";
}

// The inputs' common shape (an unknown extent takes a known one), except along `summed` (-1: none),
// whose extents add up; throws if two known extents differ or the ranks do.
std::vector<std::int64_t> joined(const std::vector<Shape>& shapes, std::int64_t summed, const std::string& name,
                                 const std::string& rule) {
  const Shape& first = shapes.at(0);
  std::vector<std::int64_t> out(first.begin(), first.end());
  for (std::size_t k = 1; k < shapes.size(); ++k) {
    const Shape& s = shapes[k];
    bool ok = s.ndim() == first.ndim();
    for (std::int64_t i = 0; ok && i < s.ndim(); ++i)
      if (i == summed) out[i] = out[i] < 0 || s[i] < 0 ? -1 : out[i] + s[i];
      else if (s[i] >= 0 && out[i] >= 0 && s[i] != out[i]) ok = false;
      else if (out[i] < 0) out[i] = s[i];
    if (!ok) throw_invalid_argument("{}: all inputs must have the same shape{}, received shapes {}", name, rule, shapes_str(shapes));
  }
  return out;
}

Shape concatenate_shape(const std::vector<Shape>& shapes, const json& c, const std::string& name) {
  const std::int64_t axis = canonical_axis(c.at("axis").get<std::int64_t>(), shapes.at(0).ndim(), name);
  return Shape(joined(shapes, axis, name, " except along axis " + c["axis"].dump()));
}

Shape stack_shape(const std::vector<Shape>& shapes, const json& c, const std::string& name) {
  auto out = joined(shapes, -1, name, "");
  const std::int64_t axis = canonical_axis(c.at("axis").get<std::int64_t>(), shapes[0].ndim() + 1, name);
  out.insert(out.begin() + axis, static_cast<std::int64_t>(shapes.size()));
  return Shape(out);
}

// Keras's compute_matmul_output_shape for operands of rank >= 2: (..., M, K) @ (..., K, N), the
// batch axes broadcast.
Shape matmul_shape(const std::vector<Shape>& shapes, const json&, const std::string& name) {
  const Shape &a = shapes.at(0), &b = shapes.at(1);
  if (a.ndim() < 2 || b.ndim() < 2)
    throw_invalid_argument("{}: minidl multiplies operands of rank >= 2, received shapes {} and {}", name, shape_str(a), shape_str(b));
  const std::int64_t k1 = a[a.ndim() - 1], k2 = b[b.ndim() - 2];
  if (k1 >= 0 && k2 >= 0 && k1 != k2)
    throw_invalid_argument("{}: inner dimensions (x1.shape[-1] and x2.shape[-2]) must be equal, received x1.shape={} and "
                           "x2.shape={}",
                           name, shape_str(a), shape_str(b));
  Shape batch = broadcast(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2), name);
  std::vector<std::int64_t> out(batch.begin(), batch.end());
  out.push_back(a[a.ndim() - 2]);
  out.push_back(b[b.ndim() - 1]);
  return Shape(out);
}

Shape axis_shape(const std::vector<Shape>& shapes, const json& c, const std::string& name) {
  canonical_axis(c.at("axis").get<std::int64_t>(), shapes.at(0).ndim(), name);
  return shapes[0];
}

// ---- values ----

bool is_number(const Tensor& t) { return t.ndim() == 0 && !t.requires_grad(); }

std::vector<std::int64_t> reduce_axes(const Tensor& x, const json& c) {
  return axes_of(c.at("axis"), x.ndim(), "reduction");
}

// Toward zero, as a cast to an integer type; no gradient (Keras's has none either).
Tensor truncated(const Tensor& x) {
  Tensor y = x.detach().deep_copy();
  auto run = [&](auto* p) {
    for (std::int64_t i = 0; i < y.numel(); ++i) p[i] = std::trunc(p[i]);
  };
  if (y.dtype() == DType::Float64) run(y.data<double>());
  else run(y.data<float>());
  return y;
}

Tensor cast_value(const std::vector<Tensor>& v, const json& c) {
  const Tensor& x = v.at(0);
  const std::string d = c.at("dtype").get<std::string>();
  if (d == "bool") return not_equal(x, Tensor::scalar(0.0, x.dtype()));
  if (d.find("int") != std::string::npos) return truncated(x);
  return x.to(d == "float64" ? DType::Float64 : DType::Float32);
}

std::vector<Tensor> list_in_one_dtype(const std::vector<Tensor>& xs) {
  std::vector<Tensor> out;
  for (const auto& t : xs) out.push_back(t.dtype() == xs[0].dtype() ? t : t.to(xs[0].dtype()));
  return out;
}

template <Tensor (*F)(const Tensor&, const Tensor&)>
Tensor binary(const std::vector<Tensor>& v, const json&) {
  return F(v.at(0), v.at(1));
}

template <Tensor (*F)(const Tensor&)>
Tensor unary(const std::vector<Tensor>& v, const json&) {
  return F(v.at(0));
}

Tensor matmul2(const Tensor& a, const Tensor& b) { return minidl::matmul(a, b); }
Tensor relu0(const Tensor& x) { return activations::relu(x); }

Tensor nonzero(const Tensor& x) { return not_equal(x, Tensor::scalar(0.0, x.dtype())); }

OpSpec elementwise2(std::string cls, ComputeFn f, ResultDType r = ResultDType::Same) {
  return {std::move(cls), "keras.src.ops.numpy", {"x1", "x2"}, json::object(), r, broadcast_all, std::move(f)};
}

OpSpec elementwise1(std::string cls, std::string module, ComputeFn f, ResultDType r = ResultDType::Same,
                    json defaults = json::object()) {
  return {std::move(cls), std::move(module), {"x"}, std::move(defaults), r, same_shape, std::move(f)};
}

OpSpec reduction(std::string cls, ComputeFn f, ResultDType r, json defaults = {{"axis", nullptr}, {"keepdims", false}}) {
  return {std::move(cls), "keras.src.ops.numpy", {"x"}, std::move(defaults), r, reduce_shape, std::move(f)};
}

OpSpec activation(std::string cls, ComputeFn f, json defaults = json::object()) {
  return elementwise1(std::move(cls), "keras.src.ops.nn", std::move(f), ResultDType::Float, std::move(defaults));
}

using Reduction = Tensor (*)(const Tensor&, const std::vector<std::int64_t>&, bool);

// A reduction over the config's axis with its keepdims. Max and Min also read `initial`: minidl
// supports its default (none) only.
template <Reduction F>
Tensor reduced(const std::vector<Tensor>& v, const json& c) {
  if (c.contains("initial") && !c["initial"].is_null())
    throw_invalid_argument("Max/Min: initial={} is not supported by minidl (only null)", c["initial"].dump());
  return F(v.at(0), reduce_axes(v[0], c), c.at("keepdims").get<bool>());
}

template <bool IsMax>
Tensor extremum(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  return IsMax ? minidl::max(x, axes, keepdims) : minidl::min(x, axes, keepdims);
}
Tensor any_of(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  return minidl::max(nonzero(x), axes, keepdims);
}
Tensor all_of(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  return minidl::min(nonzero(x), axes, keepdims);
}
Tensor population_variance(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  return minidl::variance(x, axes, keepdims);
}
Tensor standard_deviation(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  return minidl::sqrt(minidl::variance(x, axes, keepdims));
}

std::map<std::string, OpSpec> make_table() {
  namespace act = minidl::activations;
  std::vector<OpSpec> specs{
      elementwise2("Add", binary<minidl::add>),
      elementwise2("Subtract", binary<minidl::sub>),
      elementwise2("Multiply", binary<minidl::mul>),
      elementwise2("Divide", binary<minidl::div>, ResultDType::Float),
      elementwise2("TrueDivide", binary<minidl::div>, ResultDType::Float),
      elementwise2("Power",
                   [](const std::vector<Tensor>& v, const json&) {
                     // A number exponent keeps the gradient finite for negative bases.
                     return is_number(v[1]) ? minidl::pow(v[0], v[1].item()) : minidl::pow(v[0], v[1]);
                   }),
      elementwise2("Maximum", binary<minidl::maximum>),
      elementwise2("Minimum", binary<minidl::minimum>),
      elementwise2("Equal", binary<minidl::equal>, ResultDType::Bool),
      elementwise2("NotEqual", binary<minidl::not_equal>, ResultDType::Bool),
      elementwise2("Greater", binary<minidl::greater>, ResultDType::Bool),
      elementwise2("GreaterEqual", binary<minidl::greater_equal>, ResultDType::Bool),
      elementwise2("Less", binary<minidl::less>, ResultDType::Bool),
      elementwise2("LessEqual", binary<minidl::less_equal>, ResultDType::Bool),
      elementwise2("LogicalAnd", [](const std::vector<Tensor>& v, const json&) { return nonzero(v[0]) * nonzero(v[1]); },
                   ResultDType::Bool),
      elementwise2("LogicalOr",
                   [](const std::vector<Tensor>& v, const json&) { return minidl::maximum(nonzero(v[0]), nonzero(v[1])); },
                   ResultDType::Bool),
      {"Where", "keras.src.ops.numpy", {"condition", "x1", "x2"}, json::object(), ResultDType::Same, broadcast_all,
       [](const std::vector<Tensor>& v, const json&) {
         return minidl::where(v[0], v[1], v[2]);
       }},
      elementwise1("LogicalNot", "keras.src.ops.numpy",
                   [](const std::vector<Tensor>& v, const json&) { return minidl::equal(v[0], Tensor::scalar(0.0, v[0].dtype())); },
                   ResultDType::Bool),
      elementwise1("Negative", "keras.src.ops.numpy", unary<minidl::neg>),
      elementwise1("Exp", "keras.src.ops.numpy", unary<minidl::exp>, ResultDType::Float),
      elementwise1("Log", "keras.src.ops.numpy", unary<minidl::log>, ResultDType::Float),
      elementwise1("Sqrt", "keras.src.ops.numpy", unary<minidl::sqrt>, ResultDType::Float),
      elementwise1("Square", "keras.src.ops.numpy", unary<minidl::square>),
      elementwise1("Absolute", "keras.src.ops.numpy", unary<minidl::abs>),
      elementwise1("Tanh", "keras.src.ops.numpy", unary<act::tanh>, ResultDType::Float),
      elementwise1("Clip", "keras.src.ops.numpy",
                   [](const std::vector<Tensor>& v, const json& c) {
                     return minidl::clip(v[0], c.at("x_min").get<double>(), c.at("x_max").get<double>());
                   },
                   ResultDType::Same, {{"x_min", nullptr}, {"x_max", nullptr}}),
      elementwise1("Cast", "keras.src.ops.core", cast_value, ResultDType::Cast, {{"dtype", nullptr}}),
      reduction("Mean", reduced<minidl::mean>, ResultDType::Float),
      reduction("Sum", reduced<minidl::sum>, ResultDType::Sum),
      reduction("Max", reduced<extremum<true>>, ResultDType::Same, {{"axis", nullptr}, {"keepdims", false}, {"initial", nullptr}}),
      reduction("Min", reduced<extremum<false>>, ResultDType::Same, {{"axis", nullptr}, {"keepdims", false}, {"initial", nullptr}}),
      // Any: Masking's compute_mask (the mask Keras hands an RNN in its `mask` keyword).
      reduction("Any", reduced<any_of>, ResultDType::Bool),
      reduction("All", reduced<all_of>, ResultDType::Bool),
      reduction("Var", reduced<population_variance>, ResultDType::Float),
      reduction("Std", reduced<standard_deviation>, ResultDType::Float),
      {"Reshape", "keras.src.ops.numpy", {"x"}, {{"newshape", nullptr}}, ResultDType::Same, reshape_shape,
       [](const std::vector<Tensor>& v, const json& c) {
         std::vector<std::int64_t> d;
         for (const auto& e : c.at("newshape")) d.push_back(e.is_null() ? -1 : e.get<std::int64_t>());
         return minidl::reshape(v[0], Shape(d));
       }},
      {"Transpose", "keras.src.ops.numpy", {"x"}, {{"axes", nullptr}}, ResultDType::Same, transpose_shape,
       [](const std::vector<Tensor>& v, const json& c) {
         return minidl::permute(v[0], permutation(c.at("axes"), v[0].ndim(), "Transpose"));
       }},
      {"ExpandDims", "keras.src.ops.numpy", {"x"}, {{"axis", nullptr}}, ResultDType::Same, expand_dims_shape,
       [](const std::vector<Tensor>& v, const json& c) {
         std::vector<std::int64_t> d(v[0].shape().begin(), v[0].shape().end());
         return minidl::reshape(v[0], expand_dims_shape({Shape(d)}, c, "ExpandDims"));
       }},
      {"Squeeze", "keras.src.ops.numpy", {"x"}, {{"axis", nullptr}}, ResultDType::Same, squeeze_shape,
       [](const std::vector<Tensor>& v, const json& c) {
         return minidl::reshape(v[0], squeeze_shape({v[0].shape()}, c, "Squeeze"));
       }},
      {"Concatenate", "keras.src.ops.numpy", {"xs"}, {{"axis", 0}}, ResultDType::Same, concatenate_shape,
       [](const std::vector<Tensor>& v, const json& c) {
         return minidl::concat(list_in_one_dtype(v), canonical_axis(c.at("axis").get<std::int64_t>(), v[0].ndim(), "Concatenate"));
       }},
      {"Stack", "keras.src.ops.numpy", {"xs"}, {{"axis", 0}}, ResultDType::Same, stack_shape,
       [](const std::vector<Tensor>& v, const json& c) {
         return minidl::stack(list_in_one_dtype(v), canonical_axis(c.at("axis").get<std::int64_t>(), v[0].ndim() + 1, "Stack"));
       }},
      {"Matmul", "keras.src.ops.numpy", {"x1", "x2"}, json::object(), ResultDType::Same, matmul_shape,
       binary<matmul2>},
      activation("Relu", unary<relu0>),
      activation("Relu6", unary<act::relu6>),
      activation("Sigmoid", unary<act::sigmoid>),
      activation("HardSigmoid", unary<act::hard_sigmoid>),
      activation("Softplus", unary<act::softplus>),
      activation("Softsign", unary<act::softsign>),
      activation("Silu", unary<act::silu>),
      activation("Selu", unary<act::selu>),
      activation("Gelu", [](const std::vector<Tensor>& v, const json& c) { return act::gelu(v[0], c.at("approximate").get<bool>()); },
                 {{"approximate", true}}),
      activation("Elu", [](const std::vector<Tensor>& v, const json& c) { return act::elu(v[0], c.at("alpha").get<double>()); },
                 {{"alpha", 1.0}}),
      activation("LeakyRelu",
                 [](const std::vector<Tensor>& v, const json& c) {
                   return act::leaky_relu(v[0], c.at("negative_slope").get<double>());
                 },
                 {{"negative_slope", 0.2}}),
      activation("Softmax",
                 [](const std::vector<Tensor>& v, const json& c) { return act::softmax(v[0], c.at("axis").get<std::int64_t>()); },
                 {{"axis", -1}}),
      activation("LogSoftmax",
                 [](const std::vector<Tensor>& v, const json& c) {
                   return act::log_softmax(v[0], c.at("axis").get<std::int64_t>());
                 },
                 {{"axis", -1}}),
  };
  std::map<std::string, OpSpec> table;
  for (auto& s : specs) {
    if (s.class_name == "Softmax" || s.class_name == "LogSoftmax") s.shape = axis_shape;
    table.emplace(s.class_name, std::move(s));
  }
  return table;
}

const std::map<std::string, OpSpec>& table() {
  static const std::map<std::string, OpSpec> t = make_table();
  return t;
}

}  // namespace

const OpSpec* find(const std::string& class_name) {
  auto it = table().find(class_name);
  return it == table().end() ? nullptr : &it->second;
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& [k, v] : table()) out.push_back(k);
  return out;
}

}  // namespace minidl::layers::op_table
