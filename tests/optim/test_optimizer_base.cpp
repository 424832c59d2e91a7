// The Optimizer base: constraints after the update, clipping and weight decay by hand, step() from
// accumulated gradients, autograd leaf identity, state export/import, configs and errors.
#include <cmath>
#include <cstring>

#include "optim_problem.h"

using namespace minidl;

namespace {

VariablePtr var64(std::vector<double> values, const std::string& name) {
  auto v = std::make_shared<Variable>();
  v->value = Tensor::from_vector(values, Shape{static_cast<std::int64_t>(values.size())});
  v->value.set_requires_grad(true);
  v->name = v->path = name;
  return v;
}

Tensor t64(std::vector<double> values) {
  return Tensor::from_vector(values, Shape{static_cast<std::int64_t>(values.size())});
}

std::vector<double> values(const VariablePtr& v) { return v->value.to_vector<double>(); }

bool bit_identical(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw_data(), b.raw_data(), static_cast<std::size_t>(a.numel()) * dtype_size(a.dtype())) == 0;
}

}  // namespace

TEST_CASE("the constraint is applied after the update", "[optim][constraints]") {
  // SGD lr 0.5: w = [1, -1] - 0.5 * [-1, 2] = [1.5, -2]; NonNeg then gives [1.5, 0].
  auto w = var64({1.0, -1.0}, "w");
  Tensor seen;
  w->constraint = [&seen](const Tensor& x) {
    seen = x.deep_copy();
    return constraints::Constraint(constraints::NonNeg{})(x);
  };
  optim::SGD opt({.learning_rate = 0.5});
  opt.apply({t64({-1.0, 2.0})}, {w});
  CHECK(seen.to_vector<double>() == std::vector<double>{1.5, -2.0});  // the constraint saw the updated value
  CHECK(values(w) == std::vector<double>{1.5, 0.0});

  // MaxNorm(1) on [3, 4] - 0.5 * [2, 0] = [2, 4]: norm sqrt(20), scaled to 1 / (sqrt(20) + 1e-7).
  auto u = var64({3.0, 4.0}, "u");
  u->constraint = constraints::Constraint(constraints::MaxNorm{1.0, {0}}).function();
  opt.apply({t64({2.0, 0.0})}, {u});
  const double scale = 1.0 / (std::sqrt(20.0) + 1e-7);
  CHECK(values(u)[0] == Approx(2.0 * scale));
  CHECK(values(u)[1] == Approx(4.0 * scale));
}

TEST_CASE("gradient clipping by hand", "[optim][clip]") {
  SECTION("clipnorm rescales each gradient to the bound") {
    optim::SGD opt({.learning_rate = 1.0, .clipnorm = 1.0});
    auto a = var64({0.0, 0.0}, "a");
    auto b = var64({0.0, 0.0}, "b");
    opt.apply({t64({3.0, 4.0}), t64({0.3, 0.4})}, {a, b});  // norms 5 (clipped) and 0.5 (kept)
    CHECK(values(a)[0] == Approx(-0.6));
    CHECK(values(a)[1] == Approx(-0.8));
    CHECK(values(b)[0] == Approx(-0.3));
    CHECK(values(b)[1] == Approx(-0.4));
  }
  SECTION("clipvalue clips each element") {
    optim::SGD opt({.learning_rate = 1.0, .clipvalue = 0.5});
    auto a = var64({0.0, 0.0, 0.0}, "a");
    opt.apply({t64({3.0, -0.2, -4.0})}, {a});
    CHECK(values(a) == std::vector<double>{-0.5, 0.2, 0.5});
  }
  SECTION("global_clipnorm scales all gradients by one factor") {
    optim::SGD opt({.learning_rate = 1.0, .global_clipnorm = 2.5});
    auto a = var64({0.0}, "a");
    auto b = var64({0.0}, "b");
    opt.apply({t64({3.0}), t64({4.0})}, {a, b});  // global norm 5 -> factor 0.5
    CHECK(values(a)[0] == Approx(-1.5));
    CHECK(values(b)[0] == Approx(-2.0));
    optim::SGD loose({.learning_rate = 1.0, .global_clipnorm = 10.0});
    loose.apply({t64({3.0}), t64({4.0})}, {a, b});  // below the bound: unchanged gradients
    CHECK(values(a)[0] == Approx(-4.5));
    CHECK(values(b)[0] == Approx(-6.0));
  }
  SECTION("the caller's gradients are not modified") {
    optim::SGD opt({.learning_rate = 1.0, .clipvalue = 0.5});
    auto a = var64({0.0}, "a");
    Tensor g = t64({3.0});
    opt.apply({g}, {a});
    CHECK(g.to_vector<double>() == std::vector<double>{3.0});
  }
}

