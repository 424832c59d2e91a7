#pragma once
// The fixed problem of tests/reference/keras_optimizers.py, shared by the optimizer tests:
//   loss = sum((A w - b)^2) + sum(v^2 * c),  w: (3,), v: (2, 2)
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "support/fixtures.h"

namespace minidl::test {

struct OptimProblem {
  Tensor A, b, c, w0, v0;  // float32

  static OptimProblem from_fixture(const nlohmann::json& p) {
    auto t = [&p](const char* key, Shape shape) {
      return Tensor::from_vector(p.at(key).get<std::vector<double>>(), shape).to(DType::Float32).detach();
    };
    return {t("A", Shape{4, 3}), t("b", Shape{4}), t("c", Shape{2, 2}), t("w0", Shape{3}), t("v0", Shape{2, 2})};
  }

  static VariablePtr variable(const Tensor& init, const std::string& name) {
    auto var = std::make_shared<Variable>();
    var->value = init.deep_copy();
    var->value.set_requires_grad(true);
    var->name = name;
    var->path = name;
    return var;
  }

  // The loss on the tape, in the variables' dtype.
  Tensor loss(const VariablePtr& w, const VariablePtr& v) const {
    const DType d = w->value.dtype();
    Tensor r = matmul(A.to(d), w->value.reshape(Shape{3, 1})) - b.to(d).reshape(Shape{4, 1});
    return sum(square(r)) + sum(square(v->value) * c.to(d));
  }

  // grad_w = 2 A^T (A w - b), grad_v = 2 v c in double, rounded to the variables' dtype (what the
  // reference script does in NumPy).
  std::pair<Tensor, Tensor> gradients(const VariablePtr& w, const VariablePtr& v) const {
    const auto a = A.to_vector<double>(), bb = b.to_vector<double>(), cc = c.to_vector<double>();
    const auto wv = w->value.to_vector<double>(), vv = v->value.to_vector<double>();
    std::vector<double> r(4, 0.0), gw(3, 0.0), gv(4);
    for (int i = 0; i < 4; ++i) {
      for (int j = 0; j < 3; ++j) r[i] += a[i * 3 + j] * wv[j];
      r[i] -= bb[i];
    }
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 4; ++i) gw[j] += 2.0 * a[i * 3 + j] * r[i];
    for (int k = 0; k < 4; ++k) gv[k] = 2.0 * vv[k] * cc[k];
    return {Tensor::from_vector(gw, Shape{3}).to(w->value.dtype()).detach(),
            Tensor::from_vector(gv, Shape{2, 2}).to(v->value.dtype()).detach()};
  }
};

}  // namespace minidl::test
