#pragma once
// Keras's activations under Keras's names and formulas (keras.activations, Keras 3), each
// differentiable. Parameterised ones take Keras's defaults.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "minidl/core/tensor.h"

namespace minidl::activations {

// Keras's relu: with the defaults max(x, 0). `threshold`: values <= threshold become 0 (or follow
// `negative_slope`); `max_value` caps the output.
Tensor relu(const Tensor& x, double negative_slope = 0.0, std::optional<double> max_value = std::nullopt,
            double threshold = 0.0);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.2);
Tensor relu6(const Tensor& x);
Tensor elu(const Tensor& x, double alpha = 1.0);
Tensor selu(const Tensor& x);
Tensor celu(const Tensor& x, double alpha = 1.0);
Tensor gelu(const Tensor& x, bool approximate = false);  // exact: erf; approximate: tanh form
Tensor sigmoid(const Tensor& x);
Tensor hard_sigmoid(const Tensor& x);  // relu6(x + 3) / 6
Tensor sparse_sigmoid(const Tensor& x);
Tensor log_sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor hard_tanh(const Tensor& x);
Tensor tanh_shrink(const Tensor& x);
Tensor softplus(const Tensor& x);
Tensor softsign(const Tensor& x);
Tensor sparse_plus(const Tensor& x);
Tensor squareplus(const Tensor& x, double b = 4.0);
Tensor silu(const Tensor& x);  // alias swish
Tensor swish(const Tensor& x);
Tensor hard_silu(const Tensor& x);  // alias hard_swish
Tensor hard_swish(const Tensor& x);
Tensor mish(const Tensor& x);
Tensor soft_shrink(const Tensor& x, double threshold = 0.5);
Tensor hard_shrink(const Tensor& x, double threshold = 0.5);
Tensor threshold(const Tensor& x, double threshold, double default_value);
Tensor exponential(const Tensor& x);
Tensor linear(const Tensor& x);

// Over one axis, numerically stable (the maximum is subtracted first).
Tensor softmax(const Tensor& x, std::int64_t axis = -1);
Tensor log_softmax(const Tensor& x, std::int64_t axis = -1);
// Over several axes at once, as Keras's Softmax(axis=[1, 2]) and ops.softmax(x, axis=(1, 2)): each
// group of elements the axes span sums to 1.
Tensor softmax(const Tensor& x, const std::vector<std::int64_t>& axes);
Tensor log_softmax(const Tensor& x, const std::vector<std::int64_t>& axes);
// Euclidean projection onto the simplex (Martins & Astudillo, 2016).
Tensor sparsemax(const Tensor& x, std::int64_t axis = -1);
// Splits `axis` in two halves a, b and returns a * sigmoid(b).
Tensor glu(const Tensor& x, std::int64_t axis = -1);

using Activation = std::function<Tensor(const Tensor&)>;
// Keras identifier (case-sensitive, as Keras: "relu", "swish", ...) -> function with Keras's
// defaults. Throws std::invalid_argument listing the known names.
Activation get(const std::string& name);
// Every identifier `get` accepts, sorted.
std::vector<std::string> names();

}  // namespace minidl::activations
