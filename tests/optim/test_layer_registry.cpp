// The layer registry for Embedding, LayerNormalization and GroupNormalization: layer_from_config rebuilds them from
// Keras's serialized form, and a trained token model survives save / load_model.
#include "optim/model_support.h"

using namespace minidl;

namespace {

// 6 token ids (vocabulary 20) -> 8-wide embeddings -> layer norm over (6, 8) -> 3 classes.
std::shared_ptr<layers::Sequential> token_net() {
  auto net = std::make_shared<layers::Sequential>(layers::SequentialOptions{.input_shape = Shape{6}});
  net->add(layers::Embedding({.input_dim = 20, .output_dim = 8,
                              .embeddings_initializer = initializers::RandomUniform{.seed = 3}}));
  net->add(layers::LayerNormalization({.axis = {1, 2}, .gamma_regularizer = "l2"}));
  net->add(layers::Flatten());
  net->add(layers::Dense({.units = 3, .activation = "softmax",
                          .kernel_initializer = initializers::GlorotUniform{.seed = 4}}));
  return net;
}

}  // namespace

TEST_CASE("layer_from_config rebuilds Embedding, LayerNormalization and GroupNormalization", "[optim][layer_registry]") {
  layers::clear_session();
  const layers::Embedding emb({.input_dim = 7, .output_dim = 2, .mask_zero = true, .name = "emb"});
  const layers::LayerNormalization ln({.axis = {-2, -1}, .epsilon = 1e-6, .rms_scaling = true, .name = "ln"});
  const layers::GroupNormalization gn({.groups = -1, .axis = 1, .center = false, .name = "gn"});
  for (const layers::Layer* layer : {static_cast<const layers::Layer*>(&emb), static_cast<const layers::Layer*>(&ln),
                                     static_cast<const layers::Layer*>(&gn)}) {
    const nlohmann::json serialized = {{"class_name", layer->class_name()}, {"config", layer->get_config()}};
    const auto back = optim::layer_from_config(serialized);
    CHECK(back->class_name() == layer->class_name());
    CHECK(back->get_config() == layer->get_config());
  }
  REQUIRE_THROWS_WITH_ALL(optim::layer_from_config({{"class_name", "Embedding"}, {"config", {{"input_dim", 3}}}}),
                          std::invalid_argument, "Embedding", "output_dim");
}

TEST_CASE("save / load_model: a trained Embedding + LayerNormalization model", "[optim][layer_registry][saving]") {
  test::TempDir dir("model_norm_embedding");
  layers::clear_session();
  Generator gen(9);
  std::vector<float> ids, labels;
  for (int i = 0; i < 24; ++i) {
    for (int t = 0; t < 6; ++t) ids.push_back(static_cast<float>(gen.randint(20)));
    labels.push_back(static_cast<float>(i % 3));
  }
  const Tensor x = Tensor::from_vector(ids, {24, 6}), y = Tensor::from_vector(labels, {24});
  optim::Model model(token_net());
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  model.fit(x, y, {.batch_size = 8, .epochs = 2, .verbose = 0, .seed = 1});
  model.save(dir / "model.safetensors");

  optim::Model loaded = optim::load_model(dir / "model.safetensors");
  CHECK(loaded.to_json()["config"] == model.to_json()["config"]);
  CHECK(test::same_values(loaded.get_weights(), model.get_weights()));
  CHECK(model.predict(x).to_vector<float>() == loaded.predict(x).to_vector<float>());
  // Weights in Keras's order: embeddings, gamma, beta, kernel, bias.
  const auto w = loaded.get_weights();
  REQUIRE(w.size() == 5);
  CHECK(w[0].shape() == Shape{20, 8});
  CHECK(w[1].shape() == Shape{6, 8});
  CHECK(w[2].shape() == Shape{6, 8});
}
