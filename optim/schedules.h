#pragma once
// Keras's learning-rate schedules: a function of the optimizer's step count (`iterations`, read
// before the step it drives, so the first update uses schedule(0)), with Keras's get_config() keys.
// Values are computed in double; Keras computes them in float32, so they agree to float32 rounding.
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace minidl::optim {

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  virtual double operator()(std::int64_t step) const = 0;
  virtual std::string class_name() const = 0;
  virtual nlohmann::json get_config() const = 0;
  // Keras's serialize(): {"module": "keras.optimizers.schedules", "class_name", "config", "registered_name"}.
  nlohmann::json serialize() const;
};

using SchedulePtr = std::shared_ptr<const LearningRateSchedule>;

// lr(step) = initial_learning_rate * decay_rate ^ (step / decay_steps), with the exponent floored when
// `staircase` is set.
class ExponentialDecay : public LearningRateSchedule {
 public:
  ExponentialDecay(double initial_learning_rate, double decay_steps, double decay_rate, bool staircase = false,
                   std::string name = "ExponentialDecay");
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "ExponentialDecay"; }
  nlohmann::json get_config() const override;

 private:
  double initial_learning_rate_, decay_steps_, decay_rate_;
  bool staircase_;
  std::string name_;
};

// values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i], and
// values.back() after the last boundary. Boundaries must increase strictly.
class PiecewiseConstantDecay : public LearningRateSchedule {
 public:
  PiecewiseConstantDecay(std::vector<std::int64_t> boundaries, std::vector<double> values,
                         std::string name = "PiecewiseConstant");
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "PiecewiseConstantDecay"; }
  nlohmann::json get_config() const override;

 private:
  std::vector<std::int64_t> boundaries_;
  std::vector<double> values_;
  std::string name_;
};

// Cosine decay (Loshchilov & Hutter) to alpha * the start value over decay_steps, optionally after a
// linear warmup from initial_learning_rate to warmup_target over warmup_steps (then decay starts from
// warmup_target). Without a warmup_target, warmup_steps is ignored, as in Keras.
class CosineDecay : public LearningRateSchedule {
 public:
  CosineDecay(double initial_learning_rate, double decay_steps, double alpha = 0.0,
              std::optional<double> warmup_target = std::nullopt, double warmup_steps = 0,
              std::string name = "CosineDecay");
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "CosineDecay"; }
  nlohmann::json get_config() const override;

 private:
  double initial_learning_rate_, decay_steps_, alpha_;
  std::optional<double> warmup_target_;
  double warmup_steps_;
  std::string name_;
};

namespace schedules {
// Keras's deserialize(): {"class_name": "ExponentialDecay", "config": {...}} (module optional).
SchedulePtr from_config(const nlohmann::json& j);
}  // namespace schedules

// An optimizer's learning_rate argument: a constant or a schedule.
//   optim::SGD({.learning_rate = 0.1})
//   optim::SGD({.learning_rate = optim::ExponentialDecay(0.1, 1000, 0.96)})
class LearningRate {
 public:
  LearningRate(double value) : value_(value) {}
  LearningRate(SchedulePtr schedule);
  template <class S>
    requires std::derived_from<S, LearningRateSchedule>
  LearningRate(S schedule) : LearningRate(SchedulePtr(std::make_shared<S>(std::move(schedule)))) {}

  bool is_schedule() const { return schedule_ != nullptr; }
  const SchedulePtr& schedule() const { return schedule_; }
  double value() const { return value_; }  // the constant (meaningless for a schedule)
  double at(std::int64_t step) const { return schedule_ ? (*schedule_)(step) : value_; }
  // A number, or the serialized schedule (Keras's get_config() "learning_rate").
  nlohmann::json config_value() const;
  static LearningRate from_config(const nlohmann::json& j);

 private:
  double value_ = 0.0;
  SchedulePtr schedule_;
};

}  // namespace minidl::optim
