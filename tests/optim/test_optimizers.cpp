// Optimizer trajectories against the real Keras 3 (fixture from tests/reference/keras_optimizers.py):
// every optimizer with defaults and options, clipping, weight decay, schedules and constraints,
// 20 steps each, rebuilt in C++ from Keras's own get_config().
#include <algorithm>
#include <cmath>
#include <set>

#include "optim_problem.h"

using namespace minidl;

namespace {

const nlohmann::json& fixture() {
  static const nlohmann::json fx = test::load_fixture("keras_optimizers.json");
  return fx;
}

std::function<Tensor(const Tensor&)> constraint_named(const nlohmann::json& name, const nlohmann::json& spec) {
  if (name.is_null()) return {};
  const std::string n = name.get<std::string>();
  if (n == "NonNeg") return constraints::Constraint(constraints::NonNeg{}).function();
  if (n == "MaxNorm") {
    const auto& m = spec.at("MaxNorm");
    const constraints::MaxNorm max_norm{m.at("max_value").get<double>(), {m.at("axis").get<std::int64_t>()}};
    return constraints::Constraint(max_norm).function();
  }
  FAIL("unknown constraint " << n);
  return {};
}

double max_abs_diff(const Tensor& a, const std::vector<double>& expected) {
  const auto v = a.to_vector<double>();
  REQUIRE(v.size() == expected.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < v.size(); ++i) worst = std::max(worst, std::abs(v[i] - expected[i]));
  return worst;
}

constexpr double kTolerance = 1e-5;

}  // namespace

TEST_CASE("optimizers reproduce Keras trajectories (autograd + step)", "[optim][keras]") {
  const auto& fx = fixture();
  const auto problem = test::OptimProblem::from_fixture(fx["problem"]);
  const auto& constraint_spec = fx["problem"]["constraints"];
  for (const auto& c : fx["cases"]) {
    const std::string name = c["name"].get<std::string>();
    SECTION(name) {
      auto opt = optim::from_config({{"class_name", c["class_name"]}, {"config", c["config"]}});
      REQUIRE(opt->class_name() == c["class_name"].get<std::string>());
      auto w = test::OptimProblem::variable(problem.w0, "w");
      auto v = test::OptimProblem::variable(problem.v0, "v");
      w->constraint = constraint_named(c["w_constraint"], constraint_spec);
      v->constraint = constraint_named(c["v_constraint"], constraint_spec);
      const std::vector<VariablePtr> vars = {w, v};
      double worst = 0.0;
      for (std::size_t step = 0; step < c["w"].size(); ++step) {
        INFO(name << " step " << step);
        // Keras reads the learning rate (the schedule at `iterations`) before the step.
        const double keras_lr = c["learning_rates"][step].get<double>();
        REQUIRE(opt->iterations() == static_cast<std::int64_t>(step));
        CHECK(std::abs(opt->learning_rate() - keras_lr) <= 1e-6 * std::abs(keras_lr) + 1e-9);
        opt->zero_grad(vars);
        problem.loss(w, v).backward();
        opt->step(vars);
        worst = std::max({worst, max_abs_diff(w->value, c["w"][step].get<std::vector<double>>()),
                          max_abs_diff(v->value, c["v"][step].get<std::vector<double>>())});
      }
      INFO(name << ": max |minidl - keras| over 20 steps = " << worst);
      CHECK(worst <= kTolerance);
    }
  }
}

TEST_CASE("optimizers reproduce Keras trajectories (apply_gradients with analytic gradients)", "[optim][keras]") {
  const auto& fx = fixture();
  const auto problem = test::OptimProblem::from_fixture(fx["problem"]);
  const auto& constraint_spec = fx["problem"]["constraints"];
  double worst_overall = 0.0;
  for (const auto& c : fx["cases"]) {
    const std::string name = c["name"].get<std::string>();
    auto opt = optim::from_config({{"class_name", c["class_name"]}, {"config", c["config"]}});
    auto w = test::OptimProblem::variable(problem.w0, "w");
    auto v = test::OptimProblem::variable(problem.v0, "v");
    w->constraint = constraint_named(c["w_constraint"], constraint_spec);
    v->constraint = constraint_named(c["v_constraint"], constraint_spec);
    double worst = 0.0;
    for (std::size_t step = 0; step < c["w"].size(); ++step) {
      auto [gw, gv] = problem.gradients(w, v);
      opt->apply_gradients({{gw, w}, {gv, v}});
      worst = std::max({worst, max_abs_diff(w->value, c["w"][step].get<std::vector<double>>()),
                        max_abs_diff(v->value, c["v"][step].get<std::vector<double>>())});
    }
    INFO(name << ": max |minidl - keras| = " << worst);
    CHECK(worst <= kTolerance);
    worst_overall = std::max(worst_overall, worst);
  }
  INFO("max deviation from Keras over all cases: " << worst_overall);
  CHECK(worst_overall <= kTolerance);
}

