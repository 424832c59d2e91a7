#pragma once
// The x of optim::Model's fit / evaluate / predict / train_on_batch / test_on_batch / operator():
// one tensor per model input, as Keras's model.fit([x1, x2], y). It converts implicitly from one
// Tensor, a std::vector<Tensor> or a brace list, so model.fit(x, y) and model.fit({x1, x2}, y)
// run the same code.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "minidl/core/tensor.h"

namespace minidl::optim {

class ModelInputs {
 public:
  ModelInputs(const Tensor& x) : tensors_{x} {}
  ModelInputs(std::vector<Tensor> xs) : tensors_(std::move(xs)) {}
  ModelInputs(std::initializer_list<Tensor> xs) : tensors_(xs) {}

  std::size_t size() const { return tensors_.size(); }
  const Tensor& operator[](std::size_t i) const { return tensors_[i]; }
  const std::vector<Tensor>& tensors() const { return tensors_; }
  std::vector<Tensor>::const_iterator begin() const { return tensors_.begin(); }
  std::vector<Tensor>::const_iterator end() const { return tensors_.end(); }

  // The samples `idx` of every input (the same rows of each), as new contiguous tensors.
  ModelInputs rows(const std::vector<std::int64_t>& idx) const;

 private:
  std::vector<Tensor> tensors_;
};

}  // namespace minidl::optim
