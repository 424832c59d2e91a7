// Keras's masking in the merge layers (keras/src/layers/merging/base_merge.py, multiply.py,
// concatenate.py): which mask the output carries, and how Multiply, Maximum and Minimum keep masked
// positions from changing the result.
#include <algorithm>

#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/reduce.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"
#include "minidl/layers/merge.h"

namespace minidl::layers {

namespace {

// The masks checked against their inputs and given trailing axes up to the input's rank (Keras's
// expand_dims(mask, -1)); empty when no input has one.
std::vector<Tensor> input_masks(const Layer& layer, const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) {
  if (!masks.empty() && masks.size() != inputs.size())
    throw_invalid_argument("layer '{}' ({}): received {} input tensors but {} masks; give one mask per input (or none)",
                           layer.name(), layer.class_name(), inputs.size(), masks.size());
  if (std::none_of(masks.begin(), masks.end(), [](const Tensor& m) { return m.defined(); })) return {};
  std::vector<Tensor> out;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    Tensor m = as_mask(masks[i], inputs[i], layer);
    while (m.defined() && m.ndim() < inputs[i].ndim()) m = m.unsqueeze(-1);
    out.push_back(m);
  }
  return out;
}

bool all_defined(const std::vector<Tensor>& masks) {
  return std::all_of(masks.begin(), masks.end(), [](const Tensor& m) { return m.defined(); });
}

// Keras's _apply_merge_op_and_or_mask (Maximum, Minimum): a masked input takes the running result's
// value, a masked running result takes the input's, so masked positions do not compete.
template <class Op>
Tensor merge_or_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks, Op op) {
  Tensor output = inputs[0], output_mask = masks[0];
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    Tensor x = inputs[i];
    if (masks[i].defined()) x = where(masks[i], x, output);
    if (output_mask.defined()) output = where(output_mask, output, x);
    output_mask = masks[i].defined() && output_mask.defined() ? maximum(output_mask, masks[i]) : Tensor();
    output = op(output, x);
  }
  return output;
}

}  // namespace

Masked Merge::call_inputs_with_masks(const std::vector<Tensor>& raw, const std::vector<Tensor>& masks, bool training) {
  const std::vector<Tensor> inputs = in_layer_dtype(raw);
  const std::vector<Tensor> m = input_masks(*this, inputs, masks);
  if (m.empty()) return {call_inputs(raw, training), Tensor()};
  for (const auto& t : inputs) {
    // Keras reshapes inputs of lower rank into new tensors, which carry no mask: not supported here.
    if (t.ndim() != inputs[0].ndim())
      throw_invalid_argument("layer '{}' ({}): masked inputs of different ranks are not supported by minidl, received "
                             "shapes {} and {}",
                             name(), class_name(), shape_str(inputs[0].shape()), shape_str(t.shape()));
  }
  build_for_tensors(inputs);
  Tensor out_mask;
  if (all_defined(m)) {  // the OR of the masks as given (not expanded)
    out_mask = as_mask(masks[0], inputs[0], *this);
    for (std::size_t i = 1; i < masks.size(); ++i) out_mask = maximum(out_mask, as_mask(masks[i], inputs[i], *this));
  }
  return {merge_masked(inputs, m), out_mask};
}

Tensor Multiply::merge_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const {
  // A masked position counts as 1 in the product; when every input is masked, a position masked in
  // all of them becomes 0.
  Tensor output, output_mask;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor x = masks[i].defined() ? where(masks[i], inputs[i], Tensor::scalar(1.0, inputs[i].dtype())) : inputs[i];
    output = output.defined() ? output * x : x;
    if (masks[i].defined()) output_mask = output_mask.defined() ? maximum(output_mask, masks[i]) : masks[i];
  }
  if (!all_defined(masks)) return output;
  return where(output_mask, output, Tensor::scalar(0.0, output.dtype()));
}

Tensor Maximum::merge_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const {
  return merge_or_mask(inputs, masks, [](const Tensor& a, const Tensor& b) { return maximum(a, b); });
}

Tensor Minimum::merge_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const {
  return merge_or_mask(inputs, masks, [](const Tensor& a, const Tensor& b) { return minimum(a, b); });
}

Masked Concatenate::call_inputs_with_masks(const std::vector<Tensor>& raw, const std::vector<Tensor>& masks,
                                           bool training) {
  const std::vector<Tensor> inputs = in_layer_dtype(raw);
  const std::vector<Tensor> m = input_masks(*this, inputs, masks);
  Tensor value = call_inputs(raw, training);
  if (m.empty()) return {value, Tensor()};
  std::vector<Tensor> full;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    full.push_back(m[i].defined() ? broadcast_to(m[i], inputs[i].shape()) : Tensor::ones(inputs[i].shape(), dtype()));
  return {value, max(concat(full, axis_), {-1})};
}

}  // namespace minidl::layers
