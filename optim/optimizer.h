#pragma once
// The optimizer base: Keras 3's BaseOptimizer semantics. One apply() does, in order:
//   1. drop variables whose gradient is undefined (all undefined -> error, as Keras),
//   2. cast gradients to the variable's dtype and clip them (clipnorm | clipvalue | global_clipnorm),
//   3. decoupled weight decay, variable -= variable * weight_decay * lr, for every optimizer,
//   4. the optimizer's own update_step per variable,
//   5. each variable's constraint: variable.assign(constraint(variable)),
//   6. iterations += 1.
// lr is learning_rate evaluated at `iterations` before the increment (schedule(0) for the first step).
// Updates run under NoGradGuard and write into the variables' buffers, so autograd leaves stay the
// same tensors. Per-variable slots (momentums, ...) are created on a variable's first update, in the
// variable's dtype, and can be exported/imported for checkpoints that resume bit-identically.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "minidl/autograd/variable.h"
#include "minidl/core/tensor.h"
#include "minidl/optim/schedules.h"

namespace minidl::optim {

// Keras's keyword arguments shared by every optimizer. They come last in every options struct, in
// Keras's order, because designated initializers must follow declaration order:
//   optim::Adam({.learning_rate = 1e-4, .beta_1 = 0.5, .clipnorm = 1.0})
#define MINIDL_OPTIMIZER_CLIP_OPTIONS                                                                \
  std::optional<double> clipnorm{};        /* clip each gradient to this L2 norm */                 \
  std::optional<double> clipvalue{};       /* clip each gradient element to [-v, v] */              \
  std::optional<double> global_clipnorm{}; /* clip all gradients together to this global norm */    \
  std::string name{}                       /* "" = automatic: snake_case class name, numbered */

#define MINIDL_OPTIMIZER_COMMON_OPTIONS                                                              \
  std::optional<double> weight_decay{}; /* decoupled: w -= w * weight_decay * lr before the step */ \
  MINIDL_OPTIMIZER_CLIP_OPTIONS

struct CommonOptions {
  LearningRate learning_rate = 0.001;
  std::optional<double> weight_decay;
  std::optional<double> clipnorm;
  std::optional<double> clipvalue;
  std::optional<double> global_clipnorm;
  std::string name;
};

template <class Options>
CommonOptions common_options(const Options& o) {
  return {o.learning_rate, o.weight_decay, o.clipnorm, o.clipvalue, o.global_clipnorm, o.name};
}

class Optimizer {
 public:
  Optimizer(std::string class_name, CommonOptions common);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;
  // Movable so that an optimizer built by value can be handed over: compile({.optimizer = Adam(...)}).
  Optimizer(Optimizer&&) = default;

  // Keras's apply_gradients(zip(grads, vars)) and apply(grads, vars). An undefined gradient skips its
  // variable (as Keras's None).
  void apply_gradients(const std::vector<std::pair<Tensor, VariablePtr>>& grads_and_vars);
  void apply(const std::vector<Tensor>& grads, const std::vector<VariablePtr>& variables);
  // PyTorch-style: applies each trainable variable's accumulated value.grad(); variables without a
  // gradient are skipped.
  void step(const std::vector<VariablePtr>& variables);
  // Drops the accumulated gradients of the variables (before the next backward pass).
  void zero_grad(const std::vector<VariablePtr>& variables) const;

  // Keras's exclude_from_weight_decay(): these variables, and those whose name matches one of the
  // regular expressions in var_names (std::regex_search), get no weight decay.
  void exclude_from_weight_decay(const std::vector<VariablePtr>& var_list = {},
                                 const std::vector<std::string>& var_names = {});

  const std::string& name() const { return name_; }
  const std::string& class_name() const { return class_name_; }
  std::int64_t iterations() const { return iterations_; }
  // The learning rate the next step uses (the schedule at `iterations`).
  double learning_rate() const { return learning_rate_.at(iterations_); }
  // Replaces a constant learning rate; throws for an optimizer created with a schedule (as Keras).
  void set_learning_rate(double learning_rate);
  const LearningRate& learning_rate_arg() const { return learning_rate_; }
  const std::optional<double>& weight_decay() const { return weight_decay_; }

  // Keras's get_config(): name, learning_rate, weight_decay, clipnorm, global_clipnorm, clipvalue,
  // use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps,
  // then the optimizer's own arguments.
  virtual nlohmann::json get_config() const;
  // {"module": "keras.optimizers", "class_name", "config", "registered_name"}.
  nlohmann::json serialize() const;

  // Everything needed to resume exactly: "iterations", "learning_rate" (constant rates only), global
  // accumulators (Nadam's "u_product"), and "<variable path>/<slot>" for each variable updated so far
  // (the variable's path, or its name when the path is empty). Copies.
  std::vector<std::pair<std::string, Tensor>> state() const;
  // Restores a state() export. `variables` creates the slots of variables this optimizer has not
  // updated yet (a fresh optimizer after a restart); every slot must then be present in `state`, and
  // every entry of `state` must name a known slot, with matching shape and dtype.
  void load_state(const std::vector<std::pair<std::string, Tensor>>& state,
                  const std::vector<VariablePtr>& variables = {});
  // The slot tensors of a variable (empty before its first update), e.g. {"momentum", m}.
  std::vector<std::pair<std::string, Tensor>> slots(const VariablePtr& variable) const;

 protected:
  // Subclasses declare their per-variable slots in their constructor, in Keras's creation order;
  // update_step receives them in that order, with the variable's shape and dtype.
  void declare_slot(std::string name, double initial_value = 0.0);
  // A float64 scalar the optimizer keeps once, not per variable (Nadam's u_product); exported in state().
  Tensor declare_global(std::string name, double initial_value);  // shares the stored buffer
  // Runs once per apply(), after clipping and weight decay, before the per-variable updates.
  virtual void before_updates(double /*learning_rate*/) {}
  // Updates `variable` in place from `gradient` (same shape and dtype, already clipped).
  virtual void update_step(const Tensor& gradient, Tensor& variable, std::span<Tensor> slots,
                           double learning_rate) = 0;

 private:
  struct Entry {
    VariablePtr variable;  // kept alive so the pointer key stays unique
    std::vector<Tensor> slots;
    std::optional<bool> use_weight_decay;  // cached exclude_from_weight_decay decision
  };
  std::size_t index_for(const VariablePtr& variable);  // creates the slots on first sight
  bool use_weight_decay(Entry& e) const;
  static std::string key_of(const Variable& v);
  std::vector<Tensor> clip(std::vector<Tensor> grads) const;

  std::string class_name_;
  std::string name_;
  LearningRate learning_rate_;
  std::optional<double> weight_decay_, clipnorm_, clipvalue_, global_clipnorm_;
  std::int64_t iterations_ = 0;
  std::vector<std::pair<std::string, double>> slot_specs_;
  std::vector<std::pair<std::string, Tensor>> globals_;
  std::vector<Entry> entries_;
  std::unordered_map<const Variable*, std::size_t> index_;
  std::vector<const Variable*> excluded_;
  std::vector<std::string> excluded_patterns_;
};

using OptimizerPtr = std::unique_ptr<Optimizer>;

}  // namespace minidl::optim
