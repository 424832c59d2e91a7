#pragma once
// Tensor: a shape, a dtype and a shared, contiguous, row-major buffer, plus the slots the autograd
// tape (autograd/) fills in. Views (reshape, squeeze, unsqueeze) share the buffer; every other
// operation produces a new contiguous tensor, so kernels never deal with strides.
//
// Methods that record on the tape (reshape, sum, backward, ...) are declared here for the user's
// convenience and defined in autograd/; core itself never calls into autograd.
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "minidl/core/dtype.h"
#include "minidl/core/random.h"
#include "minidl/core/shape.h"

namespace minidl {

namespace autograd {
class Node;
}

// An owned, 64-byte aligned buffer.
class Storage {
 public:
  explicit Storage(std::size_t nbytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }

 private:
  void* data_ = nullptr;
  std::size_t nbytes_ = 0;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  DType dtype = DType::Float32;
  // Autograd slots.
  bool requires_grad = false;
  bool retains_grad = false;                        // non-leaf that keeps its .grad()
  std::shared_ptr<TensorImpl> grad;                 // accumulated gradient
  std::shared_ptr<autograd::Node> grad_fn;          // producer on the tape; null for leaves
  std::weak_ptr<autograd::Node> grad_accumulator;   // leaves: the node that adds into `grad`
};

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor (defined() == false)
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- factories (core/tensor_factories.cpp) ----
  static Tensor empty(const Shape& shape, DType dtype = DType::Float32);
  static Tensor zeros(const Shape& shape, DType dtype = DType::Float32);
  static Tensor ones(const Shape& shape, DType dtype = DType::Float32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::Float32);
  static Tensor scalar(double value, DType dtype = DType::Float32);
  static Tensor arange(double start, double stop, double step = 1.0, DType dtype = DType::Float32);
  // float -> Float32, double -> Float64. The shape must hold exactly values.size() elements.
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape);
  template <class T>
  static Tensor from_vector(const std::vector<T>& values) {
    return from_vector(values, Shape{static_cast<std::int64_t>(values.size())});
  }
  static Tensor rand(const Shape& shape, Generator& gen, DType dtype = DType::Float32, double low = 0.0,
                     double high = 1.0);
  static Tensor rand(const Shape& shape, DType dtype = DType::Float32);
  static Tensor randn(const Shape& shape, Generator& gen, DType dtype = DType::Float32, double mean = 0.0,
                      double stddev = 1.0);
  static Tensor randn(const Shape& shape, DType dtype = DType::Float32);
  // Normal(mean, stddev) re-drawn outside mean +- 2 stddev (Keras's TruncatedNormal).
  static Tensor truncated_normal(const Shape& shape, Generator& gen, DType dtype = DType::Float32,
                                 double mean = 0.0, double stddev = 1.0);

  // ---- information ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return checked_impl().shape; }
  DType dtype() const { return checked_impl().dtype; }
  std::int64_t ndim() const { return shape().ndim(); }
  std::int64_t numel() const { return shape().numel(); }
  std::int64_t size(std::int64_t axis) const { return shape()[axis]; }
  std::string str() const;  // printable form, like PyTorch's repr

  // ---- raw data (no autograd) ----
  template <class T>
  T* data();
  template <class T>
  const T* data() const;
  void* raw_data() const { return checked_impl().storage->data(); }
  template <class T>
  std::vector<T> to_vector() const;  // converts from the tensor's dtype when T differs
  double item() const;               // the value of a one-element tensor
  double value_at(const std::vector<std::int64_t>& index) const;  // bounds-checked element read
  bool shares_storage(const Tensor& other) const;

  // In-place, outside the tape: for optimizers, initializers and loaders.
  Tensor& fill_(double value);
  Tensor& copy_(const Tensor& src);  // same shape and dtype
  Tensor deep_copy() const;          // new buffer, no autograd history

  // ---- differentiable (defined in autograd/) ----
  Tensor to(DType dtype) const;
  Tensor reshape(const Shape& shape) const;  // one extent may be -1
  Tensor flatten() const;
  Tensor squeeze() const;
  Tensor squeeze(std::int64_t axis) const;
  Tensor unsqueeze(std::int64_t axis) const;
  Tensor permute(const std::vector<std::int64_t>& order) const;
  Tensor transpose(std::int64_t axis0, std::int64_t axis1) const;
  Tensor slice(std::int64_t axis, std::int64_t start, std::int64_t stop, std::int64_t step = 1) const;
  Tensor sum() const;
  Tensor sum(const std::vector<std::int64_t>& axes, bool keepdims = false) const;
  Tensor mean() const;
  Tensor mean(const std::vector<std::int64_t>& axes, bool keepdims = false) const;

  // ---- autograd (defined in autograd/) ----
  Tensor& set_requires_grad(bool requires_grad = true);
  bool requires_grad() const;
  bool is_leaf() const;
  Tensor grad() const;  // undefined until a backward pass reached this tensor
  void zero_grad();     // drops the accumulated gradient
  void retain_grad();   // keep .grad() on a non-leaf tensor
  // Seeds with 1 for a one-element tensor; any other shape needs an explicit seed gradient.
  void backward(bool retain_graph = false) const;
  void backward(const Tensor& seed, bool retain_graph = false) const;
  Tensor detach() const;  // shares the buffer, no history, requires_grad false
  const std::shared_ptr<autograd::Node>& grad_fn() const { return checked_impl().grad_fn; }

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  const TensorImpl& checked_impl() const;
  std::shared_ptr<TensorImpl> impl_;
};

// Throws std::invalid_argument unless `t` is defined and has dtype `expected` (names `arg`).
void check_dtype(const Tensor& t, DType expected, std::string_view arg);
// Throws std::invalid_argument when the two tensors' dtypes differ (names `op`).
void check_same_dtype(const Tensor& a, const Tensor& b, std::string_view op);

// `std::cout << t` prints what fmt prints (Tensor::str()).
inline std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace minidl

template <>
struct fmt::formatter<minidl::Tensor> : fmt::formatter<std::string_view> {
  auto format(const minidl::Tensor& t, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(t.str(), ctx);
  }
};