TEST_CASE("decoupled weight decay by hand", "[optim][weight_decay]") {
  // Zero gradient isolates the decay: w -= w * wd * lr = 2 * 0.5 * 0.1.
  optim::SGD opt({.learning_rate = 0.1, .weight_decay = 0.5});
  auto w = var64({2.0, -4.0}, "kernel");
  auto b = var64({2.0}, "bias");
  opt.exclude_from_weight_decay({}, {"bia"});  // regular expressions searched in the name, as Keras
  opt.apply({t64({0.0, 0.0}), t64({0.0})}, {w, b});
  CHECK(values(w)[0] == Approx(1.9));
  CHECK(values(w)[1] == Approx(-3.8));
  CHECK(values(b)[0] == 2.0);
  opt.exclude_from_weight_decay({w});
  opt.apply({t64({0.0, 0.0}), t64({0.0})}, {w, b});
  CHECK(values(w)[0] == Approx(1.9));
  CHECK(values(b)[0] == Approx(1.9));
  // AdamW's default: 0.004; the decay happens before the Adam step (whose first step is lr * sign(g)).
  optim::AdamW adamw({.learning_rate = 0.1});
  auto x = var64({10.0}, "x");
  adamw.apply({t64({1.0})}, {x});
  CHECK(values(x)[0] == Approx(10.0 - 10.0 * 0.004 * 0.1 - 0.1 * 1.0 / (1.0 + 1e-7 / std::sqrt(0.001))));
}

TEST_CASE("step() uses accumulated gradients and skips variables without one", "[optim][step]") {
  auto w = var64({1.0, 2.0}, "w");
  auto unused = var64({5.0}, "unused");
  auto frozen = var64({7.0}, "frozen");
  frozen->trainable = false;
  Tensor loss = sum(square(w->value)) + sum(frozen->value);  // d/dw = 2w
  loss.backward();
  optim::SGD opt({.learning_rate = 0.25});
  opt.step({w, unused, frozen});
  CHECK(values(w) == std::vector<double>{0.5, 1.0});
  CHECK(values(unused) == std::vector<double>{5.0});
  CHECK(values(frozen) == std::vector<double>{7.0});  // not trainable: its gradient is ignored
  CHECK(opt.iterations() == 1);
  CHECK(opt.slots(unused).empty());
  // zero_grad drops the gradients; a step with none is Keras's error.
  opt.zero_grad({w, unused, frozen});
  CHECK_FALSE(w->value.grad().defined());
  REQUIRE_THROWS_WITH_ALL(opt.step({w, unused}), std::invalid_argument, "No gradients provided for any variable");
  CHECK(opt.iterations() == 1);
}

TEST_CASE("updates keep the autograd leaf and record nothing", "[optim][autograd]") {
  auto w = var64({1.0, -2.0, 3.0}, "w");
  TensorImpl* impl = w->value.impl();
  const void* buffer = w->value.raw_data();
  Tensor alias = w->value.detach();  // shares the buffer: sees the in-place updates
  optim::Adam opt({.learning_rate = 0.1});
  for (int i = 0; i < 3; ++i) {
    opt.zero_grad({w});
    sum(square(w->value)).backward();
    opt.step({w});
  }
  CHECK(w->value.impl() == impl);
  CHECK(w->value.raw_data() == buffer);
  CHECK(w->value.is_leaf());
  CHECK(w->value.requires_grad());
  CHECK(w->value.grad_fn() == nullptr);
  CHECK(alias.to_vector<double>() == values(w));
  CHECK(values(w)[0] < 1.0);
  // Gradients still flow into the same leaf after the updates.
  opt.zero_grad({w});
  sum(w->value).backward();
  CHECK(w->value.grad().to_vector<double>() == std::vector<double>{1.0, 1.0, 1.0});
}

