#pragma once
// Keras's mask= call keyword on a functional node (`LSTM(4)(x, mask=m)`, recorded in the node's
// kwargs as {"mask": tensor}): the mask of the node's first input, which replaces the one handed
// along the graph. It is a keyword tensor of the node (CallArgs group "mask") that the layer never
// sees as an input: record_node and Functional take it out before calling the layer.
#include <optional>
#include <vector>

#include "minidl/layers/keras_tensor.h"

namespace minidl::layers {

class Layer;

// Keras's `layer(x, mask=mask)` on KerasTensors: records a node of `layer` on x whose mask is `mask`
// (the shape of x's leading axes; nonzero = keep), not the one x carries.
KerasTensor call_with_mask(std::shared_ptr<Layer> layer, const KerasTensor& x, const KerasTensor& mask);

struct ExplicitMask {
  std::optional<std::size_t> position;  // of the mask among the node's inputs; none without the keyword
  CallArgs layer_args;                  // the node's keywords but the mask, for the layer
};

ExplicitMask explicit_mask(const CallArgs& args, std::size_t inputs);

// `values` (one per node input) without the mask's.
template <class T>
std::vector<T> without_mask(std::vector<T> values, const ExplicitMask& m) {
  if (m.position && *m.position < values.size()) values.erase(values.begin() + static_cast<std::ptrdiff_t>(*m.position));
  return values;
}

}  // namespace minidl::layers
