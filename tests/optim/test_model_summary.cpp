// optim::Model::summary(): the network's Keras table plus Keras 3's " Optimizer params" line once
// the optimizer has created its variables. Counts by hand: Dense(3) on 2 features has 2*3 + 3 = 9
// weights; Adam's variables are iterations, learning_rate and m, v for each weight (2 * 9), so 20;
// Keras counts them in the total (29) (keras/src/utils/summary_utils_test.py asserts the same).
#include "optim/model_support.h"

using namespace minidl;

namespace {

std::shared_ptr<layers::Functional> dense_model() {
  auto in = layers::Input({2});
  return std::make_shared<layers::Functional>(in, layers::Dense({.units = 3})(in));
}

}  // namespace

TEST_CASE("Model::summary: totals before and after the optimizer builds its variables", "[summary]") {
  layers::clear_session();
  optim::Model model(dense_model());
  model.compile({.optimizer = "adam", .loss = "mse"});
  std::string s = model.summary_string();
  CHECK(s.find("Total params: 9 (36.00 B)") != std::string::npos);
  CHECK(s.find("Trainable params: 9 (36.00 B)") != std::string::npos);
  CHECK(s.find("Non-trainable params: 0 (0.00 B)") != std::string::npos);
  CHECK(s.find("Optimizer params") == std::string::npos);
  // Until then, the network's own table.
  CHECK(s == std::dynamic_pointer_cast<layers::Container>(model.network_ptr())->summary_string());

  model.fit(Tensor::zeros({4, 2}), Tensor::zeros({4, 3}), {.batch_size = 4, .verbose = 0});
  s = model.summary_string();
  // Bytes: weights 9 * 4; optimizer iterations (int64) 8 + learning_rate 4 + 18 slots * 4 = 84.
  CHECK(s.find("Total params: 29 (120.00 B)") != std::string::npos);
  CHECK(s.find("Trainable params: 9 (36.00 B)") != std::string::npos);
  CHECK(s.find("Non-trainable params: 0 (0.00 B)") != std::string::npos);
  CHECK(s.find("Optimizer params: 20 (84.00 B)") != std::string::npos);
}

TEST_CASE("Model::summary: a schedule has no learning_rate variable; a bare layer gets one row", "[summary]") {
  layers::clear_session();
  optim::Model model(dense_model());
  model.compile({.optimizer = optim::SGD({.learning_rate = optim::ExponentialDecay(0.1, 10, 0.9),
                                          .momentum = 0.9}),
                 .loss = "mse"});
  model.fit(Tensor::zeros({4, 2}), Tensor::zeros({4, 3}), {.batch_size = 4, .verbose = 0});
  // iterations + one momentum per weight: 1 + 9.
  CHECK(model.summary_string().find("Optimizer params: 10 (44.00 B)") != std::string::npos);

  optim::Model bare(layers::Dense({.units = 4, .name = "solo"}));
  bare.build(Shape{-1, 5});
  const std::string s = bare.summary_string();
  CHECK(s.find("solo (Dense)") != std::string::npos);
  CHECK(s.find("(None, 4)") != std::string::npos);
  CHECK(s.find("Total params: 24 (96.00 B)") != std::string::npos);
}
