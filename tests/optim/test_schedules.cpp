// Learning-rate schedules: closed-form values written out here, Keras's own values (fixture from
// tests/reference/keras_optimizers.py), the optimizer reading them at `iterations`, configs, errors.
#include <cmath>
#include <numbers>

#include "support/fixtures.h"

using namespace minidl;
using optim::CosineDecay;
using optim::ExponentialDecay;
using optim::PiecewiseConstantDecay;

TEST_CASE("ExponentialDecay closed form", "[optim][schedules]") {
  ExponentialDecay s(0.1, 10, 0.5);
  CHECK(s(0) == Approx(0.1));
  CHECK(s(5) == Approx(0.1 * std::sqrt(0.5)));
  CHECK(s(10) == Approx(0.05));
  CHECK(s(25) == Approx(0.1 * std::pow(0.5, 2.5)));
  ExponentialDecay stairs(0.1, 10, 0.5, true);
  CHECK(stairs(9) == Approx(0.1));
  CHECK(stairs(10) == Approx(0.05));
  CHECK(stairs(15) == Approx(0.05));
  CHECK(stairs(29) == Approx(0.025));
}

TEST_CASE("PiecewiseConstantDecay closed form", "[optim][schedules]") {
  PiecewiseConstantDecay s({10, 20}, {1.0, 0.5, 0.1});
  CHECK(s(0) == 1.0);
  CHECK(s(10) == 1.0);  // step <= boundary keeps the earlier value
  CHECK(s(11) == 0.5);
  CHECK(s(20) == 0.5);
  CHECK(s(21) == 0.1);
  CHECK(s(1000) == 0.1);
}

TEST_CASE("CosineDecay closed form, with and without warmup", "[optim][schedules]") {
  CosineDecay s(1.0, 100, 0.1);
  CHECK(s(0) == Approx(1.0));
  CHECK(s(50) == Approx(0.9 * 0.5 + 0.1));
  CHECK(s(25) == Approx(0.9 * 0.5 * (1 + std::cos(std::numbers::pi / 4)) + 0.1));
  CHECK(s(100) == Approx(0.1));
  CHECK(s(500) == Approx(0.1));  // held after decay_steps
  CosineDecay warm(0.0, 10, 0.0, 1.0, 5);
  CHECK(warm(0) == Approx(0.0).margin(1e-15));
  CHECK(warm(2) == Approx(0.4));  // linear warmup from 0 to 1 over 5 steps
  CHECK(warm(5) == Approx(1.0));
  CHECK(warm(10) == Approx(0.5));  // halfway through the decay, from warmup_target
  CHECK(warm(15) == Approx(0.0).margin(1e-15));
  CHECK(warm(100) == Approx(0.0).margin(1e-15));
  // Without warmup_target, warmup_steps is ignored (Keras).
  CHECK(CosineDecay(1.0, 10, 0.0, std::nullopt, 5)(5) == Approx(0.5));
}

TEST_CASE("schedules match Keras's values at steps 0..30", "[optim][schedules][keras]") {
  const auto fx = test::load_fixture("keras_optimizers.json")["schedules"];
  for (const auto& [key, s] : fx.items()) {
    INFO(key);
    auto schedule = optim::schedules::from_config(s);
    CHECK(schedule->class_name() == s["class_name"].get<std::string>());
    const auto values = s["values"].get<std::vector<double>>();
    for (std::size_t step = 0; step < values.size(); ++step) {
      INFO("step " << step);
      // Keras computes in float32 (cos included): agreement to a few float32 ulps.
      const double ours = (*schedule)(static_cast<std::int64_t>(step));
      CHECK(std::abs(ours - values[step]) <= 1e-6 * std::abs(values[step]) + 1e-9);
    }
    // Keras's config keys and values.
    const auto ours = schedule->get_config();
    CHECK(ours.size() == s["config"].size());
    for (const auto& [k, v] : s["config"].items()) {
      INFO("key " << k);
      if (v.is_number()) CHECK(ours.at(k).get<double>() == Approx(v.get<double>()));
      else CHECK(ours.at(k) == v);
    }
  }
}

TEST_CASE("the optimizer evaluates its schedule at iterations, before incrementing", "[optim][schedules]") {
  // lr(step) = 0.5^step; gradient 1 every step: w = 3 - (1 + 0.5 + 0.25) after three steps.
  optim::SGD opt({.learning_rate = ExponentialDecay(1.0, 1, 0.5)});
  auto w = std::make_shared<Variable>();
  w->value = Tensor::full(Shape{2}, 3.0, DType::Float64);
  w->name = std::string("w");
  w->path = w->name;
  for (int i = 0; i < 3; ++i) {
    CHECK(opt.learning_rate() == Approx(std::pow(0.5, i)));
    opt.apply({Tensor::ones(Shape{2}, DType::Float64)}, {w});
  }
  CHECK(w->value.to_vector<double>() == std::vector<double>{1.25, 1.25});
  CHECK(opt.learning_rate() == Approx(0.125));
  REQUIRE_THROWS_WITH_ALL(opt.set_learning_rate(0.1), std::invalid_argument, "SGD", "LearningRateSchedule",
                          "not settable");
}

TEST_CASE("schedule errors", "[optim][schedules][errors]") {
  REQUIRE_THROWS_WITH_ALL(ExponentialDecay(0.1, 0, 0.5), std::invalid_argument, "ExponentialDecay", "decay_steps",
                          "> 0", "decay_steps=0");
  REQUIRE_THROWS_WITH_ALL(CosineDecay(0.1, -3), std::invalid_argument, "CosineDecay", "decay_steps", "decay_steps=-3");
  REQUIRE_THROWS_WITH_ALL(CosineDecay(0.1, 10, 0.0, 1.0, -1), std::invalid_argument, "CosineDecay", "warmup_steps");
  REQUIRE_THROWS_WITH_ALL(PiecewiseConstantDecay({1, 2}, {1.0, 0.5}), std::invalid_argument,
                          "PiecewiseConstantDecay", "boundaries", "length 2", "length 2");
  REQUIRE_THROWS_WITH_ALL(PiecewiseConstantDecay({5, 2}, {1.0, 0.5, 0.1}), std::invalid_argument, "increase",
                          "[5, 2]");
  REQUIRE_THROWS_WITH_ALL(optim::schedules::from_config({{"class_name", "InverseTimeDecay"}, {"config", {}}}),
                          std::invalid_argument, "InverseTimeDecay", "ExponentialDecay");
  const nlohmann::json incomplete = {{"class_name", "ExponentialDecay"}, {"config", {{"decay_steps", 3}}}};
  REQUIRE_THROWS_WITH_ALL(optim::schedules::from_config(incomplete), std::invalid_argument, "initial_learning_rate");
}
