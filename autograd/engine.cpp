// The backward pass and the Tensor methods that touch autograd state.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "minidl/autograd/grad.h"
#include "minidl/autograd/grad_mode.h"
#include "minidl/autograd/node.h"
#include "minidl/core/error.h"
#include "minidl/core/kernels/broadcast.h"

namespace minidl {

using autograd::Node;

namespace {

Tensor add_fresh(const Tensor& a, const Tensor& b) {
  Tensor out = Tensor::empty(a.shape(), a.dtype());
  dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::map_broadcast<T, 2>(out.data<T>(), out.shape(), {a.data<T>(), b.data<T>()}, {&a.shape(), &b.shape()},
                                 [](T x, T y) { return x + y; });
  });
  return out;
}

// Marks the nodes from which some target is reachable (the only ones autograd::grad must run),
// by an iterative post-order walk of the graph below `root`.
std::unordered_set<Node*> nodes_leading_to(Node* root, const std::unordered_set<Node*>& targets) {
  std::unordered_set<Node*> needed, done;
  std::vector<std::pair<Node*, std::size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto& [n, child] = stack.back();
    if (child < n->next().size()) {
      Node* c = n->next()[child++].get();
      if (c && !done.count(c)) stack.emplace_back(c, 0);
      continue;
    }
    bool leads = targets.count(n) > 0;
    for (const auto& c : n->next()) leads = leads || (c && needed.count(c.get()));
    if (leads) needed.insert(n);
    done.insert(n);
    stack.pop_back();
  }
  return needed;
}

// Walks the graph from `root` in dependency order without recursion: a node runs once every node
// that feeds it a gradient has run, so gradients of tensors used several times are summed first.
// With `targets` (autograd::grad), only the nodes leading to a target run, each input gets a
// gradient only if it leads to a target, nothing is accumulated into .grad(), and the gradient
// arriving at each target is returned instead.
std::unordered_map<Node*, Tensor> run_backward(const std::shared_ptr<Node>& root, const Tensor& seed,
                                               bool retain_graph,
                                               const std::unordered_set<Node*>* targets = nullptr) {
  std::unordered_map<Node*, int> dependencies;
  {
    std::vector<Node*> stack{root.get()};
    dependencies[root.get()] = 0;
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      for (const auto& next : n->next()) {
        if (!next) continue;
        auto [it, inserted] = dependencies.try_emplace(next.get(), 0);
        ++it->second;
        if (inserted) stack.push_back(next.get());
      }
    }
  }
  std::unordered_set<Node*> needed;
  if (targets) needed = nodes_leading_to(root.get(), *targets);
  auto wanted = [&](Node* n) { return n && (!targets || needed.count(n)); };
  std::unordered_map<Node*, Tensor> grads, captured;
  grads[root.get()] = seed;
  std::vector<std::shared_ptr<Node>> ready{root};
  NoGradGuard no_grad;
  while (!ready.empty()) {
    std::shared_ptr<Node> node = std::move(ready.back());
    ready.pop_back();
    const auto& next = node->next();
    auto found = grads.find(node.get());
    if (found == grads.end() || !wanted(node.get())) {  // no gradient needed here: inputs get none from it
      if (found != grads.end()) grads.erase(found);
      for (const auto& n : next)
        if (n && --dependencies[n.get()] == 0) ready.push_back(n);
      continue;
    }
    Tensor grad = std::move(found->second);
    grads.erase(found);
    if (targets) {
      if (targets->count(node.get())) captured[node.get()] = grad;
    } else if (auto out = node->output.lock(); out && out->retains_grad) {
      out->grad = out->grad ? add_fresh(Tensor(out->grad), grad).impl_ptr() : autograd::kept_gradient(grad).impl_ptr();
    }
    std::vector<Tensor> input_grads;
    if (!targets || std::any_of(next.begin(), next.end(), [&](const auto& n) { return wanted(n.get()); })) {
      autograd::GradMask needs(next.size());
      for (std::size_t i = 0; i < next.size(); ++i) needs[i] = wanted(next[i].get());
      input_grads = node->apply(grad, needs);
    }
    if (!input_grads.empty() && input_grads.size() != next.size())
      throw_runtime_error("internal error: backward of '{}' returned {} gradients for {} inputs", node->name(),
                          input_grads.size(), next.size());
    for (std::size_t i = 0; i < next.size(); ++i) {
      if (!next[i]) continue;
      if (i < input_grads.size() && input_grads[i].defined() && wanted(next[i].get())) {
        const Tensor& g = input_grads[i];
        // A gradient has its input's dtype, which differs from the output's across a cast.
        const DType want = i < node->input_dtypes().size() ? node->input_dtypes()[i] : grad.dtype();
        if (g.shape() != node->input_shapes()[i] || g.dtype() != want)
          throw_runtime_error("internal error: backward of '{}' gave input {} a gradient of shape {} {}, expected {} {}",
                              node->name(), i, g.shape(), g.dtype(), node->input_shapes()[i], want);
        auto [it, inserted] = grads.try_emplace(next[i].get(), g);
        if (!inserted) it->second = add_fresh(it->second, g);
      }
      if (--dependencies[next[i].get()] == 0) ready.push_back(next[i]);
    }
    if (!retain_graph) node->release();
  }
  return captured;
}

}  // namespace

