#pragma once
// Keras's weight/activity regularizers: a string ("l2"), a typed object (regularizers::L1L2{.l1 = 1e-5,
// .l2 = 1e-4}) or any callable Tensor(const Tensor&) returning a scalar penalty.
#include <string>
#include <string_view>
#include <type_traits>

#include "minidl/core/tensor.h"
#include "minidl/layers/keras_object.h"

namespace minidl::regularizers {

struct L1 { double l1 = 0.01; };               // l1 * sum|w|
struct L2 { double l2 = 0.01; };               // l2 * sum w^2 (no 1/2, as Keras)
struct L1L2 { double l1 = 0.0; double l2 = 0.0; };  // class defaults 0, as Keras; the string "l1_l2" is 0.01/0.01 (tf.keras)
// Rank-2 weights only: factor * 0.5 * mean |cos| over distinct pairs of rows (or columns).
struct OrthogonalRegularizer { double factor = 0.01; std::string mode = "rows"; };

using Function = Tensor(const Tensor&);
struct Spec {
  std::string class_name;
  nlohmann::json config;
  std::function<Function> fn;
};
Spec describe(const L1&);
Spec describe(const L2&);
Spec describe(const L1L2&);
Spec describe(const OrthogonalRegularizer&);

class Regularizer : public KerasObject<Function> {
 public:
  Regularizer() = default;
  Regularizer(std::string_view identifier);  // "l1", "L1", "l2", "L2", "l1_l2", "L1L2", "orthogonal_regularizer", ...
  Regularizer(const char* identifier) : Regularizer(std::string_view(identifier)) {}
  Regularizer(const std::string& identifier) : Regularizer(std::string_view(identifier)) {}
  template <class S>
    requires requires(const S& s) { { describe(s) } -> std::same_as<Spec>; }
  Regularizer(const S& spec) : Regularizer(describe(spec)) {}
  template <class F>
    requires(std::is_invocable_r_v<Tensor, const F&, const Tensor&> && !requires(const F& f) { describe(f); } &&
             !std::is_convertible_v<F, std::string_view>)
  Regularizer(F fn) : KerasObject("custom", "Custom", nlohmann::json::object(), std::move(fn)) {}
  explicit Regularizer(Spec spec);

  static Regularizer from_config(const nlohmann::json& j);
};

}  // namespace minidl::regularizers
