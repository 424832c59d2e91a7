#include "minidl/layers/merge.h"

#include <algorithm>
#include <set>

#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"

namespace minidl::layers {

namespace {

std::string shapes_str(const std::vector<Shape>& shapes) {
  std::string s = "[";
  for (std::size_t i = 0; i < shapes.size(); ++i) s += (i ? ", " : "") + shape_str(shapes[i]);
  return s + "]";
}

// Keras's elementwise output shape of two shapes without their batch axis: right-aligned, an
// unknown extent stays unknown, 1 broadcasts, anything else must match.
Shape elementwise_shape(const Shape& a, const Shape& b, const std::vector<Shape>& all) {
  if (a.ndim() < b.ndim()) return elementwise_shape(b, a, all);
  std::vector<std::int64_t> out(a.begin(), a.begin() + (a.ndim() - b.ndim()));
  for (std::int64_t k = 0; k < b.ndim(); ++k) {
    const std::int64_t i = a[a.ndim() - b.ndim() + k], j = b[k];
    if (i < 0 || j < 0) out.push_back(-1);
    else if (i == 1) out.push_back(j);
    else if (j == 1 || i == j) out.push_back(i);
    else
      throw_invalid_argument("Inputs have incompatible shapes. Received shapes {} and {} (all inputs: {})", shape_str(a),
                             shape_str(b), shapes_str(all));
  }
  return Shape(out);
}

Shape without_batch(const Shape& s) { return Shape(s.begin() + 1, s.end()); }

// The known batch size all inputs agree on (-1 if none is known); throws if two differ.
std::int64_t common_batch(const std::vector<Shape>& shapes) {
  std::set<std::int64_t> sizes;
  for (const auto& s : shapes)
    if (s.ndim() > 0 && s[0] >= 0) sizes.insert(s[0]);
  if (sizes.size() > 1)
    throw_invalid_argument("Cannot merge tensors with different batch sizes. Received tensors with shapes {}",
                           shapes_str(shapes));
  return sizes.empty() ? -1 : *sizes.begin();
}

void require_list(const Layer& layer, std::size_t count) {
  if (count < 1)
    throw_invalid_argument("A merge layer ('{}', {}) should be called on a list of at least 1 input. Received 0 inputs",
                           layer.name(), layer.class_name());
}

// inputs[0] op inputs[1] op ... from the left.
template <class Op>
Tensor fold(const std::vector<Tensor>& inputs, Op op) {
  Tensor y = inputs[0];
  for (std::size_t i = 1; i < inputs.size(); ++i) y = op(y, inputs[i]);
  return y;
}

}  // namespace

void Merge::check_count(std::size_t count, const std::vector<Shape>&) const { require_list(*this, count); }

Shape Merge::compute_output_shape_for(const std::vector<Shape>& input_shapes) const {
  check_count(input_shapes.size(), input_shapes);
  for (const auto& s : input_shapes)
    if (s.ndim() < 1)
      throw_invalid_argument("A merge layer ('{}') needs inputs with a batch axis; received shapes {}", name(),
                             shapes_str(input_shapes));
  const std::int64_t batch = common_batch(input_shapes);
  Shape out = without_batch(input_shapes[0]);
  for (std::size_t i = 1; i < input_shapes.size(); ++i)
    out = elementwise_shape(out, without_batch(input_shapes[i]), input_shapes);
  std::vector<std::int64_t> d{batch};
  d.insert(d.end(), out.begin(), out.end());
  return Shape(d);
}

Tensor Merge::call_inputs(const std::vector<Tensor>& raw, bool) {
  build_for_tensors(raw);
  // Inputs of lower rank get axes right after the batch axis (Keras's expand_dims(x, 1)).
  std::int64_t rank = 0;
  for (const auto& t : raw) rank = std::max(rank, t.ndim());
  std::vector<Tensor> inputs;
  for (const auto& t : in_layer_dtype(raw)) {
    Tensor x = t;
    while (x.ndim() < rank) x = x.unsqueeze(1);
    inputs.push_back(x);
  }
  return merge(inputs);
}

Tensor Add::merge(const std::vector<Tensor>& inputs) const {
  return fold(inputs, [](const Tensor& a, const Tensor& b) { return a + b; });
}

void Subtract::check_count(std::size_t count, const std::vector<Shape>& input_shapes) const {
  if (count != 2)
    throw_invalid_argument("A `Subtract` layer ('{}') should be called on exactly 2 inputs. Received: input_shape={}",
                           name(), shapes_str(input_shapes));
}

Tensor Subtract::merge(const std::vector<Tensor>& inputs) const { return inputs[0] - inputs[1]; }

Tensor Multiply::merge(const std::vector<Tensor>& inputs) const {
  return fold(inputs, [](const Tensor& a, const Tensor& b) { return a * b; });
}

Tensor Average::merge(const std::vector<Tensor>& inputs) const {
  return fold(inputs, [](const Tensor& a, const Tensor& b) { return a + b; }) / static_cast<double>(inputs.size());
}

Tensor Maximum::merge(const std::vector<Tensor>& inputs) const {
  return fold(inputs, [](const Tensor& a, const Tensor& b) { return maximum(a, b); });
}

Tensor Minimum::merge(const std::vector<Tensor>& inputs) const {
  return fold(inputs, [](const Tensor& a, const Tensor& b) { return minimum(a, b); });
}

// ---- Concatenate ----

Concatenate::Concatenate(const ConcatenateOptions& o) : ListLayer("Concatenate", common_options(o)), axis_(o.axis) {}

Shape Concatenate::compute_output_shape_for(const std::vector<Shape>& shapes) const {
  if (shapes.empty())
    throw_invalid_argument("A `Concatenate` layer ('{}') should be called on a list of at least 1 input. Received: "
                           "input_shape=[]",
                           name());
  const std::int64_t rank = shapes[0].ndim();
  const auto mismatch = [&] {
    throw_invalid_argument("A `Concatenate` layer ('{}', axis={}) requires inputs with matching shapes except for the "
                           "concatenation axis. Received: input_shape={}",
                           name(), axis_, shapes_str(shapes));
  };
  if (axis_ < -rank || axis_ >= rank || rank < 1)
    throw_invalid_argument("Concatenate ('{}'): axis {} is out of range for inputs of rank {} (shapes {})", name(),
                           axis_, rank, shapes_str(shapes));
  const std::int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
  std::vector<std::int64_t> out(shapes[0].begin(), shapes[0].end());
  for (std::size_t i = 1; i < shapes.size(); ++i) {
    if (shapes[i].ndim() != rank) mismatch();
    for (std::int64_t k = 0; k < rank; ++k) {
      const std::int64_t d = shapes[i][k];
      auto& o = out[static_cast<std::size_t>(k)];
      if (k == axis) o = (o < 0 || d < 0) ? -1 : o + d;
      else if (o < 0) o = d;
      else if (d >= 0 && d != o) mismatch();
    }
  }
  return Shape(out);
}

Tensor Concatenate::call_inputs(const std::vector<Tensor>& raw, bool) {
  build_for_tensors(raw);
  return concat(in_layer_dtype(raw), axis_);
}

nlohmann::json Concatenate::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["axis"] = axis_;
  return c;
}

}  // namespace minidl::layers
