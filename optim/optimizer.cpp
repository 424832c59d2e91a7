#include "minidl/optim/optimizer.h"

#include <algorithm>
#include <cmath>
#include <regex>
#include <unordered_set>

#include "minidl/autograd/grad_mode.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer.h"
#include "minidl/optim/internal.h"

namespace minidl::optim {

namespace {

std::string none_or(const std::optional<double>& v) { return v ? fmt::format("{}", *v) : "None"; }
nlohmann::json json_or_null(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

void require_non_negative(std::string_view optimizer, std::string_view arg, const std::optional<double>& v) {
  if (v && !(*v >= 0.0))  // also rejects NaN
    throw_invalid_argument("{}: `{}` must be >= 0, received {}={}", optimizer, arg, arg, *v);
}

void require_learning_rate(std::string_view optimizer, double lr) {
  if (!(lr >= 0.0) || !std::isfinite(lr))
    throw_invalid_argument("{}: `learning_rate` must be a finite number >= 0, received learning_rate={}", optimizer,
                           lr);
}

// Sum of squares in double, whatever the tensor's dtype.
double sum_of_squares(const Tensor& t) {
  return dispatch(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = t.data<T>();
    double s = 0.0;
    for (std::int64_t i = 0; i < t.numel(); ++i) s += static_cast<double>(p[i]) * static_cast<double>(p[i]);
    return s;
  });
}

// out = op(g) elementwise into a new tensor (gradients belong to the caller and are never modified).
template <class F>
Tensor map_gradient(const Tensor& g, const F& op) {
  Tensor out = Tensor::empty(g.shape(), g.dtype());
  dispatch(g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* in = g.data<T>();
    T* o = out.data<T>();
    detail::for_each_element(g.numel(), [&](std::int64_t i) { o[i] = op(in[i]); });
  });
  return out;
}

}  // namespace

Optimizer::Optimizer(std::string class_name, CommonOptions common)
    : class_name_(std::move(class_name)),
      name_(common.name.empty() ? layers::unique_name(layers::snake_case(class_name_)) : std::move(common.name)),
      learning_rate_(std::move(common.learning_rate)),
      weight_decay_(common.weight_decay),
      clipnorm_(common.clipnorm),
      clipvalue_(common.clipvalue),
      global_clipnorm_(common.global_clipnorm) {
  if (!learning_rate_.is_schedule()) require_learning_rate(class_name_, learning_rate_.value());
  const int clip_args = int(clipnorm_.has_value()) + int(clipvalue_.has_value()) + int(global_clipnorm_.has_value());
  if (clip_args > 1)
    throw_invalid_argument(
        "{}: Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: clipnorm={}, "
        "clipvalue={}, global_clipnorm={}",
        class_name_, none_or(clipnorm_), none_or(clipvalue_), none_or(global_clipnorm_));
  // Keras treats 0 as "no clipping"; a negative bound has no meaning, so it is an error here.
  require_non_negative(class_name_, "clipnorm", clipnorm_);
  require_non_negative(class_name_, "clipvalue", clipvalue_);
  require_non_negative(class_name_, "global_clipnorm", global_clipnorm_);
  require_non_negative(class_name_, "weight_decay", weight_decay_);
}

void Optimizer::declare_slot(std::string name, double initial_value) {
  slot_specs_.emplace_back(std::move(name), initial_value);
}

Tensor Optimizer::declare_global(std::string name, double initial_value) {
  globals_.emplace_back(std::move(name), Tensor::scalar(initial_value, DType::Float64));
  return globals_.back().second;
}

void Optimizer::set_learning_rate(double learning_rate) {
  if (learning_rate_.is_schedule())
    throw_invalid_argument(
        "{}: This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` constructor "
        "argument, hence its learning rate is not settable. If you need the learning rate to be settable, you should "
        "instantiate the optimizer with a float `learning_rate` argument.",
        class_name_);
  require_learning_rate(class_name_, learning_rate);
  learning_rate_ = LearningRate(learning_rate);
}

std::string Optimizer::key_of(const Variable& v) { return v.path.empty() ? v.name : v.path; }

