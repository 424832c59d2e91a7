#include "minidl/layers/constraints.h"

#include "minidl/autograd/grad_mode.h"
#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/reduce.h"
#include "minidl/core/error.h"
#include "minidl/core/json_number.h"

namespace minidl::constraints {

namespace {

constexpr double kEpsilon = 1e-7;  // Keras's backend.epsilon()

Tensor norms(const Tensor& w, const std::vector<std::int64_t>& axis) { return sqrt(sum(square(w), axis, true)); }

// Constraints project weights between steps: never part of the graph.
template <class F>
std::function<Function> projection(F f) {
  return [f](const Tensor& w) {
    NoGradGuard no_grad;
    return f(w);
  };
}

}  // namespace

Spec describe(const MaxNorm& c) {
  return {"MaxNorm", {{"max_value", c.max_value}, {"axis", c.axis}}, projection([c](const Tensor& w) {
            Tensor n = norms(w, c.axis);
            return w * (clip(n, 0.0, c.max_value) / (n + kEpsilon));
          })};
}

Spec describe(const MinMaxNorm& c) {
  if (c.min_value > c.max_value)
    throw_invalid_argument("MinMaxNorm: min_value must be <= max_value, received min_value={}, max_value={}",
                           c.min_value, c.max_value);
  return {"MinMaxNorm",
          {{"min_value", c.min_value}, {"max_value", c.max_value}, {"rate", c.rate}, {"axis", c.axis}},
          projection([c](const Tensor& w) {
            Tensor n = norms(w, c.axis);
            Tensor desired = clip(n, c.min_value, c.max_value) * c.rate + n * (1.0 - c.rate);
            return w * (desired / (n + kEpsilon));
          })};
}

Spec describe(const NonNeg&) {
  return {"NonNeg", nlohmann::json::object(),
          projection([](const Tensor& w) { return maximum(w, Tensor::scalar(0.0, w.dtype())); })};
}

Spec describe(const UnitNorm& c) {
  return {"UnitNorm", {{"axis", c.axis}}, projection([c](const Tensor& w) { return w / (norms(w, c.axis) + kEpsilon); })};
}

Constraint::Constraint(Spec spec)
    : KerasObject("keras.constraints", std::move(spec.class_name), std::move(spec.config), std::move(spec.fn)) {}

Constraint::Constraint(std::string_view id) {
  if (id == "max_norm" || id == "MaxNorm") *this = Constraint(describe(MaxNorm{}));
  else if (id == "min_max_norm" || id == "MinMaxNorm") *this = Constraint(describe(MinMaxNorm{}));
  else if (id == "non_neg" || id == "NonNeg") *this = Constraint(describe(NonNeg{}));
  else if (id == "unit_norm" || id == "UnitNorm") *this = Constraint(describe(UnitNorm{}));
  else
    throw_invalid_argument(
        "Could not interpret constraint identifier: '{}'. Known: max_norm, min_max_norm, non_neg, unit_norm "
        "(or MaxNorm, MinMaxNorm, NonNeg, UnitNorm)",
        id);
}

Constraint Constraint::from_config(const nlohmann::json& j) {
  if (j.is_null()) return Constraint();
  if (j.is_string()) return Constraint(j.get<std::string>());
  const std::string name = j.at("class_name").get<std::string>();
  const nlohmann::json c = j.value("config", nlohmann::json::object());
  auto axis = [&c]() {
    const auto& a = c.value("axis", nlohmann::json(0));
    if (!a.is_array()) return std::vector<std::int64_t>{json_int(a, "axis")};
    std::vector<std::int64_t> axes;
    for (const auto& v : a) axes.push_back(json_int(v, "axis"));
    return axes;
  };
  if (name == "MaxNorm") return MaxNorm{c.value("max_value", 2.0), axis()};
  if (name == "MinMaxNorm")
    return MinMaxNorm{c.value("min_value", 0.0), c.value("max_value", 1.0), c.value("rate", 1.0), axis()};
  if (name == "NonNeg") return NonNeg{};
  if (name == "UnitNorm") return UnitNorm{axis()};
  throw_invalid_argument("constraint: cannot rebuild class '{}' from a config (custom callables must be passed again)",
                         name);
}

}  // namespace minidl::constraints