TEST_CASE("float64 variables get float64 slots", "[optim][dtype]") {
  auto w = var64({1.0}, "w");
  optim::Adam opt;
  opt.apply({Tensor::ones(Shape{1}, DType::Float32)}, {w});  // gradients are cast to the variable's dtype
  const auto slots = opt.slots(w);
  REQUIRE(slots.size() == 2);
  CHECK(slots[0].first == "momentum");
  CHECK(slots[1].first == "velocity");
  CHECK(slots[0].second.dtype() == DType::Float64);
  // First Adam step with g = 1: m = 0.1, v = 0.001, alpha = lr * sqrt(0.001) / 0.1.
  CHECK(slots[0].second.item() == Approx(0.1));
  CHECK(slots[1].second.item() == Approx(0.001));
  CHECK(values(w)[0] == Approx(1.0 - 0.001 * std::sqrt(0.001) / 0.1 * 0.1 / (std::sqrt(0.001) + 1e-7)));
}

TEST_CASE("state export and import resume bit-identically", "[optim][state]") {
  const auto problem = test::OptimProblem::from_fixture(test::load_fixture("keras_optimizers.json")["problem"]);
  const std::vector<nlohmann::json> configs = {
      optim::SGD({.learning_rate = 0.05, .momentum = 0.9, .nesterov = true}).serialize(),
      optim::Adam({.learning_rate = 0.05, .amsgrad = true, .weight_decay = 0.1}).serialize(),
      optim::AdamW({.learning_rate = optim::CosineDecay(0.0, 10, 0.1, 0.1, 3)}).serialize(),
      optim::RMSprop({.learning_rate = 0.01, .momentum = 0.5, .centered = true, .clipnorm = 0.7}).serialize(),
      optim::Adagrad({.learning_rate = 0.1}).serialize(),
      optim::Adadelta({.learning_rate = 1.0}).serialize(),
      optim::Nadam({.learning_rate = 0.05, .global_clipnorm = 1.0}).serialize(),
  };
  for (const auto& config : configs) {
    INFO(config.dump());
    auto first = optim::from_config(config);
    auto w = test::OptimProblem::variable(problem.w0, "w");
    auto v = test::OptimProblem::variable(problem.v0, "v");
    v->constraint = constraints::Constraint(constraints::MaxNorm{0.9, {0}}).function();
    auto train = [&problem](optim::Optimizer& opt, const VariablePtr& a, const VariablePtr& b, int steps) {
      for (int i = 0; i < steps; ++i) {
        auto [ga, gb] = problem.gradients(a, b);
        opt.apply_gradients({{ga, a}, {gb, b}});
      }
    };
    train(*first, w, v, 7);
    const auto state = first->state();
    CHECK(state.front().first == "iterations");
    CHECK(state.front().second.item() == 7.0);

    // A fresh optimizer from the config, fresh variables with the checkpointed values.
    auto second = optim::from_config(first->serialize());
    auto w2 = test::OptimProblem::variable(w->value, "w");
    auto v2 = test::OptimProblem::variable(v->value, "v");
    v2->constraint = v->constraint;
    second->load_state(state, {w2, v2});
    CHECK(second->iterations() == 7);
    train(*first, w, v, 8);
    train(*second, w2, v2, 8);
    CHECK(bit_identical(w->value, w2->value));
    CHECK(bit_identical(v->value, v2->value));
    const auto s1 = first->state(), s2 = second->state();
    REQUIRE(s1.size() == s2.size());
    for (std::size_t i = 0; i < s1.size(); ++i) {
      INFO(s1[i].first);
      CHECK(s1[i].first == s2[i].first);
      CHECK(bit_identical(s1[i].second, s2[i].second));
    }
  }
}

