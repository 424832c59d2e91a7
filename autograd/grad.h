#pragma once
// autograd::grad: PyTorch's torch.autograd.grad. Returns d(output)/d(input) for each input without
// touching any .grad(), and runs only the part of the graph between the output and the inputs:
// an op whose other inputs lead nowhere wanted skips their gradients (e.g. a GAN's generator step
// does not compute the discriminator's weight gradients).
#include <vector>

#include "minidl/core/tensor.h"

namespace minidl::autograd {

struct GradOptions {
  Tensor grad_output{};       // d(loss)/d(output); unset: ones, for a one-element output
  bool retain_graph = false;  // keep the graph for another backward / grad through it
  bool allow_unused = false;  // an input the output does not depend on gets an undefined tensor
};

std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs, const GradOptions& options = {});

}  // namespace minidl::autograd
