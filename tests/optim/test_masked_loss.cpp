// Model's compiled loss and metrics leave out the positions masked on the output, as Keras 3's
// Loss.__call__ and MeanMetricWrapper do (fixture: tests/reference/keras_masking.py's "loss" and
// "functional" cases): Embedding(mask_zero) -> [GRU / LSTM] -> Dense evaluated with mse or mae, a
// control without the mask, a functional graph; then the loss by hand and a masked training step.
#include <unistd.h>

#include "support/masking_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;

namespace {

std::shared_ptr<Sequential> make_model(const json& c) {
  auto model = std::make_shared<Sequential>(SequentialOptions{.input_shape = Shape{5}});
  model->add(Embedding({.input_dim = 6, .output_dim = 3, .mask_zero = c["mask_zero"].get<bool>()}));
  if (c["arch"] == "embedding_gru_dense") model->add(GRU({.units = 4, .return_sequences = true}));
  if (c["arch"] == "embedding_lstm_last") model->add(LSTM({.units = 4}));
  model->add(Dense({.units = 2}));
  test::set_masking_case_weights(*model, c);
  return model;
}

}  // namespace

TEST_CASE("A masked output's loss and metrics average over the unmasked positions only, as Keras",
          "[optim][masking]") {
  for (const auto& c : test::masking_fixture()["loss"]) {
    INFO(c["arch"].get<std::string>() << " " << c["loss"].get<std::string>() << " mask_zero " << c["mask_zero"]);
    optim::Model model(make_model(c));
    model.compile({.loss = c["loss"].get<std::string>(), .metrics = {"mae"}});
    const Tensor y = test::pattern(test::shape_from_json(c["output_shape"]), c["y_true_seed"]);
    const auto logs = model.evaluate(test::masking_case_tokens(c), y, {.batch_size = 3, .verbose = 0});
    CHECK(logs.at("loss") == Approx(c["loss_value"].get<double>()).epsilon(1e-5));
    CHECK(logs.at("mae") == Approx(c["mae"].get<double>()).epsilon(1e-5));
  }
  const json& f = test::masking_fixture()["functional"][0];
  auto in = Input({5});
  auto h = Embedding({.input_dim = 6, .output_dim = 3, .mask_zero = true})(in);
  h = Dense({.units = 4, .activation = "tanh"})(h);
  h = SimpleRNN({.units = 3, .return_sequences = true, .go_backwards = true})(h);
  auto net = std::make_shared<Functional>(in, Dense({.units = 2})(h));
  test::set_masking_case_weights(*net, f);
  optim::Model model(net);
  model.compile({.loss = "mse"});
  const Tensor y = test::pattern(test::shape_from_json(f["output_shape"]), f["y_true_seed"]);
  CHECK(model.evaluate(test::masking_case_tokens(f), y, {.batch_size = 3, .verbose = 0}).at("loss") ==
        Approx(f["loss_value"].get<double>()).epsilon(1e-5));
}

TEST_CASE("The masked loss by hand, sample weights, and a masked training step", "[optim][masking]") {
  // Predictions 1 everywhere, targets 0: per position mse 1; mask [[1, 1, 0], [1, 0, 0]].
  const Tensor y_pred = Tensor::ones({2, 3, 1}), y_true = Tensor::zeros({2, 3, 1});
  const Tensor mask = Tensor::from_vector(std::vector<float>{1, 1, 0, 1, 0, 0}, {2, 3});
  const optim::Loss mse("mse");
  CHECK(mse(y_true, y_pred, Tensor(), mask).item() == Approx(1.0));  // 3 / 3, not 3 / 6
  CHECK(optim::MeanSquaredError({.reduction = "sum"})(y_true, y_pred, Tensor(), mask).item() == Approx(3.0));
  // Sample weights (2, 1) multiply the mask: (2 + 2 + 4) / 3 valid positions.
  const Tensor w = Tensor::from_vector(std::vector<float>{2, 4}, {2});
  CHECK(mse(y_true, y_pred, w, mask).item() == Approx((2.0 + 2.0 + 4.0) / 3.0));
  CHECK(mse(y_true, y_pred, Tensor(), Tensor::zeros({2, 3})).item() == 0.0);  // nothing valid: 0, not NaN
  REQUIRE_THROWS_WITH_ALL(mse(y_true, y_pred, Tensor(), Tensor::ones({4})), std::invalid_argument, "(4,)", "(2, 3)");

  // Training: the masked positions' targets do not move the weights.
  auto net = std::make_shared<Sequential>(SequentialOptions{.input_shape = Shape{3}});
  net->add(Embedding({.input_dim = 3, .output_dim = 1, .embeddings_initializer = "ones", .mask_zero = true}));
  optim::Model model(net);
  model.compile({.optimizer = optim::SGD({.learning_rate = 0.5}), .loss = "mse"});
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 0, 2}, {1, 3});
  const Tensor y = Tensor::from_vector(std::vector<float>{1, 100, 1}, {1, 3, 1});  // 100 at the masked position
  model.train_on_batch(x, y);
  // Row 0 (the padding row) got no gradient; rows 1 and 2 were at their targets already.
  REQUIRE_CLOSE(net->get_weights()[0], Tensor::ones({3, 1}), 0.0, 1e-12);
}

TEST_CASE("A model with Masking saves and loads, and its masked loss is unchanged", "[optim][masking][saving]") {
  auto net = std::make_shared<Sequential>(SequentialOptions{.input_shape = Shape{4, 2}});
  net->add(Masking({.mask_value = 0.5}));
  net->add(LSTM({.units = 3, .return_sequences = true}));
  net->add(Dense({.units = 1}));
  optim::Model model(net);
  model.compile({.loss = "mse", .metrics = {"mae"}});
  Tensor x = test::pattern({3, 4, 2}, 7);
  for (std::int64_t t : {1, 3}) x.data<float>()[t * 2] = x.data<float>()[t * 2 + 1] = 0.5f;  // row 0: 2 masked
  const Tensor y = test::pattern({3, 4, 1}, 8);
  const auto before = model.evaluate(x, y, {.verbose = 0});
  const auto path =
      std::filesystem::temp_directory_path() / ("minidl_test_masking_" + std::to_string(::getpid()) + ".safetensors");
  model.save(path);
  optim::Model loaded = optim::load_model(path);
  std::filesystem::remove(path);
  const auto after = loaded.evaluate(x, y, {.verbose = 0});
  CHECK(after.at("loss") == Approx(before.at("loss")).epsilon(1e-6));
  CHECK(after.at("mae") == Approx(before.at("mae")).epsilon(1e-6));
  // The mask matters: the same weights without Masking give another loss.
  auto plain = std::make_shared<Sequential>(SequentialOptions{.input_shape = Shape{4, 2}});
  plain->add(LSTM({.units = 3, .return_sequences = true}));
  plain->add(Dense({.units = 1}));
  plain->set_weights(net->get_weights());
  optim::Model unmasked(plain);
  unmasked.compile({.loss = "mse"});
  CHECK(unmasked.evaluate(x, y, {.verbose = 0}).at("loss") != Approx(before.at("loss")).epsilon(1e-4));
}
