// A user's conditional model, written from the README alone: noise (16,) and a class label (a float
// index) go through Embedding -> Flatten -> Concatenate -> Dense -> LayerNormalization -> Reshape ->
// Conv2DTranspose -> Cropping2D -> GlobalAveragePooling2D -> Dense, trained with optim::Model on
// {noise, labels}, then evaluated, saved, reloaded and resumed; plus the mistakes users make.
#include <fstream>

#include "model_support.h"

using namespace minidl;
using namespace minidl::test;

namespace {

constexpr std::int64_t kNoise = 16, kClasses = 10, kEmbed = 8;

struct ConditionalData {
  Tensor noise, labels, y;
};

// noise (n, 16) normal, labels (n, 1) = i % 10 as floats; y (n, 2) = ((label - 4.5) / 4.5,
// mean of noise[0:4]): one column needs the label, the other the noise.
ConditionalData conditional_data(std::int64_t n, std::uint64_t seed = 11) {
  Generator gen(seed);
  Tensor noise = Tensor::randn({n, kNoise}, gen);
  const auto nv = noise.to_vector<float>();
  std::vector<float> labels, y;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto label = static_cast<float>(i % kClasses);
    labels.push_back(label);
    y.push_back((label - 4.5f) / 4.5f);
    float m = 0.0f;
    for (std::size_t k = 0; k < 4; ++k) m += nv[static_cast<std::size_t>(i * kNoise) + k];
    y.push_back(m / 4.0f);
  }
  return {noise, Tensor::from_vector(labels, {n, 1}), Tensor::from_vector(y, {n, 2})};
}

std::shared_ptr<layers::Functional> conditional_net(layers::Cropping2DArg crop = 1) {
  layers::clear_session();
  auto noise = layers::Input({.shape = Shape{kNoise}, .name = "noise"});
  auto label = layers::Input({.shape = Shape{1}, .name = "label"});
  auto e = layers::Embedding({.input_dim = kClasses, .output_dim = kEmbed,
                              .embeddings_initializer = initializers::RandomUniform{.seed = 1}, .name = "embed"})(label);
  auto h = layers::Concatenate()({layers::Flatten()(e), noise});
  h = layers::Dense({.units = 4 * 4 * 8, .activation = "relu",
                     .kernel_initializer = initializers::GlorotUniform{.seed = 2}, .name = "project"})(h);
  h = layers::LayerNormalization({.name = "norm"})(h);
  h = layers::Reshape({.target_shape = {4, 4, 8}})(h);
  h = layers::Conv2DTranspose({.filters = 4, .kernel_size = 3, .strides = 2, .padding = "same", .activation = "relu",
                               .kernel_initializer = initializers::GlorotUniform{.seed = 3}, .name = "up"})(h);
  h = layers::Cropping2D({.cropping = crop, .name = "crop"})(h);
  h = layers::GlobalAveragePooling2D()(h);
  auto y = layers::Dense({.units = 2, .kernel_initializer = initializers::GlorotUniform{.seed = 4}, .name = "out"})(h);
  return std::make_shared<layers::Functional>(std::vector<layers::KerasTensor>{noise, label}, y,
                                              layers::FunctionalOptions{.name = "conditional"});
}

optim::Model compiled_conditional() {
  optim::Model m(conditional_net());
  m.compile({.optimizer = optim::Adam({.learning_rate = 0.01}), .loss = "mse"});
  return m;
}

// Parameters by hand: embedding 10*8; project (8+16)*128 + 128; norm gamma+beta 2*128;
// up kernel 3*3*4*8 + bias 4 (Conv2DTranspose's kernel is (kh, kw, filters, in)); out 4*2 + 2.
constexpr std::int64_t kEmbedParams = kClasses * kEmbed;
constexpr std::int64_t kProjectParams = (kEmbed + kNoise) * 128 + 128;
constexpr std::int64_t kNormParams = 2 * 128;
constexpr std::int64_t kUpParams = 3 * 3 * 4 * 8 + 4;
constexpr std::int64_t kOutParams = 4 * 2 + 2;
constexpr std::int64_t kTotalParams = kEmbedParams + kProjectParams + kNormParams + kUpParams + kOutParams;

}  // namespace

TEST_CASE("user trial: conditional model shapes and parameter counts", "[optim][user_trial]") {
  auto net = conditional_net();
  CHECK(net->count_params() == kTotalParams);
  CHECK(net->get_layer("embed")->count_params() == kEmbedParams);
  CHECK(net->get_layer("up")->count_params() == kUpParams);
  // (4, 4, 8) -> same, strides 2 -> (8, 8, 4) -> crop 1 each side -> (6, 6, 4) -> pool -> (4) -> (2).
  CHECK(net->get_layer("crop")->compute_output_shape(Shape{-1, 8, 8, 4}) == Shape{-1, 6, 6, 4});
  CHECK(net->compute_output_shape_for({Shape{-1, kNoise}, Shape{-1, 1}}) == Shape{-1, 2});

  const auto d = conditional_data(5);
  const Tensor out = (*net)({d.noise, d.labels});
  CHECK(out.shape() == Shape{5, 2});

  const std::string table = net->summary_string();
  INFO(table);
  static_assert(kTotalParams == 3838);
  CHECK(table.find("Total params: 3,838 (14.99 KB)") != std::string::npos);  // 3838 * 4 bytes / 1024
  CHECK(table.find("Connected to") != std::string::npos);  // not a chain: two inputs
  CHECK(table.find("embed") != std::string::npos);
  CHECK(table.find("(None, 6, 6, 4)") != std::string::npos);
}

