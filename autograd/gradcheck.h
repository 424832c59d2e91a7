#pragma once
// Central-difference gradient check in float64: the tool our tests use on every op and our users
// use on their own layers.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "minidl/core/tensor.h"

namespace minidl {

struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double atol = 1e-6;  // an element passes when |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-4;
  std::uint64_t seed = 0;  // for the random weights that reduce a non-scalar output to a scalar
};

struct GradcheckResult {
  bool passed = true;
  double max_abs_error = 0.0;
  double max_rel_error = 0.0;       // |a - n| / max(|a|, |n|), over elements where either is > atol
  std::size_t worst_input = 0;      // where |a - n| / (atol + rtol |n|) is largest
  std::int64_t worst_element = -1;  // flat index into that input
  double analytic = 0.0, numeric = 0.0;  // the two values there
  std::string summary() const;
};

// Checks d(sum(w * f(inputs)))/d(input) from backward against central differences for every input
// with requires_grad; w is a fixed random tensor. Inputs must be Float64 and f must be
// deterministic (seed any randomness inside it).
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace minidl
