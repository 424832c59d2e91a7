// optim::Model (compile/fit/evaluate/predict), the Loss objects and the metrics. Expected values are
// hand calculations or manual training loops written here.
#include <regex>
#include <sstream>

#include "optim/model_support.h"

using namespace minidl;
using test::blobs_data;
using test::regression_data;
using test::regression_net;

namespace {

Tensor t2(std::vector<float> v, Shape s) { return Tensor::from_vector(v, s); }

// A pass-through layer recording the `training` flag of every call.
class Probe : public layers::Layer {
 public:
  Probe() : Layer("Probe", {}) {}
  Shape compute_output_shape(const Shape& s) const override { return s; }
  std::vector<bool> seen;

 protected:
  Tensor call(const Tensor& x, bool training) override {
    seen.push_back(training);
    return x;
  }
};

}  // namespace

// ---------------------------------------------------------------- losses

TEST_CASE("Loss objects: reductions and sample weights by hand") {
  const Tensor y_true = t2({1, 2, 3, 0, 0, 0}, {2, 3});
  const Tensor y_pred = t2({1, 1, 1, 1, 2, 3}, {2, 3});
  // per-sample MSE: (0 + 1 + 4) / 3 = 5/3 and (1 + 4 + 9) / 3 = 14/3.
  const double a = 5.0 / 3.0, b = 14.0 / 3.0;
  optim::MeanSquaredError mse;
  CHECK(mse.name() == "mean_squared_error");
  CHECK(mse(y_true, y_pred).item() == Approx((a + b) / 2).epsilon(1e-6));
  CHECK(optim::MeanSquaredError({.reduction = "sum"})(y_true, y_pred).item() == Approx(a + b).epsilon(1e-6));
  const Tensor none = optim::MeanSquaredError({.reduction = "none"})(y_true, y_pred);
  REQUIRE(none.shape() == Shape{2});
  CHECK(none.to_vector<double>()[1] == Approx(b).epsilon(1e-6));
  const Tensor w = t2({1, 2}, {2});
  CHECK(mse(y_true, y_pred, w).item() == Approx((a + 2 * b) / 2).epsilon(1e-6));  // still / number of elements
  CHECK(mse(y_true, y_pred, t2({1, 2}, {2, 1})).item() == Approx((a + 2 * b) / 2).epsilon(1e-6));  // (n, 1) squeezed
  CHECK(optim::MeanSquaredError({.reduction = "mean_with_sample_weight"})(y_true, y_pred, w).item() ==
        Approx((a + 2 * b) / 3).epsilon(1e-6));
  // MAE: (0 + 1 + 2) / 3 = 1 and (1 + 2 + 3) / 3 = 2.
  CHECK(optim::get_loss("mae")(y_true, y_pred).item() == Approx(1.5).epsilon(1e-6));

  // BCE with logits: softplus(z) - t z averaged over the last axis.
  const Tensor logits = t2({0.5f, -1.0f}, {2, 1}), labels = t2({1, 0}, {2, 1});
  const double l0 = std::log1p(std::exp(0.5)) - 0.5, l1 = std::log1p(std::exp(-1.0));
  CHECK(optim::BinaryCrossentropy({.from_logits = true})(labels, logits).item() == Approx((l0 + l1) / 2).epsilon(1e-6));
  // Sparse CE on probabilities: -log p[label].
  const Tensor probs = t2({0.7f, 0.2f, 0.1f, 0.1f, 0.1f, 0.8f}, {2, 3});
  CHECK(optim::get_loss("sparse_categorical_crossentropy")(t2({0, 2}, {2}), probs).item() ==
        Approx(-(std::log(0.7) + std::log(0.8)) / 2).epsilon(1e-6));
  CHECK(optim::get_loss("categorical_crossentropy")(t2({1, 0, 0, 0, 0, 1}, {2, 3}), probs).item() ==
        Approx(-(std::log(0.7) + std::log(0.8)) / 2).epsilon(1e-6));
  // ignore_class: Keras masks the ignored samples, so the mean runs over the valid ones only.
  {
    const Tensor p3 = t2({0.7f, 0.2f, 0.1f, 0.1f, 0.1f, 0.8f, 0.3f, 0.6f, 0.1f}, {3, 3});
    const Tensor ids = t2({0, 2, 1}, {3});
    const double l0 = -std::log(0.7), l2 = -std::log(0.6);
    const optim::SparseCategoricalCrossentropy ignore2({.ignore_class = 2});
    CHECK(ignore2(ids, p3).item() == Approx((l0 + l2) / 2).epsilon(1e-6));
    CHECK(ignore2(t2({0, 2, 1}, {3, 1}), p3).item() == Approx((l0 + l2) / 2).epsilon(1e-6));
    const Tensor sw = t2({1, 3, 2}, {3});
    CHECK(ignore2(ids, p3, sw).item() == Approx((l0 + 2 * l2) / 2).epsilon(1e-6));
    CHECK(optim::SparseCategoricalCrossentropy({.ignore_class = 2, .reduction = "sum"})(ids, p3).item() ==
          Approx(l0 + l2).epsilon(1e-6));
    CHECK(optim::SparseCategoricalCrossentropy({.ignore_class = 2, .reduction = "mean_with_sample_weight"})(ids, p3, sw)
              .item() == Approx((l0 + 2 * l2) / 3).epsilon(1e-6));
    CHECK(ignore2(t2({2, 2, 2}, {3}), p3).item() == 0.0);  // nothing valid: 0, not NaN
    // Through from_config too.
    CHECK(optim::Loss::from_config(ignore2.serialize())(ids, p3).item() == Approx((l0 + l2) / 2).epsilon(1e-6));
  }
  // A user function: per-sample values, reduced like Keras.
  optim::Loss custom([](const Tensor& t, const Tensor& p) { return sum(abs(t - p), {-1}); });
  CHECK(custom(y_true, y_pred).item() == Approx((3.0 + 6.0) / 2).epsilon(1e-6));
}