std::size_t Optimizer::index_for(const VariablePtr& variable) {
  if (auto it = index_.find(variable.get()); it != index_.end()) return it->second;
  if (!variable->value.defined())
    throw_invalid_argument("{}: variable '{}' has no value", class_name_, key_of(*variable));
  Entry e{variable, {}, std::nullopt};
  for (const auto& [slot, init] : slot_specs_)
    e.slots.push_back(Tensor::full(variable->value.shape(), init, variable->value.dtype()));
  index_.emplace(variable.get(), entries_.size());
  entries_.push_back(std::move(e));
  return entries_.size() - 1;
}

void Optimizer::exclude_from_weight_decay(const std::vector<VariablePtr>& var_list,
                                          const std::vector<std::string>& var_names) {
  excluded_.clear();
  for (const auto& v : var_list) excluded_.push_back(v.get());
  for (const auto& pattern : var_names) {
    try {
      std::regex check(pattern);
    } catch (const std::regex_error& e) {
      throw_invalid_argument("{}.exclude_from_weight_decay: invalid regular expression '{}' in var_names ({})",
                             class_name_, pattern, e.what());
    }
  }
  excluded_patterns_ = var_names;
  for (auto& e : entries_) e.use_weight_decay.reset();
}

bool Optimizer::use_weight_decay(Entry& e) const {
  if (!e.use_weight_decay) {
    bool use = std::find(excluded_.begin(), excluded_.end(), e.variable.get()) == excluded_.end();
    for (const auto& pattern : excluded_patterns_)
      if (use && std::regex_search(e.variable->name, std::regex(pattern))) use = false;
    e.use_weight_decay = use;
  }
  return *e.use_weight_decay;
}

std::vector<Tensor> Optimizer::clip(std::vector<Tensor> grads) const {
  // Keras's _clip_gradients: a bound of 0 means no clipping.
  if (clipnorm_ && *clipnorm_ > 0) {
    const double c = *clipnorm_;
    for (auto& g : grads) {
      const double norm = std::sqrt(sum_of_squares(g));
      // Keras: g * clipnorm / max(norm, clipnorm), in the gradient's dtype (so g is rescaled by c / c
      // even when it is not clipped; the same rounding is reproduced here).
      g = dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T ct = static_cast<T>(c), denom = static_cast<T>(std::max(norm, c));
        return map_gradient(g, [=](T x) { return x * ct / denom; });
      });
    }
  } else if (global_clipnorm_ && *global_clipnorm_ > 0) {
    const double c = *global_clipnorm_;
    double squares = 0.0;
    for (const auto& g : grads) squares += sum_of_squares(g);
    const double norm = std::sqrt(squares);
    // Keras's clip_by_global_norm: c * min(1 / norm, 1 / c), made NaN by a non-finite norm.
    const double scale = c * std::min(1.0 / norm, 1.0 / c) + (norm - norm);
    for (auto& g : grads)
      g = dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T s = static_cast<T>(scale);
        return map_gradient(g, [=](T x) { return x * s; });
      });
  } else if (clipvalue_ && *clipvalue_ > 0) {
    const double v = *clipvalue_;
    for (auto& g : grads)
      g = dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T hi = static_cast<T>(v), lo = -hi;
        return map_gradient(g, [=](T x) { return x < lo ? lo : (x > hi ? hi : x); });
      });
  }
  return grads;
}

void Optimizer::apply_gradients(const std::vector<std::pair<Tensor, VariablePtr>>& grads_and_vars) {
  std::vector<Tensor> grads;
  std::vector<VariablePtr> variables;
  for (const auto& [g, v] : grads_and_vars) {
    grads.push_back(g);
    variables.push_back(v);
  }
  apply(grads, variables);
}

