// optim callbacks: EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, CSVLogger, TerminateOnNaN,
// LambdaCallback. Monitored values are crafted with a LambdaCallback so every expected epoch is a
// hand calculation of Keras's rules.
#include <fstream>
#include <sstream>

#include "optim/model_support.h"

using namespace minidl;
using test::regression_data;
using test::regression_net;

namespace {

// Writes logs["score"] = values[epoch] at the end of each epoch (before the callbacks after it).
optim::LambdaCallback scripted_score(std::vector<double> values) {
  return optim::LambdaCallback({.on_epoch_end = [values](int epoch, optim::Logs& logs) {
    logs["score"] = values.at(static_cast<std::size_t>(epoch));
  }});
}

optim::Model compiled_model(const char* optimizer = "sgd") {
  layers::clear_session();
  optim::Model model(regression_net());
  model.compile({.optimizer = optimizer, .loss = "mse"});
  return model;
}

}  // namespace

TEST_CASE("EarlyStopping: stops after `patience` epochs without improvement and restores the best weights") {
  auto [x, y] = regression_data(16);
  optim::Model model = compiled_model();
  std::vector<std::vector<Tensor>> weights_at_end;  // after each epoch
  auto recorder = optim::LambdaCallback(
      {.on_epoch_end = [&](int, optim::Logs&) { weights_at_end.push_back(model.get_weights()); }});
  auto stopper = std::make_shared<optim::EarlyStopping>(
      optim::EarlyStoppingOptions{.monitor = "score", .patience = 2, .mode = "min", .restore_best_weights = true});
  // Epoch 0: 5 (best), 1: 4 (best), 2: 4.5 (wait 1), 3: 4.2 (wait 2 -> stop).
  const auto history = model.fit(x, y, {.batch_size = 4, .epochs = 10, .verbose = 0,
                                        .callbacks = {scripted_score({5, 4, 4.5, 4.2, 1, 1, 1, 1, 1, 1}), std::move(recorder), stopper},
                                        .seed = 0});
  CHECK(history.epoch == std::vector<int>{0, 1, 2, 3});
  CHECK(stopper->stopped_epoch() == 3);
  CHECK(stopper->best_epoch() == 1);
  CHECK(stopper->best() == 4.0);
  REQUIRE(weights_at_end.size() == 4);
  CHECK(test::same_values(model.get_weights(), weights_at_end[1]));
  CHECK_FALSE(test::same_values(model.get_weights(), weights_at_end[3]));
}

TEST_CASE("EarlyStopping: min_delta, start_from_epoch and mode resolution") {
  auto [x, y] = regression_data(8);
  {  // min_delta 0.6: 5 -> 4.5 is no improvement; stop at epoch 1 with patience 1.
    optim::Model model = compiled_model();
    auto stopper = std::make_shared<optim::EarlyStopping>(
        optim::EarlyStoppingOptions{.monitor = "score", .min_delta = 0.6, .patience = 1, .mode = "min"});
    const auto h = model.fit(x, y, {.batch_size = 4, .epochs = 5, .verbose = 0,
                                    .callbacks = {scripted_score({5, 4.5, 3, 2, 1}), stopper}, .seed = 0});
    CHECK(h.epoch.size() == 2);
    CHECK(stopper->stopped_epoch() == 1);
  }
  {  // mode max; epochs before start_from_epoch are ignored.
    optim::Model model = compiled_model();
    auto stopper = std::make_shared<optim::EarlyStopping>(
        optim::EarlyStoppingOptions{.monitor = "score", .patience = 1, .mode = "max", .start_from_epoch = 2});
    const auto h = model.fit(x, y, {.batch_size = 4, .epochs = 6, .verbose = 0,
                                    .callbacks = {scripted_score({9, 0, 1, 2, 1, 0}), stopper}, .seed = 0});
    // Epoch 2: 1 (best), 3: 2 (best), 4: 1 -> wait 1 >= patience: stop at 4.
    CHECK(h.epoch.size() == 5);
    CHECK(stopper->best() == 2.0);
  }
  {  // "auto": loss is minimised; an unknown metric needs an explicit mode, as Keras 3.
    optim::Model model = compiled_model();
    REQUIRE_THROWS_WITH_ALL(model.fit(x, y, {.verbose = 0,
                                             .callbacks = {scripted_score({1}),
                                                           optim::EarlyStopping({.monitor = "score"})}}),
                            std::invalid_argument, "monitor=score", "mode='max'");
    auto stopper = std::make_shared<optim::EarlyStopping>(optim::EarlyStoppingOptions{.monitor = "loss"});
    model.fit(x, y, {.batch_size = 4, .epochs = 2, .verbose = 0, .callbacks = {stopper}, .seed = 0});
    CHECK(stopper->best() < 1e300);
  }
  REQUIRE_THROWS_WITH_ALL(optim::EarlyStopping({.mode = "biggest"}), std::invalid_argument, "mode", "biggest");
}

