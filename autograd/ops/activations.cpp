#include "minidl/autograd/ops/activations.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/autograd/pointwise.h"
#include "minidl/core/error.h"

namespace minidl::activations {

using autograd::unary_pointwise;

namespace {

// Both branches avoid exp overflow.
template <class T>
T stable_sigmoid(T v) {
  if (v >= 0) return T(1) / (T(1) + std::exp(-v));
  const T e = std::exp(v);
  return e / (T(1) + e);
}

template <class T>
T stable_softplus(T v) {
  return std::max(v, T(0)) + std::log1p(std::exp(-std::abs(v)));
}

template <class T>
T step(bool b) {
  return b ? T(1) : T(0);
}

// The SELU constants of Klambauer et al. (2017), to double precision.
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

}  // namespace

Tensor relu(const Tensor& x, double negative_slope, std::optional<double> max_value, double threshold) {
  if (max_value && *max_value < 0)
    throw_invalid_argument("relu: max_value must be >= 0 (or unset), received max_value={}", *max_value);
  if (negative_slope == 0.0 && !max_value && threshold == 0.0)
    return unary_pointwise(
        // NaN stays NaN (as TensorFlow and PyTorch): a NaN input must reach the loss, where
        // TerminateOnNaN sees it, instead of turning into 0 and silently poisoning the weights.
        "relu", x, [](auto v) { return v < 0 ? decltype(v)(0) : v; },
        [](auto v, auto) { return step<decltype(v)>(v > 0); });
  if (negative_slope != 0.0 && !max_value && threshold == 0.0) return leaky_relu(x, negative_slope);
  // Keras's general case: keep x where x > threshold (else 0), cap at max_value, then subtract
  // negative_slope * max(threshold - x, 0).
  const double cap = max_value.value_or(INFINITY);
  return unary_pointwise(
      "relu", x,
      [=](auto v) {
        using T = decltype(v);
        T kept = v > T(threshold) ? std::min(std::max(v, T(0)), T(cap)) : T(0);
        return kept - T(negative_slope) * std::max(T(threshold) - v, T(0));
      },
      [=](auto v, auto) {
        using T = decltype(v);
        const T inside = step<T>(v > T(threshold) && v > T(0) && v < T(cap));
        return inside + T(negative_slope) * step<T>(v < T(threshold));
      });
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return unary_pointwise(
      "leaky_relu", x,
      [negative_slope](auto v) { return v >= 0 ? v : decltype(v)(negative_slope) * v; },
      [negative_slope](auto v, auto) { return v >= 0 ? decltype(v)(1) : decltype(v)(negative_slope); });
}

Tensor relu6(const Tensor& x) {
  return unary_pointwise(
      "relu6", x, [](auto v) { return std::min(std::max(v, decltype(v)(0)), decltype(v)(6)); },
      [](auto v, auto) { return step<decltype(v)>(v > 0 && v < 6); });
}

Tensor elu(const Tensor& x, double alpha) {
  return unary_pointwise(
      "elu", x, [alpha](auto v) { return v > 0 ? v : decltype(v)(alpha) * std::expm1(v); },
      [alpha](auto v, auto y) { return v > 0 ? decltype(v)(1) : y + decltype(v)(alpha); });
}

Tensor selu(const Tensor& x) {
  return unary_pointwise(
      "selu", x,
      [](auto v) {
        using T = decltype(v);
        return T(kSeluScale) * (v > 0 ? v : T(kSeluAlpha) * std::expm1(v));
      },
      [](auto v, auto y) {
        using T = decltype(v);
        return v > 0 ? T(kSeluScale) : y + T(kSeluScale * kSeluAlpha);
      });
}

Tensor celu(const Tensor& x, double alpha) {
  if (alpha == 0) throw_invalid_argument("celu: alpha must be non-zero, received alpha={}", alpha);
  return unary_pointwise(
      "celu", x, [alpha](auto v) { return v > 0 ? v : decltype(v)(alpha) * std::expm1(v / decltype(v)(alpha)); },
      [alpha](auto v, auto) { return v > 0 ? decltype(v)(1) : std::exp(v / decltype(v)(alpha)); });
}

Tensor gelu(const Tensor& x, bool approximate) {
  if (!approximate)
    return unary_pointwise(
        "gelu", x,
        [](auto v) {
          using T = decltype(v);
          return T(0.5) * v * (T(1) + std::erf(v * T(M_SQRT1_2)));
        },
        [](auto v, auto) {
          using T = decltype(v);
          const T pdf = std::exp(T(-0.5) * v * v) * T(0.5 * M_2_SQRTPI * M_SQRT1_2);  // 1/sqrt(2 pi)
          return T(0.5) * (T(1) + std::erf(v * T(M_SQRT1_2))) + v * pdf;
        });
  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  return unary_pointwise(
      "gelu", x,
      [](auto v) {
        using T = decltype(v);
        const T k = T(M_SQRT2 * M_2_SQRTPI * 0.5);
        return T(0.5) * v * (T(1) + std::tanh(k * (v + T(0.044715) * v * v * v)));
      },
      [](auto v, auto) {
        using T = decltype(v);
        const T k = T(M_SQRT2 * M_2_SQRTPI * 0.5);
        const T t = std::tanh(k * (v + T(0.044715) * v * v * v));
        return T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * k * (T(1) + T(3 * 0.044715) * v * v);
      });
}

Tensor sigmoid(const Tensor& x) {
  return unary_pointwise(
      "sigmoid", x, [](auto v) { return stable_sigmoid(v); }, [](auto, auto y) { return y * (1 - y); });
}

Tensor hard_sigmoid(const Tensor& x) {
  return unary_pointwise(
      "hard_sigmoid", x,
      [](auto v) {
        using T = decltype(v);
        return std::min(std::max(v + T(3), T(0)), T(6)) / T(6);
      },
      [](auto v, auto) {
        using T = decltype(v);
        return v > T(-3) && v < T(3) ? T(1) / T(6) : T(0);
      });
}

Tensor sparse_sigmoid(const Tensor& x) {
  return unary_pointwise(
      "sparse_sigmoid", x,
      [](auto v) {
        using T = decltype(v);
        return v <= T(-1) ? T(0) : (v >= T(1) ? T(1) : T(0.5) * (v + T(1)));
      },
      [](auto v, auto) {
        using T = decltype(v);
        return v > T(-1) && v < T(1) ? T(0.5) : T(0);
      });
}

Tensor log_sigmoid(const Tensor& x) {
  return unary_pointwise(
      "log_sigmoid", x, [](auto v) { return -stable_softplus(-v); }, [](auto v, auto) { return stable_sigmoid(-v); });
}

Tensor tanh(const Tensor& x) {
  return unary_pointwise(
      "tanh", x, [](auto v) { return std::tanh(v); }, [](auto, auto y) { return 1 - y * y; });
}

Tensor hard_tanh(const Tensor& x) {
  return unary_pointwise(
      "hard_tanh", x, [](auto v) { return std::min(std::max(v, decltype(v)(-1)), decltype(v)(1)); },
      [](auto v, auto) { return step<decltype(v)>(v > -1 && v < 1); });
}

Tensor tanh_shrink(const Tensor& x) {
  return unary_pointwise(
      "tanh_shrink", x, [](auto v) { return v - std::tanh(v); },
      [](auto v, auto) {
        const auto t = std::tanh(v);
        return t * t;
      });
}

Tensor softplus(const Tensor& x) {
  return unary_pointwise(
      "softplus", x, [](auto v) { return stable_softplus(v); }, [](auto v, auto) { return stable_sigmoid(v); });
}

Tensor softsign(const Tensor& x) {
  return unary_pointwise(
      "softsign", x, [](auto v) { return v / (1 + std::abs(v)); },
      [](auto v, auto) {
        const auto d = 1 + std::abs(v);
        return 1 / (d * d);
      });
}

Tensor sparse_plus(const Tensor& x) {
  return unary_pointwise(
      "sparse_plus", x,
      [](auto v) {
        using T = decltype(v);
        return v <= T(-1) ? T(0) : (v >= T(1) ? v : T(0.25) * (v + 1) * (v + 1));
      },
      [](auto v, auto) {
        using T = decltype(v);
        return v <= T(-1) ? T(0) : (v >= T(1) ? T(1) : T(0.5) * (v + 1));
      });
}

Tensor squareplus(const Tensor& x, double b) {
  if (b < 0) throw_invalid_argument("squareplus: b must be >= 0, received b={}", b);
  return unary_pointwise(
      "squareplus", x, [b](auto v) { return (v + std::sqrt(v * v + decltype(v)(b))) / 2; },
      [b](auto v, auto) { return (1 + v / std::sqrt(v * v + decltype(v)(b))) / 2; });
}

Tensor silu(const Tensor& x) {
  return unary_pointwise(
      "silu", x, [](auto v) { return v * stable_sigmoid(v); },
      [](auto v, auto) {
        const auto s = stable_sigmoid(v);
        return s * (1 + v * (1 - s));
      });
}
Tensor swish(const Tensor& x) { return silu(x); }

Tensor hard_silu(const Tensor& x) {
  return unary_pointwise(
      "hard_silu", x,
      [](auto v) {
        using T = decltype(v);
        return v * std::min(std::max(v + T(3), T(0)), T(6)) / T(6);
      },
      [](auto v, auto) {
        using T = decltype(v);
        return v <= T(-3) ? T(0) : (v >= T(3) ? T(1) : (2 * v + 3) / T(6));
      });
}
Tensor hard_swish(const Tensor& x) { return hard_silu(x); }

Tensor mish(const Tensor& x) {
  return unary_pointwise(
      "mish", x, [](auto v) { return v * std::tanh(stable_softplus(v)); },
      [](auto v, auto) {
        const auto t = std::tanh(stable_softplus(v));
        return t + v * (1 - t * t) * stable_sigmoid(v);
      });
}

Tensor soft_shrink(const Tensor& x, double threshold) {
  return unary_pointwise(
      "soft_shrink", x,
      [threshold](auto v) {
        using T = decltype(v);
        return v > T(threshold) ? v - T(threshold) : (v < T(-threshold) ? v + T(threshold) : T(0));
      },
      [threshold](auto v, auto) { return step<decltype(v)>(std::abs(v) > decltype(v)(threshold)); });
}

Tensor hard_shrink(const Tensor& x, double threshold) {
  return unary_pointwise(
      "hard_shrink", x, [threshold](auto v) { return std::abs(v) > decltype(v)(threshold) ? v : decltype(v)(0); },
      [threshold](auto v, auto) { return step<decltype(v)>(std::abs(v) > decltype(v)(threshold)); });
}

Tensor threshold(const Tensor& x, double threshold, double default_value) {
  return unary_pointwise(
      "threshold", x,
      [threshold, default_value](auto v) { return v > decltype(v)(threshold) ? v : decltype(v)(default_value); },
      [threshold](auto v, auto) { return step<decltype(v)>(v > decltype(v)(threshold)); });
}

Tensor exponential(const Tensor& x) { return minidl::exp(x); }

Tensor linear(const Tensor& x) { return x; }

Tensor glu(const Tensor& x, std::int64_t axis) {
  const std::int64_t a = normalize_axis(axis, x.ndim(), "glu: axis");
  const std::int64_t n = x.shape()[a];
  if (n % 2 != 0)
    throw_invalid_argument("glu: the size of axis {} must be even to split it in two halves, received shape {}", axis,
                           x.shape());
  return mul(slice(x, a, 0, n / 2), sigmoid(slice(x, a, n / 2, n)));
}

namespace {
const std::map<std::string, Activation>& registry() {
  static const std::map<std::string, Activation> table = {
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x); }},
      {"relu6", relu6},
      {"elu", [](const Tensor& x) { return elu(x); }},
      {"selu", selu},
      {"celu", [](const Tensor& x) { return celu(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"sigmoid", sigmoid},
      {"hard_sigmoid", hard_sigmoid},
      {"sparse_sigmoid", sparse_sigmoid},
      {"log_sigmoid", log_sigmoid},
      {"tanh", tanh},
      {"hard_tanh", hard_tanh},
      {"tanh_shrink", tanh_shrink},
      {"softplus", softplus},
      {"softsign", softsign},
      {"sparse_plus", sparse_plus},
      {"squareplus", [](const Tensor& x) { return squareplus(x); }},
      {"silu", silu},
      {"swish", silu},
      {"hard_silu", hard_silu},
      {"hard_swish", hard_silu},
      {"mish", mish},
      {"soft_shrink", [](const Tensor& x) { return soft_shrink(x); }},
      {"hard_shrink", [](const Tensor& x) { return hard_shrink(x); }},
      {"exponential", exponential},
      {"linear", linear},
      {"softmax", [](const Tensor& x) { return softmax(x); }},
      {"log_softmax", [](const Tensor& x) { return log_softmax(x); }},
      {"sparsemax", [](const Tensor& x) { return sparsemax(x); }},
      {"glu", [](const Tensor& x) { return glu(x); }},
  };
  return table;
}
}  // namespace

Activation get(const std::string& name) {
  if (auto it = registry().find(name); it != registry().end()) return it->second;
  const std::string known = fmt::format("{}", fmt::join(names(), ", "));
  throw_invalid_argument("activation: unknown identifier '{}'; known activations: {}", name, known);
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& entry : registry()) out.push_back(entry.first);
  return out;
}

}  // namespace minidl::activations