void Optimizer::apply(const std::vector<Tensor>& grads, const std::vector<VariablePtr>& variables) {
  if (grads.size() != variables.size())
    throw_invalid_argument("{}.apply: received {} gradients for {} variables; they must pair up one to one",
                           class_name_, grads.size(), variables.size());
  if (grads.empty()) return;  // Keras: a no-op, iterations unchanged

  std::vector<Tensor> used_grads;
  std::vector<VariablePtr> used_vars;
  std::unordered_set<const Variable*> seen;
  for (std::size_t i = 0; i < grads.size(); ++i) {
    const VariablePtr& v = variables[i];
    if (!v) throw_invalid_argument("{}.apply: variable {} is null", class_name_, i);
    if (!seen.insert(v.get()).second)
      throw_invalid_argument("{}.apply: variable '{}' appears twice; sum its gradients first", class_name_,
                             key_of(*v));
    if (!grads[i].defined()) continue;
    if (!v->value.defined()) throw_invalid_argument("{}.apply: variable '{}' has no value", class_name_, key_of(*v));
    if (grads[i].shape() != v->value.shape())
      throw_invalid_argument("{}.apply: the gradient of variable '{}' has shape {}, the variable has shape {}",
                             class_name_, key_of(*v), grads[i].shape(), v->value.shape());
    used_grads.push_back(grads[i]);
    used_vars.push_back(v);
  }
  if (used_vars.empty()) throw_invalid_argument("{}.apply: No gradients provided for any variable.", class_name_);

  NoGradGuard no_grad;
  std::vector<std::size_t> slots_of;
  for (const auto& v : used_vars) slots_of.push_back(index_for(v));
  // Gradients in the variable's dtype (Keras casts them), then clipped.
  for (std::size_t i = 0; i < used_grads.size(); ++i) {
    const DType d = used_vars[i]->value.dtype();
    if (used_grads[i].dtype() != d) used_grads[i] = used_grads[i].to(d);
  }
  used_grads = clip(std::move(used_grads));

  const double lr = learning_rate();  // the schedule at `iterations`, before the increment
  if (weight_decay_) {
    for (std::size_t i = 0; i < used_vars.size(); ++i) {
      if (!use_weight_decay(entries_[slots_of[i]])) continue;
      Tensor& w = used_vars[i]->value;
      dispatch(w.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T wd = static_cast<T>(*weight_decay_), lr_t = static_cast<T>(lr);
        T* p = w.data<T>();
        detail::for_each_element(w.numel(), [=](std::int64_t k) { p[k] = p[k] - p[k] * wd * lr_t; });
      });
    }
  }
  before_updates(lr);
  for (std::size_t i = 0; i < used_vars.size(); ++i)  // the optimizer's own rule, in place
    update_step(used_grads[i], used_vars[i]->value, entries_[slots_of[i]].slots, lr);
  for (const auto& v : used_vars)  // Keras: variable.assign(variable.constraint(variable)) after the update
    if (v->constraint) v->assign(v->constraint(v->value));
  ++iterations_;
}

void Optimizer::step(const std::vector<VariablePtr>& variables) {
  std::vector<Tensor> grads;
  for (const auto& v : variables) grads.push_back(v && v->trainable && v->value.defined() ? v->value.grad() : Tensor());
  apply(grads, variables);
}

void Optimizer::zero_grad(const std::vector<VariablePtr>& variables) const {
  for (const auto& v : variables)
    if (v && v->value.defined()) v->value.zero_grad();
}

nlohmann::json Optimizer::get_config() const {
  return {{"name", name_},
          {"learning_rate", learning_rate_.config_value()},
          {"weight_decay", json_or_null(weight_decay_)},
          {"clipnorm", json_or_null(clipnorm_)},
          {"global_clipnorm", json_or_null(global_clipnorm_)},
          {"clipvalue", json_or_null(clipvalue_)},
          {"use_ema", false},
          {"ema_momentum", 0.99},
          {"ema_overwrite_frequency", nullptr},
          {"loss_scale_factor", nullptr},
          {"gradient_accumulation_steps", nullptr}};
}

nlohmann::json Optimizer::serialize() const {
  return {{"module", "keras.optimizers"},
          {"class_name", class_name_},
          {"config", get_config()},
          {"registered_name", nullptr}};
}