TEST_CASE("Loss objects: identifiers, configs and errors") {
  CHECK(optim::Loss("mse").class_name() == "MeanSquaredError");
  CHECK(optim::Loss("mse").identifier() == "mse");
  CHECK(optim::Loss("BinaryCrossentropy").name() == "binary_crossentropy");
  const auto bce = optim::BinaryCrossentropy({.from_logits = true, .label_smoothing = 0.1});
  const auto config = bce.get_config();
  CHECK(config["from_logits"] == true);
  CHECK(config["label_smoothing"] == 0.1);
  CHECK(config["reduction"] == "sum_over_batch_size");
  const auto back = optim::Loss::from_config(bce.serialize());
  CHECK(back.get_config() == config);
  REQUIRE_THROWS_WITH_ALL(optim::Loss("hinge_of_doom"), std::invalid_argument, "Could not interpret loss identifier",
                          "hinge_of_doom");
  REQUIRE_THROWS_WITH_ALL(optim::MeanSquaredError({.reduction = "avg"}), std::invalid_argument, "reduction",
                          "sum_over_batch_size", "avg");
}

// ---------------------------------------------------------------- metrics

TEST_CASE("metrics: running means by hand") {
  metrics::BinaryAccuracy acc;
  acc.update_state(t2({1, 0, 1, 0}, {4, 1}), t2({0.6f, 0.4f, 0.3f, 0.7f}, {4, 1}));  // 2 of 4 right
  CHECK(acc.result() == 0.5);
  acc.update_state(t2({1, 1}, {2, 1}), t2({0.9f, 0.8f}, {2, 1}));  // 2 of 2
  CHECK(acc.result() == Approx(4.0 / 6.0));
  acc.reset_state();
  CHECK(acc.result() == 0.0);

  metrics::SparseCategoricalAccuracy sparse;
  sparse.update_state(t2({0, 2, 1}, {3, 1}), t2({0.5f, 0.3f, 0.2f, 0.1f, 0.1f, 0.8f, 0.6f, 0.3f, 0.1f}, {3, 3}));
  CHECK(sparse.result() == Approx(2.0 / 3.0));
  metrics::CategoricalAccuracy cat;
  cat.update_state(t2({0, 1, 1, 0}, {2, 2}), t2({0.2f, 0.8f, 0.1f, 0.9f}, {2, 2}), t2({1, 3}, {2}));
  CHECK(cat.result() == Approx(1.0 / 4.0));  // weights 1 (right) and 3 (wrong)

  metrics::MeanAbsoluteError mae;  // per sample: mean |d| over the last axis, then the mean over samples
  mae.update_state(t2({0, 0, 1, 1}, {2, 2}), t2({1, 3, 1, 2}, {2, 2}));
  CHECK(mae.result() == Approx((2.0 + 0.5) / 2));
  CHECK(mae.direction() == "down");
  CHECK(acc.direction() == "up");
}

