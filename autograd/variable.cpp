#include "minidl/autograd/variable.h"

#include "minidl/core/error.h"

namespace minidl {

void Variable::assign(const Tensor& new_value) {
  if (new_value.shape() != value.shape())
    throw_invalid_argument("assign to variable '{}': new value has shape {}, the variable has shape {}", path,
                           new_value.shape(), value.shape());
  value.copy_(new_value.dtype() == value.dtype() ? new_value : new_value.to(value.dtype()));
}

}  // namespace minidl