TEST_CASE("get_config has Keras's keys and values", "[optim][keras][config]") {
  for (const auto& c : fixture()["cases"]) {
    const std::string name = c["name"].get<std::string>();
    INFO(name);
    auto opt = optim::from_config({{"class_name", c["class_name"]}, {"config", c["config"]}});
    const nlohmann::json ours = opt->get_config();
    const nlohmann::json& keras = c["config"];
    std::set<std::string> ours_keys, keras_keys;
    for (const auto& [k, _] : ours.items()) ours_keys.insert(k);
    for (const auto& [k, _] : keras.items()) keras_keys.insert(k);
    CHECK(ours_keys == keras_keys);
    for (const auto& [k, value] : keras.items()) {
      INFO("key " << k);
      if (value.is_number()) {
        REQUIRE(ours[k].is_number());
        // Keras reports a constant learning rate as its float32 variable's value.
        CHECK(std::abs(ours[k].get<double>() - value.get<double>()) <= 1e-7 * std::abs(value.get<double>()));
      } else if (k == "learning_rate") {
        CHECK(ours[k]["class_name"] == value["class_name"]);
        CHECK(ours[k]["module"] == value["module"]);
        for (const auto& [sk, sv] : value["config"].items()) {
          INFO("schedule key " << sk);
          if (sv.is_number()) CHECK(ours[k]["config"][sk].get<double>() == Approx(sv.get<double>()));
          else CHECK(ours[k]["config"][sk] == sv);
        }
      } else {
        CHECK(ours[k] == value);
      }
    }
  }
}

TEST_CASE("optim::get builds Keras defaults from identifiers", "[optim][config]") {
  struct Expect {
    const char* id;
    const char* class_name;
    double lr;
  };
  for (const auto& e : {Expect{"sgd", "SGD", 0.01}, Expect{"adam", "Adam", 0.001}, Expect{"adamw", "AdamW", 0.001},
                        Expect{"rmsprop", "RMSprop", 0.001}, Expect{"adagrad", "Adagrad", 0.001},
                        Expect{"adadelta", "Adadelta", 0.001}, Expect{"nadam", "Nadam", 0.001},
                        Expect{"Adam", "Adam", 0.001}, Expect{"RMSprop", "RMSprop", 0.001}}) {
    INFO(e.id);
    auto opt = optim::get(e.id);
    CHECK(opt->class_name() == e.class_name);
    CHECK(opt->learning_rate() == e.lr);
    CHECK(opt->iterations() == 0);
  }
  // The defaults of the fixture's "defaults" cases equal what get() builds (names aside).
  for (const char* id : {"sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "nadam"}) {
    INFO(id);
    nlohmann::json keras;
    for (const auto& c : fixture()["cases"])
      if (c["name"] == id) keras = c["config"];
    REQUIRE(keras.is_object());
    nlohmann::json ours = optim::get(id)->get_config();
    for (auto* cfg : {&ours, &keras}) {
      cfg->erase("name");
      (*cfg)["learning_rate"] = static_cast<float>((*cfg)["learning_rate"].get<double>());
    }
    CHECK(ours.dump() == keras.dump());
  }
  // A serialized optimizer round-trips through get(json).
  auto adam = optim::Adam({.learning_rate = optim::ExponentialDecay(0.1, 3, 0.5), .beta_1 = 0.5, .amsgrad = true,
                           .clipnorm = 2.0, .name = "my_adam"});
  auto again = optim::get(adam.serialize());
  CHECK(again->serialize() == adam.serialize());
  CHECK(again->name() == "my_adam");
}
