#pragma once
// Row lookup along axis 0: Keras's ops.take(params, indices, axis=0), the Embedding layer's op.
#include <string_view>

#include "minidl/core/tensor.h"

namespace minidl {

// What gather's error messages call things, so that a layer can report in its own terms.
struct GatherNames {
  std::string_view op = "gather";              // who is speaking
  std::string_view indices = "indices";        // the argument that holds the indices
  std::string_view limit = "params.shape[0]";  // what bounds them
};

// out[i, j, ..., :] = params[indices[i, j, ...], :]; shape indices.shape + params.shape[1:].
// indices is a float tensor (minidl's tensors are float) holding whole numbers in
// [0, params.shape[0]); anything else throws, naming the position, the value and the range:
// std::out_of_range for negative or too large indices, std::invalid_argument for fractions, NaN
// and infinities. (JAX silently clamps out-of-range indices; a wrong vocabulary size should not
// train quietly.)
// The gradient flows to params only, by scatter-add (a row picked twice receives both gradients);
// indices receive none.
Tensor gather(const Tensor& params, const Tensor& indices, const GatherNames& names = {});

}  // namespace minidl