Tensor& Tensor::set_requires_grad(bool requires_grad) {
  TensorImpl& impl = *impl_;
  if (impl.grad_fn && !requires_grad)
    throw_invalid_argument(
        "set_requires_grad(false) on a tensor computed by '{}': only leaf tensors can change it; use detach()",
        impl.grad_fn->name());
  impl.requires_grad = requires_grad;
  return *this;
}

bool Tensor::requires_grad() const { return checked_impl().requires_grad; }
bool Tensor::is_leaf() const { return checked_impl().grad_fn == nullptr; }

Tensor Tensor::grad() const {
  const auto& g = checked_impl().grad;
  return g ? Tensor(g) : Tensor();
}

void Tensor::zero_grad() { impl_->grad.reset(); }

void Tensor::retain_grad() {
  if (!requires_grad()) throw_invalid_argument("retain_grad() on a tensor that does not require grad");
  impl_->retains_grad = true;
}

void Tensor::backward(bool retain_graph) const {
  if (numel() != 1)
    throw_invalid_argument(
        "backward() without a seed gradient needs a one-element tensor, received shape {}; pass the gradient "
        "of the loss with respect to this tensor: backward(seed)",
        shape());
  backward(Tensor::ones(shape(), dtype()), retain_graph);
}

void Tensor::backward(const Tensor& seed, bool retain_graph) const {
  if (!requires_grad())
    throw_invalid_argument(
        "backward() on a tensor that does not require grad: no input had set_requires_grad(true), or it was "
        "computed under NoGradGuard");
  if (!seed.defined() || seed.shape() != shape())
    throw_invalid_argument("backward(seed): seed shape {} must equal the tensor's shape {}",
                           seed.defined() ? seed.shape().str() : "undefined", shape());
  check_same_dtype(*this, seed, "backward(seed)");
  if (is_leaf()) {
    NoGradGuard no_grad;
    auto acc = autograd::gradient_edge(*this);
    acc->apply(seed);
    return;
  }
  run_backward(impl_->grad_fn, seed, retain_graph);
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = checked_impl().storage;
  impl->shape = impl_->shape;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

namespace autograd {

std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs, const GradOptions& options) {
  if (!output.defined() || !output.requires_grad())
    throw_invalid_argument(
        "autograd::grad: output does not require grad: no input had set_requires_grad(true), or it was computed "
        "under NoGradGuard");
  Tensor seed = options.grad_output;
  if (!seed.defined()) {
    if (output.numel() != 1)
      throw_invalid_argument(
          "autograd::grad: output has shape {}; a non-scalar output needs options.grad_output of that shape",
          output.shape());
    seed = Tensor::ones(output.shape(), output.dtype());
  }
  if (seed.shape() != output.shape())
    throw_invalid_argument("autograd::grad: grad_output shape {} must equal the output's shape {}", seed.shape(),
                           output.shape());
  check_same_dtype(output, seed, "autograd::grad(grad_output)");
  std::vector<std::shared_ptr<Node>> edges;
  std::unordered_set<Node*> targets;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad())
      throw_invalid_argument("autograd::grad: inputs[{}] does not require grad, so it has no gradient", i);
    edges.push_back(gradient_edge(inputs[i]));
    targets.insert(edges.back().get());
  }
  std::unordered_map<Node*, Tensor> captured;
  if (output.is_leaf()) {
    captured[gradient_edge(output).get()] = seed;  // d(output)/d(output)
  } else {
    captured = run_backward(output.impl()->grad_fn, seed, options.retain_graph, &targets);
  }
  std::vector<Tensor> out;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    auto it = captured.find(edges[i].get());
    if (it == captured.end() && !options.allow_unused)
      throw_invalid_argument(
          "autograd::grad: inputs[{}] (shape {}) was not used to compute the output; pass allow_unused=true to get "
          "an undefined gradient for it",
          i, inputs[i].shape());
    out.push_back(it == captured.end() ? Tensor() : it->second.deep_copy());
  }
  return out;
}

}  // namespace autograd

}  // namespace minidl
