#pragma once
// Differentiable elementwise ops with NumPy broadcasting.
#include "minidl/core/tensor.h"

namespace minidl {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);
Tensor pow(const Tensor& base, const Tensor& exponent);
Tensor pow(const Tensor& base, double exponent);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);  // gradient 0 at 0, as PyTorch
Tensor square(const Tensor& x);
Tensor maximum(const Tensor& a, const Tensor& b);  // ties share the gradient equally
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor clip(const Tensor& x, double min_value, double max_value);  // gradient 1 inside [min, max]
// Picks a where condition is non-zero, else b (condition is a mask such as greater(a, b)).
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);

// Comparison masks: 1 where the relation holds, 0 elsewhere; same dtype as the inputs; no gradient.
Tensor equal(const Tensor& a, const Tensor& b);
Tensor not_equal(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor less_equal(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);
Tensor greater_equal(const Tensor& a, const Tensor& b);

// A scalar operand takes the tensor's dtype.
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);

}  // namespace minidl
