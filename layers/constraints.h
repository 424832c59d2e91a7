#pragma once
// Keras's weight constraints, applied by the optimizer after each update: a string ("max_norm"), a
// typed object (constraints::MaxNorm{.max_value = 2, .axis = {0, 1, 2}}) or any callable
// Tensor(const Tensor&). `axis` lists the axes reduced into each norm (Keras's meaning).
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

#include "minidl/core/tensor.h"
#include "minidl/layers/keras_object.h"

namespace minidl::constraints {

struct MaxNorm { double max_value = 2.0; std::vector<std::int64_t> axis = {0}; };
struct MinMaxNorm { double min_value = 0.0; double max_value = 1.0; double rate = 1.0; std::vector<std::int64_t> axis = {0}; };
struct NonNeg {};
struct UnitNorm { std::vector<std::int64_t> axis = {0}; };

using Function = Tensor(const Tensor&);
struct Spec {
  std::string class_name;
  nlohmann::json config;
  std::function<Function> fn;
};
Spec describe(const MaxNorm&);
Spec describe(const MinMaxNorm&);
Spec describe(const NonNeg&);
Spec describe(const UnitNorm&);

class Constraint : public KerasObject<Function> {
 public:
  Constraint() = default;
  Constraint(std::string_view identifier);  // max_norm, min_max_norm, non_neg, unit_norm and the class names
  Constraint(const char* identifier) : Constraint(std::string_view(identifier)) {}
  Constraint(const std::string& identifier) : Constraint(std::string_view(identifier)) {}
  template <class S>
    requires requires(const S& s) { { describe(s) } -> std::same_as<Spec>; }
  Constraint(const S& spec) : Constraint(describe(spec)) {}
  template <class F>
    requires(std::is_invocable_r_v<Tensor, const F&, const Tensor&> && !requires(const F& f) { describe(f); } &&
             !std::is_convertible_v<F, std::string_view>)
  Constraint(F fn) : KerasObject("custom", "Custom", nlohmann::json::object(), std::move(fn)) {}
  explicit Constraint(Spec spec);

  static Constraint from_config(const nlohmann::json& j);
};

}  // namespace minidl::constraints
