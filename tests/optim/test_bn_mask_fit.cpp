// One fit step of Embedding(mask_zero) -> BatchNormalization -> SimpleRNN -> Dense equals the real
// Keras 3's (fixture: tests/reference/keras_bn_mask.py's "fit"): the padding positions stay out of
// BatchNormalization's batch statistics and moving statistics, and out of the RNN.
#include "support/bn_mask_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;

TEST_CASE("fit through Embedding(mask_zero) -> BatchNormalization -> SimpleRNN equals Keras",
          "[optim][batch_norm][masking]") {
  const json& c = test::bn_mask_fixture()["fit"][0];
  auto net = std::make_shared<Sequential>(SequentialOptions{.input_shape = Shape{5}});
  net->add(Embedding({.input_dim = 6, .output_dim = 3, .mask_zero = true}));
  net->add(BatchNormalization({.momentum = 0.8}));
  net->add(SimpleRNN({.units = 4}));
  net->add(Dense({.units = 2}));
  std::vector<Tensor> ws;
  const std::int64_t seed = c["seed"];
  for (std::size_t i = 0; i < c["weight_shapes"].size(); ++i)
    ws.push_back(test::pattern(test::shape_from_json(c["weight_shapes"][i]), seed + 1 + static_cast<std::int64_t>(i)));
  net->set_weights(ws);
  optim::Model model(net);
  model.compile({.optimizer = optim::SGD({.learning_rate = 0.1}), .loss = "mse"});
  std::vector<double> tokens;
  for (const auto& row : c["tokens"])
    for (const auto& t : row) tokens.push_back(t.get<double>());
  const Tensor x = Tensor::from_vector(tokens, {4, 5}).to(DType::Float32);
  const Tensor y = test::pattern({4, 2}, c["y_true_seed"]);
  const auto history = model.fit(x, y, {.batch_size = 4, .epochs = 1, .verbose = 0, .shuffle = false});
  CHECK(history["loss"][0] == Approx(c["loss"].get<double>()).epsilon(1e-5));
  const auto after = net->get_weights();
  REQUIRE(after.size() == c["weights_after"].size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    INFO("weight " << i);
    REQUIRE_CLOSE(after[i], test::bn_mask_values(c["weights_after"][i], after[i].shape()), 1e-5, 1e-6);
  }
}
