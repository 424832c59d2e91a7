#include "minidl/autograd/node.h"

#include <array>

#include "minidl/autograd/grad_mode.h"
#include "minidl/core/error.h"
#include "minidl/core/kernels/broadcast.h"

namespace minidl::autograd {

Node::Node(std::string name, std::vector<std::shared_ptr<Node>> next, std::vector<Shape> input_shapes,
           BackwardFn backward, std::vector<DType> input_dtypes)
    : name_(std::move(name)),
      next_(std::move(next)),
      input_shapes_(std::move(input_shapes)),
      input_dtypes_(std::move(input_dtypes)),
      backward_(std::move(backward)) {}

Node::~Node() {
  // Destroying the last owner of a long chain would recurse once per node. Instead, steal the
  // edges of every node we are about to free and release them from a loop.
  std::vector<std::shared_ptr<Node>> pending;
  auto steal = [&pending](std::vector<std::shared_ptr<Node>>& edges) {
    for (auto& e : edges)
      if (e && e.use_count() == 1) pending.push_back(std::move(e));
    edges.clear();
  };
  steal(next_);
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    steal(n->next_);
    n->backward_ = nullptr;
  }
}

std::vector<Tensor> Node::apply(const Tensor& grad_output) {
  GradMask needs(next_.size());
  for (std::size_t i = 0; i < next_.size(); ++i) needs[i] = next_[i] != nullptr;
  return apply(grad_output, needs);
}

std::vector<Tensor> Node::apply(const Tensor& grad_output, const GradMask& needs) {
  if (released_ || !backward_)
    throw_runtime_error(
        "backward through '{}' a second time: its saved tensors were freed after the first backward; "
        "pass retain_graph=true to the first backward() to go through the graph again",
        name_);
  return backward_(grad_output, needs);
}

void Node::release() {
  backward_ = nullptr;
  released_ = true;
}

Tensor kept_gradient(const Tensor& grad) {
  const auto& impl = grad.impl_ptr();
  if (impl.use_count() == 1 && impl->storage.use_count() == 1 && !impl->grad_fn && !impl->requires_grad) return grad;
  return grad.deep_copy();
}

AccumulateGrad::AccumulateGrad(const std::shared_ptr<TensorImpl>& leaf)
    : Node("AccumulateGrad", {}, {leaf->shape}, nullptr, {leaf->dtype}), leaf_(leaf) {}

std::vector<Tensor> AccumulateGrad::apply(const Tensor& grad_output, const GradMask&) {
  auto leaf = leaf_.lock();
  if (!leaf) return {};  // the tensor is gone; nobody can read its gradient
  if (!leaf->grad) {
    leaf->grad = kept_gradient(grad_output).impl_ptr();
  } else {
    // Like PyTorch: add in place only when nobody else holds the old gradient. A caller who kept
    // `x.grad()` (e.g. to carry it to another graph) must not see later backward passes change it.
    const bool exclusive = leaf->grad.use_count() == 1 && leaf->grad->storage.use_count() == 1;
    Tensor old(leaf->grad);
    Tensor acc = exclusive ? old : Tensor::empty(old.shape(), old.dtype());
    dispatch(acc.dtype(), [&](auto tag) {
      using T = decltype(tag);
      kernels::map_broadcast<T, 2>(acc.data<T>(), acc.shape(), {old.data<T>(), grad_output.data<T>()},
                                   {&acc.shape(), &grad_output.shape()}, [](T a, T b) { return a + b; });
    });
    if (!exclusive) leaf->grad = acc.impl_ptr();
  }
  return {};
}

std::shared_ptr<Node> gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return nullptr;
  TensorImpl* impl = t.impl();
  if (impl->grad_fn) return impl->grad_fn;
  auto acc = impl->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t.impl_ptr());
    impl->grad_accumulator = acc;
  }
  return acc;
}

Tensor record(std::string name, const std::vector<Tensor>& inputs, Tensor out, BackwardFn backward) {
  if (!grad_enabled()) return out;
  std::vector<std::shared_ptr<Node>> next;
  std::vector<Shape> shapes;
  std::vector<DType> dtypes;
  bool any = false;
  for (const auto& in : inputs) {
    next.push_back(gradient_edge(in));
    shapes.push_back(in.defined() ? in.shape() : Shape{});
    dtypes.push_back(in.defined() ? in.dtype() : DType::Float32);  // undefined inputs have no edge
    any = any || next.back() != nullptr;
  }
  if (!any) return out;
  auto node = std::make_shared<Node>(std::move(name), std::move(next), std::move(shapes), std::move(backward),
                                     std::move(dtypes));
  node->output = out.impl_ptr();
  out.impl()->requires_grad = true;
  out.impl()->grad_fn = std::move(node);
  return out;
}

}  // namespace minidl::autograd