std::vector<std::pair<std::string, Tensor>> Optimizer::slots(const VariablePtr& variable) const {
  std::vector<std::pair<std::string, Tensor>> out;
  auto it = index_.find(variable.get());
  if (it == index_.end()) return out;
  for (std::size_t k = 0; k < slot_specs_.size(); ++k)
    out.emplace_back(slot_specs_[k].first, entries_[it->second].slots[k]);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Optimizer::state() const {
  std::vector<std::pair<std::string, Tensor>> out;
  out.emplace_back("iterations", Tensor::scalar(static_cast<double>(iterations_), DType::Float64));
  if (!learning_rate_.is_schedule())
    out.emplace_back("learning_rate", Tensor::scalar(learning_rate_.value(), DType::Float64));
  for (const auto& [name, t] : globals_) out.emplace_back(name, t.deep_copy());
  std::unordered_set<std::string> keys;
  for (const auto& e : entries_) {
    const std::string key = key_of(*e.variable);
    if (!keys.insert(key).second)
      throw_invalid_argument("{}.state: two variables share the path '{}'; give them unique paths to export the state",
                             class_name_, key);
    for (std::size_t k = 0; k < slot_specs_.size(); ++k)
      out.emplace_back(key + "/" + slot_specs_[k].first, e.slots[k].deep_copy());
  }
  return out;
}

void Optimizer::load_state(const std::vector<std::pair<std::string, Tensor>>& state,
                           const std::vector<VariablePtr>& variables) {
  for (const auto& v : variables) {
    if (!v) throw_invalid_argument("{}.load_state: a variable is null", class_name_);
    index_for(v);
  }
  std::unordered_map<std::string, const Tensor*> given;
  for (const auto& [key, t] : state) {
    if (!t.defined()) throw_invalid_argument("{}.load_state: entry '{}' is an undefined tensor", class_name_, key);
    if (!given.emplace(key, &t).second)
      throw_invalid_argument("{}.load_state: entry '{}' appears twice", class_name_, key);
  }
  // Validate everything first, so a bad checkpoint leaves the optimizer untouched.
  std::vector<std::pair<Tensor, const Tensor*>> copies;
  auto take = [&](const std::string& key, const Tensor& target) {
    auto it = given.find(key);
    if (it == given.end())
      throw_invalid_argument("{}.load_state: the state has no entry '{}'", class_name_, key);
    const Tensor& t = *it->second;
    if (t.shape() != target.shape() || t.dtype() != target.dtype())
      throw_invalid_argument("{}.load_state: entry '{}' has shape {} and dtype {}, expected shape {} and dtype {}",
                             class_name_, key, t.shape(), t.dtype(), target.shape(), target.dtype());
    copies.emplace_back(target, &t);
    given.erase(it);
  };
  auto scalar = [&](const std::string& key) -> std::optional<double> {
    auto it = given.find(key);
    if (it == given.end()) return std::nullopt;
    if (it->second->numel() != 1)
      throw_invalid_argument("{}.load_state: entry '{}' must hold one value, received shape {}", class_name_, key,
                             it->second->shape());
    const double value = it->second->item();
    given.erase(it);
    return value;
  };
  const auto iterations = scalar("iterations");
  if (!iterations) throw_invalid_argument("{}.load_state: the state has no entry 'iterations'", class_name_);
  if (!(*iterations >= 0) || *iterations != std::floor(*iterations))
    throw_invalid_argument("{}.load_state: 'iterations' must be an integer >= 0, received {}", class_name_,
                           *iterations);
  const auto lr = scalar("learning_rate");
  if (lr && learning_rate_.is_schedule())
    throw_invalid_argument("{}.load_state: the state holds a constant learning_rate but this optimizer uses a schedule",
                           class_name_);
  if (lr) require_learning_rate(class_name_, *lr);
  for (const auto& [name, t] : globals_) take(name, t);
  for (const auto& e : entries_)
    for (std::size_t k = 0; k < slot_specs_.size(); ++k)
      take(key_of(*e.variable) + "/" + slot_specs_[k].first, e.slots[k]);
  for (const auto& [key, t] : state)  // the first unknown entry in the state's order
    if (given.count(key))
      throw_invalid_argument("{}.load_state: entry '{}' matches no slot of this optimizer (pass its variable in "
                             "`variables` if it has not been updated yet)",
                             class_name_, key);

  iterations_ = static_cast<std::int64_t>(*iterations);
  if (lr) learning_rate_ = LearningRate(*lr);
  for (auto& [target, source] : copies) target.copy_(*source);
}

}  // namespace minidl::optim
