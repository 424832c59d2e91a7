#pragma once
// A node of the tape: the backward of one op call. It holds what the backward needs (saved
// tensors, detached so no node ever owns its own output) and edges to the nodes that produced its
// inputs. Leaves that require grad are reached through an AccumulateGrad node.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "minidl/core/tensor.h"

namespace minidl::autograd {

// needs[i]: whether input i wants a gradient; backward may skip work (and return an undefined
// tensor) for the others.
using GradMask = std::vector<bool>;
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output, const GradMask& needs)>;

class Node {
 public:
  // input_dtypes may be empty (no dtype check); record() fills it so that dtype-changing ops
  // (cast) are checked against their input's dtype, not their output's.
  Node(std::string name, std::vector<std::shared_ptr<Node>> next, std::vector<Shape> input_shapes,
       BackwardFn backward, std::vector<DType> input_dtypes = {});
  virtual ~Node();  // tears long chains down iteratively: a 100,000-op graph must not blow the stack
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const std::string& name() const { return name_; }
  const std::vector<std::shared_ptr<Node>>& next() const { return next_; }
  const std::vector<Shape>& input_shapes() const { return input_shapes_; }
  const std::vector<DType>& input_dtypes() const { return input_dtypes_; }

  // Gradients for each input (undefined where no gradient flows); `needs` says which inputs want one.
  virtual std::vector<Tensor> apply(const Tensor& grad_output, const GradMask& needs);
  std::vector<Tensor> apply(const Tensor& grad_output);  // every input with an edge
  // Frees the saved tensors once backward has used them (unless the graph is retained).
  virtual void release();
  bool released() const { return released_; }

  std::weak_ptr<TensorImpl> output;  // for retain_grad()

 protected:
  std::string name_;
  std::vector<std::shared_ptr<Node>> next_;
  std::vector<Shape> input_shapes_;
  std::vector<DType> input_dtypes_;
  BackwardFn backward_;
  bool released_ = false;
};

// Adds the incoming gradient into a leaf tensor's .grad().
// The first gradient a tensor keeps as its .grad(): `grad` itself when only the caller's handle
// holds it and its storage (the usual case: no copy of a large gradient, as PyTorch's
// AccumulateGrad steals it), else a copy, so a .grad() never shares memory with another tensor.
Tensor kept_gradient(const Tensor& grad);

class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(const std::shared_ptr<TensorImpl>& leaf);
  std::vector<Tensor> apply(const Tensor& grad_output, const GradMask& needs) override;
  using Node::apply;
  void release() override {}  // holds nothing to free; reusable across backward passes

 private:
  std::weak_ptr<TensorImpl> leaf_;
};

// The edge that leads to `t`'s gradient: its producer, its accumulator, or null.
std::shared_ptr<Node> gradient_edge(const Tensor& t);

// Makes `out` the output of a recorded op when grad mode is on and any input requires grad.
// `backward` receives dL/d(out) and returns one gradient per input (same shapes as the inputs).
Tensor record(std::string name, const std::vector<Tensor>& inputs, Tensor out, BackwardFn backward);

// A tensor to keep in a backward closure: same buffer, no history (avoids owning cycles).
inline Tensor saved(const Tensor& t) { return t.defined() ? t.detach() : t; }

}  // namespace minidl::autograd
