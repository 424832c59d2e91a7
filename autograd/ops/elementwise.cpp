#include "minidl/autograd/ops/elementwise.h"

#include <cmath>

#include "minidl/autograd/pointwise.h"

namespace minidl {

using autograd::binary_pointwise;
using autograd::map_tensors;
using autograd::unary_pointwise;

namespace {
Tensor scalar_like(const Tensor& t, double v) { return Tensor::scalar(v, t.dtype()); }
template <class T>
T one(T) { return T(1); }
}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  return binary_pointwise(
      "add", a, b, [](auto x, auto y) { return x + y; }, [](auto x, auto, auto) { return one(x); },
      [](auto x, auto, auto) { return one(x); });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  return binary_pointwise(
      "sub", a, b, [](auto x, auto y) { return x - y; }, [](auto x, auto, auto) { return one(x); },
      [](auto x, auto, auto) { return -one(x); });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  return binary_pointwise(
      "mul", a, b, [](auto x, auto y) { return x * y; }, [](auto, auto y, auto) { return y; },
      [](auto x, auto, auto) { return x; });
}

Tensor div(const Tensor& a, const Tensor& b) {
  return binary_pointwise(
      "div", a, b, [](auto x, auto y) { return x / y; }, [](auto, auto y, auto) { return one(y) / y; },
      [](auto, auto y, auto out) { return -out / y; });
}

Tensor neg(const Tensor& x) {
  return unary_pointwise(
      "neg", x, [](auto v) { return -v; }, [](auto v, auto) { return -one(v); });
}

Tensor pow(const Tensor& base, const Tensor& exponent) {
  return binary_pointwise(
      "pow", base, exponent, [](auto x, auto p) { return std::pow(x, p); },
      [](auto x, auto p, auto) { return p == 0 ? decltype(x)(0) : p * std::pow(x, p - 1); },
      // d/dp x^p = x^p log x; at x == 0 with p >= 0 the limit is 0, as in PyTorch.
      [](auto x, auto p, auto out) { return (x == 0 && p >= 0) ? decltype(x)(0) : out * std::log(x); });
}

Tensor pow(const Tensor& base, double exponent) { return pow(base, scalar_like(base, exponent)); }

Tensor exp(const Tensor& x) {
  return unary_pointwise(
      "exp", x, [](auto v) { return std::exp(v); }, [](auto, auto y) { return y; });
}

Tensor log(const Tensor& x) {
  return unary_pointwise(
      "log", x, [](auto v) { return std::log(v); }, [](auto v, auto) { return one(v) / v; });
}

Tensor sqrt(const Tensor& x) {
  return unary_pointwise(
      "sqrt", x, [](auto v) { return std::sqrt(v); }, [](auto v, auto y) { return one(v) / (2 * y); });
}

Tensor abs(const Tensor& x) {
  return unary_pointwise(
      "abs", x, [](auto v) { return std::abs(v); },
      [](auto v, auto) { return v > 0 ? one(v) : (v < 0 ? -one(v) : decltype(v)(0)); });
}

Tensor square(const Tensor& x) {
  return unary_pointwise(
      "square", x, [](auto v) { return v * v; }, [](auto v, auto) { return 2 * v; });
}

// Ties split the gradient, so maximum(x, x) has gradient 1 overall, like PyTorch.
Tensor maximum(const Tensor& a, const Tensor& b) {
  return binary_pointwise(
      "maximum", a, b, [](auto x, auto y) { return (x > y || std::isnan(x)) ? x : y; },
      [](auto x, auto y, auto) { return x > y ? one(x) : (x == y ? decltype(x)(0.5) : decltype(x)(0)); },
      [](auto x, auto y, auto) { return y > x ? one(x) : (x == y ? decltype(x)(0.5) : decltype(x)(0)); });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  return binary_pointwise(
      "minimum", a, b, [](auto x, auto y) { return (x < y || std::isnan(x)) ? x : y; },
      [](auto x, auto y, auto) { return x < y ? one(x) : (x == y ? decltype(x)(0.5) : decltype(x)(0)); },
      [](auto x, auto y, auto) { return y < x ? one(x) : (x == y ? decltype(x)(0.5) : decltype(x)(0)); });
}

Tensor clip(const Tensor& x, double min_value, double max_value) {
  if (!(min_value <= max_value))
    throw_invalid_argument("clip: min_value must be <= max_value, received min_value={}, max_value={}", min_value,
                           max_value);
  return unary_pointwise(
      "clip", x,
      [min_value, max_value](auto v) {
        using T = decltype(v);
        return v < T(min_value) ? T(min_value) : (v > T(max_value) ? T(max_value) : v);
      },
      [min_value, max_value](auto v, auto) {
        using T = decltype(v);
        return (v >= T(min_value) && v <= T(max_value)) ? T(1) : T(0);
      });
}

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  Tensor y = map_tensors<3>("where", {condition, a, b}, [](auto c, auto x, auto z) { return c != 0 ? x : z; });
  return autograd::record(
      "where", {condition, a, b}, y,
      [cs = autograd::saved(condition), as = a.shape(), bs = b.shape()](const Tensor& g, const autograd::GradMask& needs) {
        std::vector<Tensor> grads(3);
        if (needs[1])
          grads[1] = autograd::sum_to(map_tensors<2>("where backward", {g, cs},
                                                     [](auto gv, auto c) { return c != 0 ? gv : decltype(gv)(0); }),
                                      as);
        if (needs[2])
          grads[2] = autograd::sum_to(map_tensors<2>("where backward", {g, cs},
                                                     [](auto gv, auto c) { return c != 0 ? decltype(gv)(0) : gv; }),
                                      bs);
        return grads;
      });
}

#define MINIDL_COMPARISON(name, expr)                                                        \
  Tensor name(const Tensor& a, const Tensor& b) {                                            \
    return map_tensors<2>(#name, {a, b}, [](auto x, auto y) { return decltype(x)(expr); }); \
  }
MINIDL_COMPARISON(equal, x == y)
MINIDL_COMPARISON(not_equal, x != y)
MINIDL_COMPARISON(less, x < y)
MINIDL_COMPARISON(less_equal, x <= y)
MINIDL_COMPARISON(greater, x > y)
MINIDL_COMPARISON(greater_equal, x >= y)
#undef MINIDL_COMPARISON

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, double b) { return add(a, scalar_like(a, b)); }
Tensor operator-(const Tensor& a, double b) { return sub(a, scalar_like(a, b)); }
Tensor operator*(const Tensor& a, double b) { return mul(a, scalar_like(a, b)); }
Tensor operator/(const Tensor& a, double b) { return div(a, scalar_like(a, b)); }
Tensor operator+(double a, const Tensor& b) { return add(scalar_like(b, a), b); }
Tensor operator-(double a, const Tensor& b) { return sub(scalar_like(b, a), b); }
Tensor operator*(double a, const Tensor& b) { return mul(scalar_like(b, a), b); }
Tensor operator/(double a, const Tensor& b) { return div(scalar_like(b, a), b); }

}  // namespace minidl
