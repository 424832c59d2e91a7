#include "minidl/optim/schedules.h"

#include <cmath>
#include <numbers>

#include <fmt/ranges.h>

#include "minidl/core/error.h"

namespace minidl::optim {

nlohmann::json LearningRateSchedule::serialize() const {
  return {{"module", "keras.optimizers.schedules"},
          {"class_name", class_name()},
          {"config", get_config()},
          {"registered_name", nullptr}};
}

namespace {

void require_positive_decay_steps(std::string_view schedule, double decay_steps) {
  if (!(decay_steps > 0))
    throw_invalid_argument("{}: Argument `decay_steps` must be > 0. Received: decay_steps={}", schedule,
                           decay_steps);
}

}  // namespace

// ---- ExponentialDecay ----

ExponentialDecay::ExponentialDecay(double initial_learning_rate, double decay_steps, double decay_rate,
                                   bool staircase, std::string name)
    : initial_learning_rate_(initial_learning_rate),
      decay_steps_(decay_steps),
      decay_rate_(decay_rate),
      staircase_(staircase),
      name_(std::move(name)) {
  require_positive_decay_steps("ExponentialDecay", decay_steps);
}

double ExponentialDecay::operator()(std::int64_t step) const {
  double p = static_cast<double>(step) / decay_steps_;
  if (staircase_) p = std::floor(p);
  return initial_learning_rate_ * std::pow(decay_rate_, p);
}

nlohmann::json ExponentialDecay::get_config() const {
  return {{"initial_learning_rate", initial_learning_rate_},
          {"decay_steps", decay_steps_},
          {"decay_rate", decay_rate_},
          {"staircase", staircase_},
          {"name", name_}};
}

// ---- PiecewiseConstantDecay ----

PiecewiseConstantDecay::PiecewiseConstantDecay(std::vector<std::int64_t> boundaries, std::vector<double> values,
                                               std::string name)
    : boundaries_(std::move(boundaries)), values_(std::move(values)), name_(std::move(name)) {
  if (boundaries_.size() + 1 != values_.size())
    throw_invalid_argument(
        "PiecewiseConstantDecay: The length of boundaries should be 1 less than the length of values. Received: "
        "boundaries={} of length {}, and values={} of length {}.",
        boundaries_, boundaries_.size(), values_, values_.size());
  // Keras sums one indicator per interval; with unsorted boundaries intervals would overlap or vanish.
  for (std::size_t i = 1; i < boundaries_.size(); ++i)
    if (boundaries_[i] <= boundaries_[i - 1])
      throw_invalid_argument("PiecewiseConstantDecay: boundaries must increase strictly, received boundaries={}",
                             boundaries_);
}

double PiecewiseConstantDecay::operator()(std::int64_t step) const {
  for (std::size_t i = 0; i < boundaries_.size(); ++i)
    if (step <= boundaries_[i]) return values_[i];
  return values_.back();
}

nlohmann::json PiecewiseConstantDecay::get_config() const {
  return {{"boundaries", boundaries_}, {"values", values_}, {"name", name_}};
}

// ---- CosineDecay ----

CosineDecay::CosineDecay(double initial_learning_rate, double decay_steps, double alpha,
                         std::optional<double> warmup_target, double warmup_steps, std::string name)
    : initial_learning_rate_(initial_learning_rate),
      decay_steps_(decay_steps),
      alpha_(alpha),
      warmup_target_(warmup_target),
      warmup_steps_(warmup_steps),
      name_(std::move(name)) {
  require_positive_decay_steps("CosineDecay", decay_steps);
  if (warmup_steps < 0)
    throw_invalid_argument("CosineDecay: warmup_steps must be >= 0, received warmup_steps={}", warmup_steps);
}

double CosineDecay::operator()(std::int64_t step) const {
  const auto decay = [this](double s, double from) {
    const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * (s / decay_steps_)));
    return from * ((1.0 - alpha_) * cosine + alpha_);
  };
  const double s = static_cast<double>(step);
  if (!warmup_target_) return decay(std::min(s, decay_steps_), initial_learning_rate_);
  const double clamped = std::min(s, decay_steps_ + warmup_steps_);
  if (clamped < warmup_steps_)
    return (*warmup_target_ - initial_learning_rate_) * (clamped / warmup_steps_) + initial_learning_rate_;
  return decay(clamped - warmup_steps_, *warmup_target_);
}

nlohmann::json CosineDecay::get_config() const {
  return {{"initial_learning_rate", initial_learning_rate_},
          {"decay_steps", decay_steps_},
          {"alpha", alpha_},
          {"name", name_},
          {"warmup_target", warmup_target_ ? nlohmann::json(*warmup_target_) : nlohmann::json(nullptr)},
          {"warmup_steps", warmup_steps_}};
}

// ---- deserialization ----

SchedulePtr schedules::from_config(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("class_name"))
    throw_invalid_argument("schedules::from_config: expected {{\"class_name\": ..., \"config\": {{...}}}}, received {}",
                           j.dump());
  const std::string name = j.at("class_name").get<std::string>();
  const nlohmann::json c = j.value("config", nlohmann::json::object());
  auto number = [&c, &name](const char* key) {
    if (!c.contains(key) || !c[key].is_number())
      throw_invalid_argument("schedules::from_config: {} needs a number `{}`, received config {}", name, key, c.dump());
    return c[key].get<double>();
  };
  // Arguments are read one statement at a time so that the first missing key is the one reported.
  if (name == "ExponentialDecay") {
    const double initial = number("initial_learning_rate");
    const double steps = number("decay_steps");
    const double rate = number("decay_rate");
    return std::make_shared<ExponentialDecay>(initial, steps, rate, c.value("staircase", false),
                                              c.value("name", std::string("ExponentialDecay")));
  }
  if (name == "PiecewiseConstantDecay") {
    std::vector<std::int64_t> boundaries;
    // Keras casts the boundaries to the step's integer dtype.
    for (const auto& b : c.at("boundaries")) boundaries.push_back(static_cast<std::int64_t>(b.get<double>()));
    return std::make_shared<PiecewiseConstantDecay>(std::move(boundaries), c.at("values").get<std::vector<double>>(),
                                                    c.value("name", std::string("PiecewiseConstant")));
  }
  if (name == "CosineDecay") {
    std::optional<double> target;
    if (c.contains("warmup_target") && !c["warmup_target"].is_null()) target = c["warmup_target"].get<double>();
    const double initial = number("initial_learning_rate");
    const double steps = number("decay_steps");
    return std::make_shared<CosineDecay>(initial, steps, c.value("alpha", 0.0), target, c.value("warmup_steps", 0.0),
                                         c.value("name", std::string("CosineDecay")));
  }
  throw_invalid_argument(
      "schedules::from_config: unknown learning rate schedule '{}'. Known: ExponentialDecay, PiecewiseConstantDecay, "
      "CosineDecay",
      name);
}

// ---- LearningRate ----

LearningRate::LearningRate(SchedulePtr schedule) : schedule_(std::move(schedule)) {
  if (!schedule_) throw_invalid_argument("learning_rate: the schedule is null");
}

nlohmann::json LearningRate::config_value() const {
  if (schedule_) return schedule_->serialize();
  return value_;
}

LearningRate LearningRate::from_config(const nlohmann::json& j) {
  if (j.is_number()) return LearningRate(j.get<double>());
  if (j.is_object()) return LearningRate(schedules::from_config(j));
  throw_invalid_argument(
      "Argument `learning_rate` should be float, or a serialized LearningRateSchedule. Received instead: "
      "learning_rate={}",
      j.dump());
}

}  // namespace minidl::optim