TEST_CASE("metrics: accuracy resolves by the loss, then by shapes, as Keras") {
  using metrics::resolve_accuracy;
  CHECK(resolve_accuracy("accuracy", "binary_crossentropy", {4, 3}, {4, 3})->class_name() == "BinaryAccuracy");
  CHECK(resolve_accuracy("acc", "sparse_categorical_crossentropy", {4}, {4, 3})->class_name() ==
        "SparseCategoricalAccuracy");
  CHECK(resolve_accuracy("accuracy", "categorical_crossentropy", {4, 3}, {4, 3})->class_name() == "CategoricalAccuracy");
  CHECK(resolve_accuracy("accuracy", "", {4, 1}, {4, 1})->class_name() == "BinaryAccuracy");
  CHECK(resolve_accuracy("accuracy", "", {4}, {4, 3})->class_name() == "SparseCategoricalAccuracy");
  CHECK(resolve_accuracy("accuracy", "", {4, 3}, {4, 3})->class_name() == "CategoricalAccuracy");
  CHECK(resolve_accuracy("acc", "", {4, 3}, {4, 3})->name() == "acc");
  CHECK(metrics::get_metric("mae")->name() == "mae");
  REQUIRE_THROWS_WITH_ALL(metrics::get_metric("f1_of_doom"), std::invalid_argument, "metric identifier", "f1_of_doom");
}

// ---------------------------------------------------------------- fit

TEST_CASE("fit: a small regression reaches a low loss") {
  layers::clear_session();
  auto [x, y] = regression_data(256);
  optim::Model model(regression_net());
  model.compile({.optimizer = optim::Adam({.learning_rate = 0.02}), .loss = "mse", .metrics = {"mae"}});
  const auto history = model.fit(x, y, {.batch_size = 32, .epochs = 40, .verbose = 0, .seed = 1});
  REQUIRE(history["loss"].size() == 40);
  REQUIRE(history["mae"].size() == 40);
  INFO("first loss " << history["loss"].front() << ", last " << history["loss"].back());
  // The targets' variance is about 1.75; a linear fit leaves only the 0.01 noise.
  CHECK(history["loss"].back() < 0.01);
  CHECK(history["loss"].back() < history["loss"].front() / 20);
  CHECK(model.evaluate(x, y, {.verbose = 0}).at("loss") < 0.01);
}

TEST_CASE("fit: a small classification with softmax and sparse_categorical_crossentropy") {
  layers::clear_session();
  auto [x, y] = blobs_data(150);
  auto net = std::make_shared<layers::Sequential>(layers::SequentialOptions{.input_shape = Shape{2}});
  net->add(layers::Dense({.units = 16, .activation = "relu", .kernel_initializer = initializers::GlorotUniform{.seed = 5}}));
  net->add(layers::Dense({.units = 3, .activation = "softmax", .kernel_initializer = initializers::GlorotUniform{.seed = 6}}));
  optim::Model model(net);
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  const auto history = model.fit(x, y, {.batch_size = 16, .epochs = 60, .verbose = 0, .seed = 2});
  REQUIRE(model.metrics().size() == 1);
  CHECK(model.metrics()[0]->class_name() == "SparseCategoricalAccuracy");
  INFO("loss " << history["loss"].back() << ", accuracy " << history["accuracy"].back());
  CHECK(history["loss"].back() < 0.2);
  CHECK(history["accuracy"].back() > 0.95);
}