TEST_CASE("user trial: fit, evaluate, predict, save, load_model and resume", "[optim][user_trial][saving]") {
  TempDir dir("user_trial_conditional");
  const auto d = conditional_data(160);
  optim::Model model = compiled_conditional();
  const double before = model.evaluate({d.noise, d.labels}, d.y, {.verbose = 0}).at("loss");
  const auto history = model.fit({d.noise, d.labels}, d.y, {.batch_size = 16, .epochs = 30, .verbose = 0, .seed = 7});
  REQUIRE(history["loss"].size() == 30);
  // The targets have variance about 0.37 (label column) and 0.25 (noise mean); a model that uses
  // both inputs gets well under a fifth of the untrained loss.
  CHECK(history["loss"].back() < history["loss"].front());
  const double after = model.evaluate({d.noise, d.labels}, d.y, {.verbose = 0}).at("loss");
  CHECK(after < 0.2 * before);
  CHECK(after < 0.1);

  const Tensor predicted = model.predict({d.noise, d.labels}, {.batch_size = 32});
  REQUIRE(predicted.shape() == Shape{160, 2});
  // The label column is learnt: class 9's prediction well above class 0's.
  const auto p = predicted.to_vector<float>();
  CHECK(p[2 * 9] - p[0] > 1.0f);

  model.save(dir.path / "ckpt/");
  optim::Model loaded = optim::load_model(dir.path / "ckpt/");
  CHECK(loaded.network().count_params() == kTotalParams);
  CHECK(loaded.input_shapes() == std::vector<Shape>{Shape{-1, kNoise}, Shape{-1, 1}});
  CHECK(same_values(loaded.get_weights(), model.get_weights()));
  const Tensor reloaded_prediction = loaded.predict({d.noise, d.labels}, {.batch_size = 32});
  CHECK(reloaded_prediction.to_vector<float>() == p);

  // Resuming the loaded model continues exactly as the original one (optimizer state restored).
  const optim::FitOptions more{.batch_size = 16, .epochs = 32, .verbose = 0, .initial_epoch = 30, .seed = 7};
  const auto h_original = model.fit({d.noise, d.labels}, d.y, more);
  const auto h_loaded = loaded.fit({d.noise, d.labels}, d.y, more);
  CHECK(h_loaded["loss"] == h_original["loss"]);
  CHECK(same_values(loaded.get_weights(), model.get_weights()));
}

TEST_CASE("user trial: the mistakes users make are reported clearly", "[optim][user_trial][errors]") {
  const auto d = conditional_data(20);
  optim::Model model = compiled_conditional();

  SECTION("a label outside [0, input_dim)") {
    std::vector<float> bad(20, 3.0f);
    bad[7] = 10.0f;
    const Tensor labels = Tensor::from_vector(bad, {20, 1});
    REQUIRE_THROWS_WITH_ALL(model.fit({d.noise, labels}, d.y, {.verbose = 0}), std::out_of_range, "10");
    bad[7] = -1.0f;
    REQUIRE_THROWS_WITH_ALL(model.predict({d.noise, Tensor::from_vector(bad, {20, 1})}), std::out_of_range, "-1");
  }
  SECTION("a fractional label") {
    std::vector<float> bad(20, 3.0f);
    bad[2] = 2.5f;
    REQUIRE_THROWS(model.predict({d.noise, Tensor::from_vector(bad, {20, 1})}));
  }
  SECTION("one input instead of two") {
    REQUIRE_THROWS_WITH_ALL(model.fit(d.noise, d.y, {.verbose = 0}), std::invalid_argument,
                            "Layer \"conditional\" expects 2 input(s), but it received 1 input tensors.");
  }
  SECTION("inputs swapped") {
    REQUIRE_THROWS_WITH_ALL(model.fit({d.labels, d.noise}, d.y, {.verbose = 0}), std::invalid_argument, "conditional");
  }
  SECTION("labels with fewer samples than the noise") {
    REQUIRE_THROWS_WITH_ALL(model.fit({d.noise, d.labels.slice(0, 0, 15)}, d.y, {.verbose = 0}), std::invalid_argument,
                            "input 1", "15 samples", "20 samples");
  }
  SECTION("a Cropping2D larger than its input") {
    // (8, 8) cropped by 4 + 4 rows leaves nothing.
    REQUIRE_THROWS_WITH_ALL(conditional_net(layers::Cropping2DArg(4, 1)), std::invalid_argument, "crop");
  }
}

TEST_CASE("user trial: labels of shape (n,) into Input({1}) train, save and load, as Keras 3", "[optim][user_trial][saving]") {
  // The shape labels usually come in; Keras 3 expands them to (n, 1) (Functional._adjust_input_rank).
  TempDir dir("user_trial_flat_labels");
  const auto d = conditional_data(40);
  const Tensor flat = d.labels.reshape(Shape{40});
  optim::Model model = compiled_conditional();
  optim::Model reference = compiled_conditional();
  const optim::FitOptions options{.batch_size = 8, .epochs = 2, .verbose = 0, .seed = 3};
  const auto h = model.fit({d.noise, flat}, d.y, options);
  const auto h_ref = reference.fit({d.noise, d.labels}, d.y, options);
  CHECK(h["loss"] == h_ref["loss"]);
  CHECK(same_values(model.get_weights(), reference.get_weights()));

  model.save(dir.path / "flat.safetensors");
  optim::Model loaded = optim::load_model(dir.path / "flat.safetensors");
  CHECK(loaded.predict({d.noise, flat}).to_vector<float>() == model.predict({d.noise, d.labels}).to_vector<float>());
}
