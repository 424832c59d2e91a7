#pragma once
// The check every normalization op makes of its per-feature tensors (gamma, beta, moving statistics).
#include <string_view>

#include "minidl/core/error.h"
#include "minidl/core/tensor.h"

namespace minidl {

// p must be undefined (when optional) or have shape `expected` and x's dtype. fits() says which
// extents of x the shape comes from; it is only called for the message, off the hot path.
template <class Fits>
void check_norm_param(std::string_view op, const char* name, const Tensor& p, const Tensor& x, const Shape& expected,
                      Fits fits, bool optional = true) {
  if (!p.defined()) {
    if (optional) return;
    throw_invalid_argument("{}: {} must be a defined tensor of shape {}", op, name, expected);
  }
  if (p.shape() != expected)
    throw_invalid_argument("{}: {} must have shape {} ({}), received shape {}", op, name, expected, fits(), p.shape());
  if (p.dtype() != x.dtype())
    throw_invalid_argument("{}: {} must have x's dtype {}, received {}", op, name, x.dtype(), p.dtype());
}

}  // namespace minidl