TEST_CASE("state names slots by variable path", "[optim][state]") {
  auto w = var64({1.0}, "kernel");
  w->path = "dense/kernel";
  optim::Nadam opt({.learning_rate = 0.5});
  opt.apply({t64({1.0})}, {w});
  std::vector<std::string> keys;
  for (const auto& [k, _] : opt.state()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"iterations", "learning_rate", "u_product", "dense/kernel/momentum",
                                         "dense/kernel/velocity"});
  // Nadam's u_product after one step: beta_1 * (1 - 0.5 * 0.96).
  CHECK(opt.state()[2].second.item() == Approx(0.9 * (1 - 0.5 * 0.96)));
  // Exports are copies: training on does not change them.
  auto saved = opt.state();
  opt.apply({t64({1.0})}, {w});
  CHECK(saved[0].second.item() == 1.0);
  // set_learning_rate travels with the state.
  opt.set_learning_rate(0.125);
  auto other = optim::Nadam({.learning_rate = 0.5});
  other.load_state(opt.state(), {w});
  CHECK(other.learning_rate() == 0.125);
}

TEST_CASE("load_state errors leave the optimizer untouched", "[optim][state][errors]") {
  auto w = var64({1.0, 2.0}, "w");
  optim::Adam opt;
  opt.apply({t64({1.0, 1.0})}, {w});
  auto state = opt.state();
  auto fresh = optim::Adam();
  auto without = [&state](const std::string& key) {
    std::vector<std::pair<std::string, Tensor>> out;
    for (const auto& e : state)
      if (e.first != key) out.push_back(e);
    return out;
  };
  REQUIRE_THROWS_WITH_ALL(fresh.load_state(without("w/velocity"), {w}), std::invalid_argument, "Adam.load_state",
                          "no entry 'w/velocity'");
  REQUIRE_THROWS_WITH_ALL(fresh.load_state(without("iterations"), {w}), std::invalid_argument, "'iterations'");
  REQUIRE_THROWS_WITH_ALL(optim::Adam().load_state(state), std::invalid_argument, "'w/momentum'", "matches no slot");
  auto bad_shape = state;
  for (auto& [k, t] : bad_shape)
    if (k == "w/momentum") t = Tensor::zeros(Shape{3}, DType::Float64);
  REQUIRE_THROWS_WITH_ALL(fresh.load_state(bad_shape, {w}), std::invalid_argument, "'w/momentum'", "shape");
  CHECK(fresh.iterations() == 0);
  CHECK(fresh.slots(w)[0].second.to_vector<double>() == std::vector<double>{0.0, 0.0});
  auto scheduled = optim::Adam({.learning_rate = optim::ExponentialDecay(0.1, 2, 0.5)});
  REQUIRE_THROWS_WITH_ALL(scheduled.load_state(state, {w}), std::invalid_argument, "schedule");
}

TEST_CASE("optimizer configs round-trip and use Keras's names", "[optim][config]") {
  layers::clear_session();
  optim::RMSprop a;
  optim::RMSprop b;
  optim::AdamW c;
  CHECK(a.name() == "rm_sprop");
  CHECK(b.name() == "rm_sprop_1");
  CHECK(c.name() == "adam_w");
  auto sgd = optim::SGD({.learning_rate = 0.2, .momentum = 0.5, .nesterov = true, .weight_decay = 0.01,
                         .clipvalue = 3.0, .name = "s"});
  const auto config = sgd.get_config();
  CHECK(config["learning_rate"] == 0.2);
  CHECK(config["momentum"] == 0.5);
  CHECK(config["nesterov"] == true);
  CHECK(config["weight_decay"] == 0.01);
  CHECK(config["clipvalue"] == 3.0);
  CHECK(config["clipnorm"].is_null());
  CHECK(optim::SGD::from_config(config)->get_config() == config);
  auto adamw = optim::AdamW({.learning_rate = 0.01, .weight_decay = 0.3, .beta_1 = 0.7});
  CHECK(adamw.get_config()["weight_decay"] == 0.3);
  CHECK(adamw.get_config()["beta_1"] == 0.7);
  CHECK(optim::get(adamw.serialize())->get_config() == adamw.get_config());
}

