#include "minidl/autograd/gradcheck.h"

#include <algorithm>
#include <cmath>

#include "minidl/autograd/grad_mode.h"
#include "minidl/core/error.h"

namespace minidl {

namespace {
double weighted_sum(const Tensor& out, const std::vector<double>& w) {
  const std::vector<double> v = out.to_vector<double>();
  double s = 0.0;
  for (std::size_t i = 0; i < v.size(); ++i) s += v[i] * w[i];
  return s;
}
}  // namespace

std::string GradcheckResult::summary() const {
  return fmt::format("gradcheck {}: max abs error {:.3e}, max rel error {:.3e}; worst at input {} element {} "
                     "(analytic {:.10g}, numeric {:.10g})",
                     passed ? "passed" : "FAILED", max_abs_error, max_rel_error, worst_input, worst_element,
                     analytic, numeric);
}

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  bool any = false;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) continue;
    if (inputs[i].requires_grad()) {
      check_dtype(inputs[i], DType::Float64, fmt::format("gradcheck input {}", i));
      if (!inputs[i].is_leaf())
        throw_invalid_argument("gradcheck input {} must be a leaf tensor (create it, then set_requires_grad)", i);
      any = true;
    }
  }
  if (!any) throw_invalid_argument("gradcheck: no input has requires_grad set, nothing to check");

  for (const auto& in : inputs)
    if (in.defined() && in.requires_grad()) const_cast<Tensor&>(in).zero_grad();
  Tensor out = f(inputs);
  check_dtype(out, DType::Float64, "gradcheck: the function's output");
  Generator gen(options.seed);
  Tensor w = Tensor::randn(out.shape(), gen, DType::Float64);
  const std::vector<double> wv = w.to_vector<double>();
  if (!out.requires_grad()) throw_invalid_argument("gradcheck: the output does not depend on any checked input");
  out.backward(w);

  GradcheckResult r;
  double worst_ratio = -1.0;
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& in = inputs[i];
    if (!in.defined() || !in.requires_grad()) continue;
    Tensor g = in.grad();
    const std::vector<double> analytic = g.defined() ? g.to_vector<double>() : std::vector<double>(in.numel(), 0.0);
    double* x = const_cast<Tensor&>(in).data<double>();
    for (std::int64_t j = 0; j < in.numel(); ++j) {
      const double orig = x[j];
      x[j] = orig + options.eps;
      const double plus = weighted_sum(f(inputs), wv);
      x[j] = orig - options.eps;
      const double minus = weighted_sum(f(inputs), wv);
      x[j] = orig;
      const double numeric = (plus - minus) / (2.0 * options.eps);
      const double a = analytic[static_cast<std::size_t>(j)];
      const double err = std::abs(a - numeric);
      r.max_abs_error = std::max(r.max_abs_error, err);
      const double scale = std::max(std::abs(a), std::abs(numeric));
      if (scale > options.atol) r.max_rel_error = std::max(r.max_rel_error, err / scale);
      const double ratio = err / (options.atol + options.rtol * std::abs(numeric));
      if (!(ratio <= 1.0)) r.passed = false;  // also catches NaN
      if (ratio > worst_ratio || std::isnan(ratio)) {
        worst_ratio = std::isnan(ratio) ? INFINITY : ratio;
        r.worst_input = i;
        r.worst_element = j;
        r.analytic = a;
        r.numeric = numeric;
      }
    }
  }
  return r;
}

}  // namespace minidl