TEST_CASE("fit: History equals a manual loop with the same optimizer and batches") {
  auto [x, y] = regression_data(30);
  layers::clear_session();
  optim::Model model(regression_net(1, /*l2=*/true));
  model.compile({.optimizer = optim::SGD({.learning_rate = 0.05, .momentum = 0.9}), .loss = "mse", .metrics = {"mae"}});
  const int epochs = 3;
  const auto history =
      model.fit(x, y, {.batch_size = 8, .epochs = epochs, .verbose = 0, .validation_split = 0.2, .seed = 11});

  // The manual loop: validation is the LAST 20% (6 samples), training shuffles the first 24.
  layers::clear_session();
  auto net = regression_net(1, true);
  optim::SGD opt({.learning_rate = 0.05, .momentum = 0.9});
  std::vector<std::int64_t> train_idx, val_idx;
  for (std::int64_t i = 0; i < 30; ++i) (i < 24 ? train_idx : val_idx).push_back(i);
  const Tensor xt = io::gather_rows(x, train_idx), yt = io::gather_rows(y, train_idx);
  const Tensor xv = io::gather_rows(x, val_idx), yv = io::gather_rows(y, val_idx);
  auto objective = [&](const Tensor& yb, const Tensor& pred) {
    Tensor loss = optim::MeanSquaredError()(yb, pred);
    Tensor reg;
    for (const auto& r : net->losses()) reg = reg.defined() ? reg + r : r;
    return loss + reg;
  };
  for (int epoch = 0; epoch < epochs; ++epoch) {
    Generator gen(optim::fit_epoch_seed(11, epoch));
    double total = 0, count = 0, mae_total = 0, mae_count = 0;
    for (const auto& idx : io::make_batches(24, 8, true, gen)) {
      const Tensor xb = io::gather_rows(xt, idx), yb = io::gather_rows(yt, idx);
      const auto vars = net->trainable_weights();
      for (auto& v : vars) v->value.zero_grad();
      const Tensor pred = (*net)(xb, true);
      const Tensor loss = objective(yb, pred);
      loss.backward();
      opt.step(vars);
      total += loss.item() * static_cast<double>(idx.size());
      count += static_cast<double>(idx.size());
      const auto p = pred.to_vector<double>(), t = yb.to_vector<double>();
      for (std::size_t i = 0; i < p.size(); ++i) {
        mae_total += std::abs(t[i] - p[i]);
        mae_count += 1;
      }
    }
    CHECK(history["loss"][epoch] == total / count);
    CHECK(history["mae"][epoch] == Approx(mae_total / mae_count).epsilon(1e-12));
    // Validation after the epoch: batch-size weighted mean of the batch losses (batches 6).
    NoGradGuard no_grad;
    const Tensor vpred = (*net)(xv, false);
    CHECK(history["val_loss"][epoch] == objective(yv, vpred).item());
  }
  CHECK(test::same_values(model.get_weights(), net->get_weights()));
  CHECK(history.epoch == std::vector<int>{0, 1, 2});
  // The L2 penalty the objective added is the hand formula 0.01 * sum(kernel^2).
  const auto k = net->weights()[0]->value.to_vector<double>();
  double l2 = 0;
  for (double v : k) l2 += 0.01 * v * v;
  REQUIRE(net->losses().size() == 1);
  CHECK(net->losses()[0].item() == Approx(l2).epsilon(1e-5));
}

TEST_CASE("fit: same seeds give the same losses, other seeds other batches") {
  auto [x, y] = regression_data(64);
  auto run = [&](std::uint64_t seed) {
    layers::clear_session();
    optim::Model model(regression_net());
    model.compile({.optimizer = "adam", .loss = "mse"});
    return model.fit(x, y, {.batch_size = 10, .epochs = 3, .verbose = 0, .seed = seed})["loss"];
  };
  CHECK(run(5) == run(5));
  CHECK(run(5) != run(6));
}

