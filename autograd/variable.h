#pragma once
// A trainable (or not) weight: a leaf tensor plus what must travel with it. The optimizer sees only
// Variables: it applies the constraint after each update without knowing which layer owns it.
#include <functional>
#include <memory>
#include <string>

#include "minidl/core/tensor.h"

namespace minidl {

struct Variable {
  Tensor value;       // a leaf; requires_grad while trainable
  std::string name;   // "kernel"
  std::string path;   // "conv2d_transpose/kernel": unique within a model, used in checkpoints
  bool trainable = true;
  bool declared_trainable = true;  // as created; trainable follows the owning layer's flag on top
  // Projection applied after every optimizer update (Keras: variable.assign(constraint(variable))).
  std::function<Tensor(const Tensor&)> constraint;
  // Penalty added to the loss; a differentiable scalar.
  std::function<Tensor(const Tensor&)> regularizer;

  // Replaces the value in place (same buffer), e.g. with the constrained weights.
  void assign(const Tensor& new_value);
};

using VariablePtr = std::shared_ptr<Variable>;

}  // namespace minidl
