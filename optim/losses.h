#pragma once
// Keras's Loss objects (keras.losses.MeanSquaredError, ...): a per-sample loss function from
// autograd/ops/losses.h plus Keras's weighting and reduction:
//   values = per_sample(y_true, y_pred) * sample_weight      (sample_weight optional, broadcast)
//   "sum_over_batch_size" (default, alias "mean"): sum(values) / number of elements of values
//   "mean_with_sample_weight": sum(values) / sum(sample_weight)
//   "sum": sum(values);   "none": values
// A loss that masks samples (SparseCategoricalCrossentropy's ignore_class) merges the mask into the
// weights as Keras's apply_mask: for "sum_over_batch_size" the sum is divided by the valid count.
// A Loss is a value: build it from a Keras identifier ("mse", "binary_crossentropy", class names),
// from a typed object (optim::BinaryCrossentropy({.from_logits = true})), or from any callable
// Tensor(const Tensor& y_true, const Tensor& y_pred) returning per-sample losses.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "minidl/core/tensor.h"

namespace minidl::optim {

using LossFunction = std::function<Tensor(const Tensor& y_true, const Tensor& y_pred)>;

struct LossOptions {
  std::string reduction = "sum_over_batch_size";
  std::string name{};  // "" = Keras's default name ("mean_squared_error", ...)
};

struct BinaryCrossentropyOptions {
  bool from_logits = false;
  double label_smoothing = 0.0;
  std::int64_t axis = -1;
  std::string reduction = "sum_over_batch_size";
  std::string name{};
};

struct CategoricalCrossentropyOptions {
  bool from_logits = false;
  double label_smoothing = 0.0;
  std::int64_t axis = -1;
  std::string reduction = "sum_over_batch_size";
  std::string name{};
};

struct SparseCategoricalCrossentropyOptions {
  bool from_logits = false;
  std::optional<std::int64_t> ignore_class{};
  std::string reduction = "sum_over_batch_size";
  std::string name{};
};

class Loss {
 public:
  Loss() = default;  // empty: no loss (compile() then refuses to fit)
  // Keras identifiers: "mse", "mean_squared_error", "MeanSquaredError", "mae", "binary_crossentropy",
  // "categorical_crossentropy", "sparse_categorical_crossentropy" and their class names.
  Loss(std::string_view identifier);
  Loss(const char* identifier) : Loss(std::string_view(identifier)) {}
  Loss(const std::string& identifier) : Loss(std::string_view(identifier)) {}
  // A user function returning per-sample losses; reduced with "sum_over_batch_size".
  template <class F>
    requires(std::is_invocable_r_v<Tensor, const F&, const Tensor&, const Tensor&> &&
             !std::is_convertible_v<F, std::string_view> && !std::is_base_of_v<Loss, std::remove_cvref_t<F>>)
  Loss(F fn, std::string reduction = "sum_over_batch_size", std::string name = "custom_loss")
      : Loss("Custom", std::move(name), std::move(reduction), nlohmann::json::object(), LossFunction(std::move(fn))) {}

  // The reduced loss (a scalar unless reduction is "none"). y_pred_mask: Keras's mask on y_pred
  // (1 keep, 0 masked; from Embedding(mask_zero), Masking, ...), shaped like the per-sample losses
  // ((batch, timesteps) for a sequence): masked entries are left out as Keras's apply_mask does
  // (the mean reductions average over the unmasked entries).
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor(),
                    const Tensor& y_pred_mask = Tensor()) const;
  // The per-sample values before weighting and reduction.
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const;

  bool empty() const { return !fn_; }
  explicit operator bool() const { return static_cast<bool>(fn_); }
  const std::string& name() const { return name_; }
  const std::string& class_name() const { return class_name_; }
  const std::string& reduction() const { return reduction_; }
  bool is_custom() const { return class_name_ == "Custom"; }
  // The string this loss was created from ("mse"), empty otherwise: compile configs keep it as given.
  const std::string& identifier() const { return identifier_; }

  // Keras's get_config(): name, reduction, then the class's own arguments.
  nlohmann::json get_config() const;
  // {"module": "keras.losses", "class_name", "config", "registered_name"}.
  nlohmann::json serialize() const;
  // A string identifier or a serialized Loss (as serialize() writes).
  static Loss from_config(const nlohmann::json& j);

 protected:
  Loss(std::string class_name, std::string name, std::string reduction, nlohmann::json config, LossFunction fn);
  // Keras's _keras_mask on the per-sample losses: 1 where a value counts, 0 where it is ignored, in
  // the values' shape and dtype.
  void set_mask(LossFunction mask) { mask_ = std::move(mask); }

 private:
  std::string class_name_, name_, reduction_, identifier_;
  nlohmann::json config_ = nlohmann::json::object();
  LossFunction fn_;
  LossFunction mask_;
};

class MeanSquaredError : public Loss {
 public:
  explicit MeanSquaredError(const LossOptions& options = {});
};
class MeanAbsoluteError : public Loss {
 public:
  explicit MeanAbsoluteError(const LossOptions& options = {});
};
class BinaryCrossentropy : public Loss {
 public:
  explicit BinaryCrossentropy(const BinaryCrossentropyOptions& options = {});
};
class CategoricalCrossentropy : public Loss {
 public:
  explicit CategoricalCrossentropy(const CategoricalCrossentropyOptions& options = {});
};
class SparseCategoricalCrossentropy : public Loss {
 public:
  explicit SparseCategoricalCrossentropy(const SparseCategoricalCrossentropyOptions& options = {});
};

// keras.losses.get: a Loss with Keras's defaults for an identifier (see Loss(std::string_view)).
Loss get_loss(std::string_view identifier);
// The canonical Keras function name of a loss identifier ("mse" -> "mean_squared_error"), or ""
// when it names no built-in loss.
std::string canonical_loss_name(std::string_view identifier);

// Keras's apply_mask with reduction "sum": sample_weight (aligned to the mask's rank as Keras's
// squeeze_or_expand_to_same_rank) times the 0/1 mask; the mask alone without weights, the weights
// alone without a mask.
Tensor apply_mask(const Tensor& sample_weight, const Tensor& mask);
// Keras's reduce_weighted_values: weights `values` by `sample_weight` (whose rank may differ by one,
// a trailing size-1 axis is squeezed or added as Keras does) and reduces as `reduction`.
Tensor reduce_weighted_values(const Tensor& values, const Tensor& sample_weight, const std::string& reduction);

}  // namespace minidl::optim