TEST_CASE("evaluate: the mean of the batch losses weighted by batch size") {
  layers::clear_session();
  auto [x, y] = regression_data(20);
  auto net = regression_net();
  optim::Model model(net);
  model.compile({.optimizer = "sgd", .loss = "mse", .metrics = {"mae"}});
  const auto logs = model.evaluate(x, y, {.batch_size = 7, .verbose = 0});  // batches of 7, 7, 6
  double total = 0, unweighted = 0;
  for (std::int64_t start : {0, 7, 14}) {
    std::vector<std::int64_t> idx;
    for (std::int64_t i = start; i < std::min<std::int64_t>(20, start + 7); ++i) idx.push_back(i);
    NoGradGuard no_grad;
    const double l = optim::MeanSquaredError()(io::gather_rows(y, idx), (*net)(io::gather_rows(x, idx))).item();
    total += l * static_cast<double>(idx.size());
    unweighted += l / 3;
  }
  CHECK(logs.at("loss") == total / 20);
  CHECK(logs.at("loss") != unweighted);
  REQUIRE(logs.count("mae") == 1);
  const auto single = model.test_on_batch(x, y);
  // Float32 rounding: GEMMs over batches of 7 and of 20 may round differently (OpenBLAS's kernels).
  CHECK(single.at("mae") == Approx(logs.at("mae")).epsilon(1e-6));
}

TEST_CASE("predict: batched, no graph, equal to calling the layer") {
  layers::clear_session();
  auto net = std::make_shared<layers::Sequential>(layers::SequentialOptions{.input_shape = Shape{3}});
  net->add(layers::Dense({.units = 5, .activation = "tanh", .kernel_initializer = initializers::GlorotUniform{.seed = 1}}));
  net->add(layers::Dropout({.rate = 0.5, .seed = 3}));
  net->add(layers::Dense({.units = 2, .kernel_initializer = initializers::GlorotUniform{.seed = 2}}));
  optim::Model model(net);
  auto [x, y] = regression_data(50);
  const Tensor out = model.predict(x, {.batch_size = 16});
  CHECK(out.grad_fn() == nullptr);
  CHECK_FALSE(out.requires_grad());
  REQUIRE(out.shape() == Shape{50, 2});
  const Tensor direct = (*net)(x, false);
  CHECK(direct.grad_fn() != nullptr);  // outside predict the tape records
  REQUIRE_CLOSE(out, direct.detach(), 1e-6, 1e-6);
}

TEST_CASE("fit calls the layers with training=true, evaluate and predict with false") {
  layers::clear_session();
  auto probe = std::make_shared<Probe>();
  auto net = std::make_shared<layers::Sequential>(layers::SequentialOptions{.input_shape = Shape{3}});
  net->add(layers::Dense({.units = 1}));
  net->add(probe);
  optim::Model model(net);
  model.compile({.optimizer = "sgd", .loss = "mse"});
  auto [x, y] = regression_data(12);
  model.fit(x, y, {.batch_size = 4, .epochs = 1, .verbose = 0, .seed = 0});
  CHECK(probe->seen == std::vector<bool>(3, true));
  probe->seen.clear();
  model.evaluate(x, y, {.batch_size = 6, .verbose = 0});
  model.predict(x);
  CHECK(probe->seen == std::vector<bool>(3, false));
}

TEST_CASE("train_on_batch: the first step of an unbuilt model updates the weights it creates") {
  // No input_shape: the Dense builds inside the first training call, whose step must still apply.
  optim::Model model(layers::Dense({.units = 1, .kernel_initializer = "zeros"}));
  model.compile({.optimizer = optim::SGD({.learning_rate = 0.1}), .loss = "mse"});
  model.train_on_batch(t2({1, 2, 3}, {1, 3}), t2({1}, {1, 1}));
  // pred 0, d(loss)/d(pred) = 2 (0 - 1) = -2: w = 0 - 0.1 * (-2) * x, b = 0.2.
  CHECK(model.optimizer().iterations() == 1);
  const auto w = model.get_weights();
  CHECK_THAT(w[0].to_vector<double>(), Catch::Matchers::Approx(std::vector<double>{0.2, 0.4, 0.6}).epsilon(1e-6));
  CHECK(w[1].to_vector<double>()[0] == Approx(0.2).epsilon(1e-6));
  // fit on an unbuilt model: one step per batch from the first one on.
  optim::Model fitted(layers::Dense({.units = 1}));
  fitted.compile({.optimizer = "sgd", .loss = "mse"});
  fitted.fit(t2({1, 2, 3, 4, 5, 6}, {2, 3}), t2({1, 0}, {2, 1}), {.batch_size = 1, .epochs = 2, .verbose = 0});
  CHECK(fitted.optimizer().iterations() == 4);
}

