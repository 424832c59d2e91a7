#include <cmath>
#include <cstring>

#include "minidl/core/error.h"
#include "minidl/core/tensor.h"

namespace minidl {

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  if (!shape.is_fully_defined())
    throw_invalid_argument("cannot create a tensor of shape {}: every extent must be known (>= 0)", shape);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(static_cast<std::size_t>(shape.numel()) * dtype_size(dtype));
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.raw_data(), 0, static_cast<std::size_t>(shape.numel()) * dtype_size(dtype));
  return t;
}

Tensor Tensor::ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  t.fill_(value);
  return t;
}

Tensor Tensor::scalar(double value, DType dtype) { return full(Shape{}, value, dtype); }

Tensor Tensor::arange(double start, double stop, double step, DType dtype) {
  if (step == 0.0 || !std::isfinite(step))
    throw_invalid_argument("arange: step must be a finite non-zero number, received step={}", step);
  if (!std::isfinite(start) || !std::isfinite(stop))
    throw_invalid_argument("arange: start and stop must be finite, received start={}, stop={}", start, stop);
  const double count = std::ceil((stop - start) / step);
  const auto n = count > 0 ? static_cast<std::int64_t>(count) : 0;
  Tensor t = empty(Shape{n}, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return t;
}

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape) {
  if (shape.numel() != static_cast<std::int64_t>(values.size()))
    throw_invalid_argument("from_vector: {} values cannot fill shape {} ({} elements)", values.size(), shape,
                           shape.numel());
  Tensor t = empty(shape, dtype_of<T>());
  if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
  return t;
}

template Tensor Tensor::from_vector<float>(const std::vector<float>&, const Shape&);
template Tensor Tensor::from_vector<double>(const std::vector<double>&, const Shape&);

namespace {
template <class Draw>
Tensor random_tensor(const Shape& shape, DType dtype, Draw draw) {
  Tensor t = Tensor::empty(shape, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (std::int64_t i = 0, n = shape.numel(); i < n; ++i) p[i] = static_cast<T>(draw());
  });
  return t;
}
}  // namespace

Tensor Tensor::rand(const Shape& shape, Generator& gen, DType dtype, double low, double high) {
  if (!(low < high)) throw_invalid_argument("rand: low must be < high, received low={}, high={}", low, high);
  return random_tensor(shape, dtype, [&] { return low + (high - low) * gen.uniform(); });
}

Tensor Tensor::rand(const Shape& shape, DType dtype) { return rand(shape, default_generator(), dtype); }

Tensor Tensor::randn(const Shape& shape, Generator& gen, DType dtype, double mean, double stddev) {
  if (!(stddev >= 0.0)) throw_invalid_argument("randn: stddev must be >= 0, received stddev={}", stddev);
  return random_tensor(shape, dtype, [&] { return mean + stddev * gen.normal(); });
}

Tensor Tensor::randn(const Shape& shape, DType dtype) { return randn(shape, default_generator(), dtype); }

Tensor Tensor::truncated_normal(const Shape& shape, Generator& gen, DType dtype, double mean, double stddev) {
  if (!(stddev >= 0.0))
    throw_invalid_argument("truncated_normal: stddev must be >= 0, received stddev={}", stddev);
  return random_tensor(shape, dtype, [&] { return mean + stddev * gen.truncated_normal(2.0); });
}

}  // namespace minidl