TEST_CASE("ModelCheckpoint: save_best_only writes only on improvement, with the formatted name") {
  test::TempDir dir("checkpoint");
  auto [x, y] = regression_data(16);
  optim::Model model = compiled_model();
  std::vector<std::vector<Tensor>> weights_at_end;
  auto recorder = optim::LambdaCallback(
      {.on_epoch_end = [&](int, optim::Logs&) { weights_at_end.push_back(model.get_weights()); }});
  const std::string pattern = (dir / "ckpt-{epoch:02d}-{score:.2f}.safetensors").string();
  model.fit(x, y, {.batch_size = 4, .epochs = 4, .verbose = 0,
                   .callbacks = {scripted_score({3, 2, 2.5, 1}), std::move(recorder),
                                 optim::ModelCheckpoint(pattern, {.monitor = "score", .save_best_only = true,
                                                                  .save_weights_only = true})},
                   .seed = 0});
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  CHECK(files == std::vector<std::string>{"ckpt-01-3.00.safetensors", "ckpt-02-2.00.safetensors",
                                          "ckpt-04-1.00.safetensors"});
  model.load_weights(dir / "ckpt-02-2.00.safetensors");
  CHECK(test::same_values(model.get_weights(), weights_at_end[1]));
}

TEST_CASE("ModelCheckpoint: every epoch without save_best_only, and Python-style file names") {
  CHECK(optim::format_filepath("w-{epoch:02d}-{val_loss:.2f}.st", 3, {{"val_loss", 0.12345}}) == "w-03-0.12.st");
  CHECK(optim::format_filepath("{{epoch}}-{epoch}", 12, {}) == "{epoch}-12");
  REQUIRE_THROWS_WITH_ALL(optim::format_filepath("m-{val_acc:.2f}", 1, {{"loss", 1.0}}), std::invalid_argument,
                          "m-{val_acc:.2f}", "epoch, loss");
  test::TempDir dir("checkpoint_all");
  auto [x, y] = regression_data(16);
  optim::Model model = compiled_model();
  model.fit(x, y, {.batch_size = 8, .epochs = 3, .verbose = 0,
                   .callbacks = {optim::ModelCheckpoint((dir / "m{epoch}.safetensors").string())}, .seed = 0});
  for (const char* name : {"m1.safetensors", "m2.safetensors", "m3.safetensors"})
    CHECK(std::filesystem::exists(dir / name));
  // Full saves (not weights only) load back as models.
  optim::Model loaded = optim::load_model(dir / "m3.safetensors");
  CHECK(test::same_values(loaded.get_weights(), model.get_weights()));
}

TEST_CASE("ReduceLROnPlateau: multiplies the learning rate by factor after patience epochs, down to min_lr") {
  auto [x, y] = regression_data(8);
  layers::clear_session();
  optim::Model model(regression_net());
  model.compile({.optimizer = optim::SGD({.learning_rate = 0.1}), .loss = "mse"});
  // A constant score: epoch 0 improves (from inf), then waits 1, 2 -> reduce at epoch 2 and 4, 6.
  const auto h = model.fit(
      x, y, {.batch_size = 8, .epochs = 7, .verbose = 0,
             .callbacks = {scripted_score(std::vector<double>(7, 1.0)),
                           optim::ReduceLROnPlateau({.monitor = "score", .factor = 0.5, .patience = 2, .min_lr = 0.02})},
             .seed = 0});
  // History sees the rate in use during each epoch (logged before the reduction).
  const std::vector<double> expected{0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025};
  REQUIRE(h["learning_rate"].size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) CHECK(h["learning_rate"][i] == Approx(expected[i]).epsilon(1e-15));
  CHECK(model.optimizer().learning_rate() == Approx(0.02).epsilon(1e-15));  // max(0.0125, min_lr)
  REQUIRE_THROWS_WITH_ALL(optim::ReduceLROnPlateau({.factor = 1.0}), std::invalid_argument, "factor >= 1.0");
}

TEST_CASE("ReduceLROnPlateau: cooldown pauses the wait") {
  auto [x, y] = regression_data(8);
  layers::clear_session();
  optim::Model model(regression_net());
  model.compile({.optimizer = optim::SGD({.learning_rate = 1.0}), .loss = "mse"});
  // patience 1, cooldown 2: reduce at epoch 1 (counter 2); epoch 2 counts down to 1 and does nothing;
  // epoch 3 counts down to 0, is out of cooldown and waits 1 -> reduce again; epoch 5 likewise.
  const auto h = model.fit(
      x, y, {.batch_size = 8, .epochs = 6, .verbose = 0,
             .callbacks = {scripted_score(std::vector<double>(6, 1.0)),
                           optim::ReduceLROnPlateau({.monitor = "score", .factor = 0.5, .patience = 1, .cooldown = 2})},
             .seed = 0});
  const std::vector<double> expected{1.0, 1.0, 0.5, 0.5, 0.25, 0.25};
  CHECK(model.optimizer().learning_rate() == 0.125);
  for (std::size_t i = 0; i < expected.size(); ++i) CHECK(h["learning_rate"][i] == expected[i]);
}

