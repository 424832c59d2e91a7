#include "minidl/core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "minidl/core/allocator.h"
#include "minidl/core/error.h"

namespace minidl {

Storage::Storage(std::size_t nbytes) : data_(allocate_tensor_memory(nbytes)), nbytes_(nbytes) {}

Storage::~Storage() { free_tensor_memory(data_, nbytes_); }

const TensorImpl& Tensor::checked_impl() const {
  if (!impl_) throw std::logic_error("operation on an undefined Tensor (default-constructed or moved-from)");
  return *impl_;
}

template <class T>
T* Tensor::data() {
  check_dtype(*this, dtype_of<T>(), "tensor");
  return static_cast<T*>(impl_->storage->data());
}

template <class T>
const T* Tensor::data() const {
  check_dtype(*this, dtype_of<T>(), "tensor");
  return static_cast<const T*>(impl_->storage->data());
}

template float* Tensor::data<float>();
template double* Tensor::data<double>();
template const float* Tensor::data<float>() const;
template const double* Tensor::data<double>() const;

template <class T>
std::vector<T> Tensor::to_vector() const {
  const auto n = static_cast<std::size_t>(numel());
  std::vector<T> out(n);
  dispatch(dtype(), [&](auto tag) {
    using S = decltype(tag);
    const S* p = static_cast<const S*>(raw_data());
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<T>(p[i]);
  });
  return out;
}

template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;

double Tensor::item() const {
  if (numel() != 1)
    throw_invalid_argument("item() needs a tensor with exactly one element, received shape {} ({} elements)",
                           shape(), numel());
  return value_at(std::vector<std::int64_t>(static_cast<std::size_t>(ndim()), 0));
}

double Tensor::value_at(const std::vector<std::int64_t>& index) const {
  if (static_cast<std::int64_t>(index.size()) != ndim())
    throw_invalid_argument("value_at: index has {} entries but the tensor has rank {} (shape {})", index.size(),
                           ndim(), shape());
  std::int64_t flat = 0;
  for (std::size_t i = 0; i < index.size(); ++i) {
    const auto extent = shape().dims()[i];
    if (index[i] < 0 || index[i] >= extent)
      throw_out_of_range("value_at: index {} at axis {} is out of range for shape {}", index[i], i, shape());
    flat = flat * extent + index[i];
  }
  return dispatch(dtype(), [&](auto tag) {
    using T = decltype(tag);
    return static_cast<double>(static_cast<const T*>(raw_data())[flat]);
  });
}

bool Tensor::shares_storage(const Tensor& other) const {
  return defined() && other.defined() && impl_->storage == other.impl_->storage;
}

Tensor& Tensor::fill_(double value) {
  dispatch(dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = static_cast<T*>(raw_data());
    const T v = static_cast<T>(value);
    for (std::int64_t i = 0, n = numel(); i < n; ++i) p[i] = v;
  });
  return *this;
}

Tensor& Tensor::copy_(const Tensor& src) {
  if (src.shape() != shape())
    throw_invalid_argument("copy_: source shape {} differs from destination shape {}", src.shape(), shape());
  check_same_dtype(*this, src, "copy_");
  if (raw_data() != src.raw_data())
    std::memcpy(raw_data(), src.raw_data(), static_cast<std::size_t>(numel()) * dtype_size(dtype()));
  return *this;
}

Tensor Tensor::deep_copy() const {
  Tensor out = Tensor::empty(shape(), dtype());
  out.copy_(*this);
  return out;
}

void check_dtype(const Tensor& t, DType expected, std::string_view arg) {
  if (!t.defined()) throw_invalid_argument("{} is an undefined tensor", arg);
  if (t.dtype() != expected)
    throw_invalid_argument("{} has dtype {} but {} is required here", arg, t.dtype(), expected);
}

void check_same_dtype(const Tensor& a, const Tensor& b, std::string_view op) {
  if (!a.defined() || !b.defined()) throw_invalid_argument("{}: an operand is an undefined tensor", op);
  if (a.dtype() != b.dtype())
    throw_invalid_argument("{}: dtypes differ ({} vs {}); convert one with .to(DType::...)", op, a.dtype(),
                           b.dtype());
}

}  // namespace minidl