TEST_CASE("train_on_batch: one optimizer step on the objective") {
  layers::clear_session();
  auto [x, y] = regression_data(8);
  optim::Model model(regression_net());
  model.compile({.optimizer = optim::SGD({.learning_rate = 0.1}), .loss = "mse"});
  layers::clear_session();
  auto net = regression_net();
  const auto vars = net->trainable_weights();
  const Tensor loss = optim::MeanSquaredError()(y, (*net)(x, true));
  loss.backward();
  optim::SGD({.learning_rate = 0.1}).step(vars);
  const auto logs = model.train_on_batch(x, y);
  CHECK(logs.at("loss") == loss.item());
  CHECK(test::same_values(model.get_weights(), net->get_weights()));
  CHECK(model.optimizer().iterations() == 1);
}

// ---------------------------------------------------------------- progress output

TEST_CASE("progress bar: Keras's formatting pieces") {
  using optim::Progbar;
  CHECK(Progbar::format_value(0.27314) == "0.2731");
  CHECK(Progbar::format_value(-1.5) == "-1.5000");
  CHECK(Progbar::format_value(0.0001234) == "1.2340e-04");
  CHECK(Progbar::format_time_per_unit(0.008) == "8ms/step");
  CHECK(Progbar::format_time_per_unit(2.4) == "2s/step");
  CHECK(Progbar::format_time_per_unit(0.0000452) == "45us/step");
  CHECK(Progbar::format_eta(3725) == "1:02:05");
  CHECK(Progbar::format_eta(75) == "1:15");
  CHECK(Progbar::format_eta(3) == "3s");
}

TEST_CASE("progress bar: fit's lines when the output is not a terminal") {
  auto [x, y] = regression_data(30);
  auto run = [&](int verbose, int epochs) {
    layers::clear_session();
    optim::Model model(regression_net());
    model.compile({.optimizer = "sgd", .loss = "mse", .metrics = {"mae"}});
    std::ostringstream out;
    model.fit(x, y, {.batch_size = 8, .epochs = epochs, .verbose = verbose, .validation_split = 0.2, .seed = 0,
                     .output = &out});
    return out.str();
  };
  const std::string v1 = run(1, 2);
  const std::regex line1(
      "Epoch 1/2\n3/3 ━━━━━━━━━━━━━━━━━━━━ \\d+s \\d+(s|ms|us)/step - loss: \\d+\\.\\d{4} - mae: \\d+\\.\\d{4} - "
      "val_loss: \\d+\\.\\d{4} - val_mae: \\d+\\.\\d{4}\nEpoch 2/2\n3/3 ━━━━━━━━━━━━━━━━━━━━ .*\n");
  INFO(v1);
  CHECK(std::regex_match(v1, line1));
  CHECK(v1.find('\r') == std::string::npos);
  CHECK(v1.find("\x1b[") == std::string::npos);
  const std::string v2 = run(2, 1);  // one epoch: no "Epoch" header, as Keras
  INFO(v2);
  CHECK(std::regex_match(v2, std::regex("3/3 - \\d+s - \\d+(s|ms|us)/step - loss: \\d+\\.\\d{4} - mae: .* - val_mae: "
                                        "\\d+\\.\\d{4}\n")));
  CHECK(run(0, 2).empty());
}

TEST_CASE("progress bar: a terminal line is redrawn in place with colours") {
  std::ostringstream out;
  optim::Progbar bar(10, 1, out, /*dynamic=*/true, 20, /*interval=*/0.0);
  bar.update(3, {{"loss", 0.5}});
  bar.update(10, {{"loss", 0.25}}, /*finalize=*/true);
  const std::string s = out.str();
  INFO(s);
  CHECK(s.rfind("\r\x1b[1m 3/10\x1b[0m \x1b[32m━━━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━\x1b[0m", 0) == 0);
  CHECK(s.find(" - loss: 0.5000") != std::string::npos);
  CHECK(s.find("\r\x1b[1m10/10\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m") != std::string::npos);
  CHECK(s.back() == '\n');
}