TEST_CASE("optimizer errors", "[optim][errors]") {
  REQUIRE_THROWS_WITH_ALL(optim::get("adamax"), std::invalid_argument, "optimizer identifier", "'adamax'", "adam",
                          "rmsprop");
  REQUIRE_THROWS_WITH_ALL(optim::SGD({.clipnorm = 1.0, .clipvalue = 0.5}), std::invalid_argument,
                          "Only one of `clipnorm`, `clipvalue` and `global_clipnorm`", "clipnorm=1", "clipvalue=0.5",
                          "global_clipnorm=None");
  REQUIRE_THROWS_WITH_ALL(optim::Adam({.clipnorm = 1.0, .global_clipnorm = 1.0}), std::invalid_argument,
                          "Only one of");
  REQUIRE_THROWS_WITH_ALL(optim::Adam({.learning_rate = -0.1}), std::invalid_argument, "Adam", "learning_rate",
                          "learning_rate=-0.1");
  REQUIRE_THROWS_WITH_ALL(optim::SGD({.learning_rate = std::nan("")}), std::invalid_argument, "learning_rate");
  REQUIRE_THROWS_WITH_ALL(optim::SGD().set_learning_rate(-1.0), std::invalid_argument, "learning_rate=-1");
  REQUIRE_THROWS_WITH_ALL(optim::SGD({.momentum = 1.5}), std::invalid_argument, "SGD", "momentum", "momentum=1.5");
  REQUIRE_THROWS_WITH_ALL(optim::Adam({.beta_1 = 1.0}), std::invalid_argument, "Adam", "beta_1", "[0, 1)");
  REQUIRE_THROWS_WITH_ALL(optim::RMSprop({.rho = -0.1}), std::invalid_argument, "RMSprop", "rho");
  REQUIRE_THROWS_WITH_ALL(optim::Adagrad({.initial_accumulator_value = -1.0}), std::invalid_argument,
                          "initial_accumulator_value");
  REQUIRE_THROWS_WITH_ALL(optim::Adadelta({.epsilon = -1e-7}), std::invalid_argument, "Adadelta", "epsilon");
  REQUIRE_THROWS_WITH_ALL(optim::Nadam({.weight_decay = -0.1}), std::invalid_argument, "weight_decay=-0.1");
  REQUIRE_THROWS_WITH_ALL(optim::SGD({.clipnorm = -1.0}), std::invalid_argument, "clipnorm=-1");
  REQUIRE_THROWS_WITH_ALL(optim::AdamW::from_config({{"weight_decay", nullptr}}), std::invalid_argument, "AdamW",
                          "weight_decay");
  REQUIRE_THROWS_WITH_ALL(optim::from_config({{"class_name", "Adam"}, {"config", {{"use_ema", true}}}}),
                          std::invalid_argument, "use_ema", "not supported");
  REQUIRE_THROWS_WITH_ALL(optim::from_config({{"config", {}}}), std::invalid_argument, "class_name");
  REQUIRE_THROWS_WITH_ALL(optim::SGD({.learning_rate = optim::LearningRate::from_config("fast")}),
                          std::invalid_argument, "learning_rate", "\"fast\"");

  optim::SGD opt;
  auto w = var64({1.0, 2.0}, "w");
  REQUIRE_THROWS_WITH_ALL(opt.apply({t64({1.0})}, {w}), std::invalid_argument, "SGD.apply", "'w'", "(1,)", "(2,)");
  REQUIRE_THROWS_WITH_ALL(opt.apply({t64({1.0, 1.0})}, {w, w}), std::invalid_argument, "1 gradients for 2 variables");
  REQUIRE_THROWS_WITH_ALL(opt.apply({t64({1.0, 1.0}), t64({1.0, 1.0})}, {w, w}), std::invalid_argument, "'w'",
                          "twice");
  REQUIRE_THROWS_WITH_ALL(opt.apply({Tensor()}, {w}), std::invalid_argument, "No gradients provided");
  REQUIRE_THROWS_WITH_ALL(opt.apply({t64({1.0})}, {nullptr}), std::invalid_argument, "null");
  REQUIRE_THROWS_WITH_ALL(opt.exclude_from_weight_decay({}, {"(unclosed"}), std::invalid_argument,
                          "regular expression", "(unclosed");
  opt.apply({}, {});  // Keras: no gradients at all is a no-op
  CHECK(opt.iterations() == 0);
  CHECK(values(w) == std::vector<double>{1.0, 2.0});
}