TEST_CASE("CSVLogger: header, one row per epoch, separator and append") {
  test::TempDir dir("csv");
  const auto path = dir / "log.csv";
  auto [x, y] = regression_data(20);
  layers::clear_session();
  optim::Model model(regression_net());
  model.compile({.optimizer = "sgd", .loss = "mse", .metrics = {"mae"}});
  const auto h = model.fit(x, y, {.batch_size = 8, .epochs = 2, .verbose = 0, .callbacks = {optim::CSVLogger(path)},
                                  .validation_split = 0.25, .seed = 0});
  auto read = [&] {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  std::string text = read();
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < text.size();) {
    const auto end = text.find("\r\n", start);
    REQUIRE(end != std::string::npos);  // every line ends with \r\n, as Python's csv module
    lines.push_back(text.substr(start, end - start));
    start = end + 2;
  }
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "epoch,loss,mae,val_loss,val_mae");
  for (int e = 0; e < 2; ++e) {
    std::stringstream row(lines[static_cast<std::size_t>(e) + 1]);
    std::string cell;
    std::getline(row, cell, ',');
    CHECK(cell == std::to_string(e));
    for (const char* key : {"loss", "mae", "val_loss", "val_mae"}) {
      std::getline(row, cell, ',');
      CHECK(std::stod(cell) == h[key][static_cast<std::size_t>(e)]);  // shortest round-trip digits
    }
  }
  // append: no second header; a new separator applies to the new rows.
  model.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0,
                   .callbacks = {optim::CSVLogger(path, {.separator = ";", .append = true})}, .seed = 0});
  text = read();
  CHECK(text.find("epoch,loss") == 0);
  CHECK(text.find("epoch;loss") == std::string::npos);
  CHECK(text.find("\r\n0;") != std::string::npos);
}

TEST_CASE("TerminateOnNaN: stops after the batch whose loss is NaN") {
  auto [x, y] = regression_data(16);
  auto yv = y.to_vector<float>();
  yv[9] = std::numeric_limits<float>::quiet_NaN();  // sample 9: batch 2 without shuffling
  const Tensor y_nan = Tensor::from_vector(yv, {16, 1});
  optim::Model model = compiled_model();
  int batches = 0;
  const auto h = model.fit(
      x, y_nan, {.batch_size = 4, .epochs = 3, .verbose = 0,
                 .callbacks = {optim::LambdaCallback({.on_train_batch_end = [&](int, optim::Logs&) { ++batches; }}),
                               optim::TerminateOnNaN()},
                 .shuffle = false, .seed = 0});
  CHECK(batches == 3);
  CHECK(h.epoch == std::vector<int>{0});
  CHECK(std::isnan(h["loss"][0]));
  CHECK(model.stop_training);
}

TEST_CASE("LambdaCallback: hook order and counts, stop_training from a callback") {
  auto [x, y] = regression_data(10);
  optim::Model model = compiled_model();
  std::string trace;
  optim::LambdaCallback cb({
      .on_epoch_begin = [&](int e, optim::Logs&) { trace += fmt::format("E{}", e); },
      .on_epoch_end = [&](int e, optim::Logs& logs) {
        trace += fmt::format("e{}{}", e, logs.count("loss") ? "L" : "?");
        if (e == 1) model.stop_training = true;
      },
      .on_train_batch_begin = [&](int b, optim::Logs&) { trace += fmt::format("b{}", b); },
      .on_train_batch_end = [&](int b, optim::Logs& logs) { trace += fmt::format("d{}{}", b, logs.count("loss") ? "" : "?"); },
      .on_train_begin = [&](optim::Logs&) { trace += "T"; },
      .on_train_end = [&](optim::Logs&) { trace += "t"; },
  });
  const auto h = model.fit(x, y, {.batch_size = 6, .epochs = 5, .verbose = 0, .callbacks = {std::move(cb)}, .initial_epoch = 0,
                                  .seed = 0});
  CHECK(trace == "TE0b0d0b1d1e0LE1b0d0b1d1e1Lt");
  CHECK(h.epoch == std::vector<int>{0, 1});
  // initial_epoch: numbering continues from it.
  trace.clear();
  model.fit(x, y, {.batch_size = 10, .epochs = 4, .verbose = 0,
                   .callbacks = {optim::LambdaCallback({.on_epoch_begin = [&](int e, optim::Logs&) {
                     trace += std::to_string(e);
                   }})},
                   .initial_epoch = 2, .seed = 0});
  CHECK(trace == "23");
}
