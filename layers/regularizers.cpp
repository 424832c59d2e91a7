#include "minidl/layers/regularizers.h"

#include <cmath>

#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/matmul.h"
#include "minidl/autograd/ops/reduce.h"
#include "minidl/core/error.h"

namespace minidl::regularizers {

namespace {

double checked_factor(double value, const char* name) {
  if (!std::isfinite(value) || value < 0)
    throw_invalid_argument("Invalid value for argument {}: expected a non-negative finite number, received {}={}",
                           name, name, value);
  return value;
}

Tensor l1_l2_penalty(const Tensor& w, double l1, double l2) {
  Tensor penalty = Tensor::scalar(0.0, w.dtype());
  if (l1 != 0.0) penalty = penalty + sum(abs(w)) * l1;
  if (l2 != 0.0) penalty = penalty + sum(square(w)) * l2;
  return penalty;
}

}  // namespace

Spec describe(const L1& r) {
  const double l1 = checked_factor(r.l1, "l1");
  return {"L1", {{"l1", l1}}, [l1](const Tensor& w) { return sum(abs(w)) * l1; }};
}

Spec describe(const L2& r) {
  const double l2 = checked_factor(r.l2, "l2");
  return {"L2", {{"l2", l2}}, [l2](const Tensor& w) { return sum(square(w)) * l2; }};
}

Spec describe(const L1L2& r) {
  const double l1 = checked_factor(r.l1, "l1"), l2 = checked_factor(r.l2, "l2");
  return {"L1L2", {{"l1", l1}, {"l2", l2}}, [l1, l2](const Tensor& w) { return l1_l2_penalty(w, l1, l2); }};
}

Spec describe(const OrthogonalRegularizer& r) {
  const double factor = checked_factor(r.factor, "factor");
  if (r.mode != "rows" && r.mode != "columns")
    throw_invalid_argument("OrthogonalRegularizer: mode must be 'rows' or 'columns', received mode='{}'", r.mode);
  const bool rows = r.mode == "rows";
  return {"OrthogonalRegularizer", {{"factor", factor}, {"mode", r.mode}}, [factor, rows](const Tensor& w) {
            if (w.ndim() != 2)
              throw_invalid_argument("Inputs to OrthogonalRegularizer must have rank 2, received shape {}", w.shape());
            const std::int64_t axis = rows ? 1 : 0;
            // Keras's normalize: x * min(rsqrt(sum x^2), 1/epsilon).
            Tensor inv_norm = minimum(1.0 / sqrt(sum(square(w), {axis}, true)), Tensor::scalar(1e7, w.dtype()));
            Tensor unit = w * inv_norm;
            Tensor product = rows ? matmul(unit, unit, false, true) : matmul(unit, unit, true, false);
            const std::int64_t size = product.shape()[0];
            Tensor off_diagonal = Tensor::ones(product.shape(), w.dtype());
            dispatch(w.dtype(), [&](auto tag) {
              using T = decltype(tag);
              for (std::int64_t i = 0; i < size; ++i) off_diagonal.data<T>()[i * size + i] = T(0);
            });
            const double pairs = static_cast<double>(size) * (static_cast<double>(size) - 1.0) / 2.0;
            return sum(abs(product * off_diagonal)) * (factor * 0.5 / pairs);
          }};
}

Regularizer::Regularizer(Spec spec)
    : KerasObject("keras.regularizers", std::move(spec.class_name), std::move(spec.config), std::move(spec.fn)) {}

Regularizer::Regularizer(std::string_view id) {
  if (id == "l1" || id == "L1") *this = Regularizer(describe(L1{}));
  else if (id == "l2" || id == "L2") *this = Regularizer(describe(L2{}));
  // tf.keras's "l1_l2" means 0.01/0.01 (Keras 3 has no such key); the class name keeps Keras's 0/0.
  else if (id == "l1_l2") *this = Regularizer(describe(L1L2{0.01, 0.01}));
  else if (id == "L1L2" || id == "l1l2") *this = Regularizer(describe(L1L2{}));
  else if (id == "OrthogonalRegularizer" || id == "orthogonal_regularizer") *this = Regularizer(describe(OrthogonalRegularizer{}));
  else
    throw_invalid_argument(
        "Could not interpret regularizer identifier: '{}'. Known: l1, L1, l2, L2, l1_l2, L1L2, l1l2, "
        "OrthogonalRegularizer, orthogonal_regularizer",
        id);
}

Regularizer Regularizer::from_config(const nlohmann::json& j) {
  if (j.is_null()) return Regularizer();
  if (j.is_string()) return Regularizer(j.get<std::string>());
  const std::string name = j.at("class_name").get<std::string>();
  const nlohmann::json c = j.value("config", nlohmann::json::object());
  if (name == "L1") return L1{c.value("l1", 0.01)};
  if (name == "L2") return L2{c.value("l2", 0.01)};
  if (name == "L1L2") return L1L2{c.value("l1", 0.0), c.value("l2", 0.0)};
  if (name == "OrthogonalRegularizer")
    return OrthogonalRegularizer{c.value("factor", 0.01), c.value("mode", std::string("rows"))};
  throw_invalid_argument("regularizer: cannot rebuild class '{}' from a config (custom callables must be passed again)",
                         name);
}

}  // namespace minidl::regularizers