// ---------------------------------------------------------------- errors

TEST_CASE("Model: errors name the argument and the value") {
  layers::clear_session();
  auto [x, y] = regression_data(10);
  optim::Model model(regression_net());
  REQUIRE_THROWS_WITH_ALL(model.fit(x, y), std::invalid_argument, "compile()");
  // Names the call that needs it (Keras 3's wording), not "training" for evaluate.
  REQUIRE_THROWS_WITH_ALL(model.evaluate(x, y, {.verbose = 0}), std::invalid_argument,
                          "Model.evaluate: you must call `compile()` before calling `evaluate()`");
  REQUIRE_THROWS_WITH_ALL(model.compile({.optimizer = "adamax_of_doom"}), std::invalid_argument, "adamax_of_doom");
  REQUIRE_THROWS_WITH_ALL(model.compile({.optimizer = "adam", .loss = "mse", .metrics = {"f1_of_doom"}}),
                          std::invalid_argument, "f1_of_doom");
  model.compile({.optimizer = "adam", .loss = "mse"});
  REQUIRE_THROWS_WITH_ALL(model.fit(x, io::gather_rows(y, {0, 1, 2}), {.verbose = 0}), std::invalid_argument,
                          "same number of samples", "(10, 3)", "(3, 1)");
  REQUIRE_THROWS_WITH_ALL(model.fit(x, y, {.verbose = 0, .validation_split = 1.0}), std::invalid_argument,
                          "validation_split", "[0, 1)");
  REQUIRE_THROWS_WITH_ALL(model.fit(x, y, {.verbose = 0, .validation_split = 0.95}), std::invalid_argument,
                          "validation_split=0.95", "leaves 0 training and 10 validation samples");
  REQUIRE_THROWS_WITH_ALL(model.fit(x, y, {.batch_size = 0, .verbose = 0}), std::invalid_argument, "batch_size");
  optim::Model no_loss(regression_net());
  no_loss.compile({.optimizer = "adam"});
  REQUIRE_THROWS_WITH_ALL(no_loss.fit(x, y, {.verbose = 0}), std::invalid_argument, "no loss");
  optim::Model none_reduction(regression_net());
  none_reduction.compile({.optimizer = "adam", .loss = optim::MeanSquaredError({.reduction = "none"})});
  REQUIRE_THROWS_WITH_ALL(none_reduction.fit(x, y, {.verbose = 0}), std::invalid_argument, "reduction='none'",
                          "scalar");
}

TEST_CASE("compile: a callable loss and metric objects by value") {
  layers::clear_session();
  auto [x, y] = regression_data(10);
  auto net = regression_net();
  optim::Model model(net);
  model.compile({.optimizer = std::make_shared<optim::SGD>(),
                 .loss = [](const Tensor& t, const Tensor& p) { return mean(abs(t - p), {-1}); },
                 .metrics = {metrics::BinaryAccuracy({.threshold = 0.3, .name = "over_0.3"}), "mse"}});
  const auto logs = model.evaluate(x, y, {.batch_size = 10, .verbose = 0});
  NoGradGuard no_grad;
  const auto p = (*net)(x).to_vector<double>(), t = y.to_vector<double>();
  double mae = 0, mse = 0, over = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    mae += std::abs(t[i] - p[i]) / 10;
    mse += (t[i] - p[i]) * (t[i] - p[i]) / 10;
    over += (t[i] == (p[i] > 0.3 ? 1.0 : 0.0)) / 10.0;
  }
  CHECK(logs.at("loss") == Approx(mae).epsilon(1e-6));
  CHECK(logs.at("mse") == Approx(mse).epsilon(1e-6));
  CHECK(logs.at("over_0.3") == Approx(over).epsilon(1e-12));
  CHECK(model.compile_config()["loss"]["class_name"] == "Custom");
}
