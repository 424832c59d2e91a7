// Model::save_weights / load_weights / save and optim::load_model: round trips, exact resumption,
// and clear errors for damaged files.
#include <fstream>

#include "optim/model_support.h"

using namespace minidl;
using test::regression_data;
using test::regression_net;

namespace {

// Every layer class the registry knows, in one model over 8x8x1 images.
std::shared_ptr<layers::Sequential> image_net() {
  auto net = std::make_shared<layers::Sequential>(layers::SequentialOptions{.input_shape = Shape{8, 8, 1}});
  net->add(layers::Conv2D({.filters = 4, .kernel_size = 3, .padding = "same", .activation = "relu",
                           .kernel_initializer = initializers::GlorotUniform{.seed = 1},
                           .kernel_regularizer = regularizers::L2{.l2 = 1e-3}}));
  net->add(layers::BatchNormalization({.momentum = 0.9}));
  net->add(layers::MaxPooling2D({.pool_size = 2}));                        // 4x4x4
  net->add(layers::Conv2DTranspose({.filters = 3, .kernel_size = 3, .strides = 2, .padding = "same",
                                    .kernel_initializer = initializers::GlorotUniform{.seed = 2}}));  // 8x8x3
  net->add(layers::LeakyReLU({.negative_slope = 0.1}));
  net->add(layers::AveragePooling2D({.pool_size = 2, .strides = 2}));      // 4x4x3
  net->add(layers::ZeroPadding2D::symmetric({1, 0}));                      // 6x4x3
  net->add(layers::UpSampling2D({.size = {1, 2}}));                        // 6x8x3
  net->add(layers::Flatten());                                             // 144
  net->add(layers::Dropout({.rate = 0.25, .seed = 7}));
  net->add(layers::Reshape({.target_shape = {12, 12}}));
  net->add(layers::Flatten());
  net->add(layers::Dense({.units = 2, .kernel_initializer = initializers::GlorotUniform{.seed = 3}}));
  net->add(layers::Activation({.activation = "softmax"}));
  return net;
}

void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out << bytes;
}

}  // namespace

TEST_CASE("save_weights / load_weights: a round trip by weight path") {
  test::TempDir dir("weights");
  auto [x, y] = regression_data(20);
  layers::clear_session();
  optim::Model a(regression_net(1));
  a.compile({.optimizer = "adam", .loss = "mse"});
  a.fit(x, y, {.batch_size = 5, .epochs = 2, .verbose = 0, .seed = 0});
  a.save_weights(dir / "w.safetensors");
  layers::clear_session();  // same layer names, other initial values
  optim::Model b(regression_net(99));
  CHECK_FALSE(test::same_values(a.get_weights(), b.get_weights()));
  b.load_weights(dir / "w.safetensors");
  CHECK(test::same_values(a.get_weights(), b.get_weights()));
  const auto names = io::load_safetensors(dir / "w.safetensors").tensors;
  std::vector<std::string> keys;
  for (const auto& [k, t] : names) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  CHECK(keys == std::vector<std::string>{"sequential/dense/bias", "sequential/dense/kernel", "sequential/dense_1/bias",
                                         "sequential/dense_1/kernel"});
}

TEST_CASE("load_weights: errors name the file and the weight") {
  test::TempDir dir("weights_errors");
  layers::clear_session();
  optim::Model a(regression_net());
  a.save_weights(dir / "w.safetensors");
  REQUIRE_THROWS_WITH_ALL(a.load_weights(dir / "missing.safetensors"), std::runtime_error, "missing.safetensors");
  write_bytes(dir / "garbage.safetensors", "this is not a safetensors file at all");
  REQUIRE_THROWS_WITH_ALL(a.load_weights(dir / "garbage.safetensors"), std::runtime_error, "garbage.safetensors");
  // Another architecture: a kernel of another shape.
  layers::clear_session();
  auto wide = std::make_shared<layers::Sequential>(layers::SequentialOptions{.input_shape = Shape{3}});
  wide->add(layers::Dense({.units = 9}));
  wide->add(layers::Dense({.units = 1}));
  optim::Model b(wide);
  REQUIRE_THROWS_WITH_ALL(b.load_weights(dir / "w.safetensors"), std::runtime_error, "w.safetensors",
                          "sequential/dense/kernel", "(3, 8)", "(3, 9)");
  // Other layer names: the file has no tensor for them.
  optim::Model c(regression_net());  // dense_2, dense_3
  REQUIRE_THROWS_WITH_ALL(c.load_weights(dir / "w.safetensors"), std::runtime_error, "has no tensor",
                          "sequential_1/dense_2/kernel");
}

TEST_CASE("save / load_model: every layer class, weights, configs and the compiled optimizer") {
  test::TempDir dir("model_all_layers");
  layers::clear_session();
  Generator gen(5);
  const Tensor x = Tensor::rand({12, 8, 8, 1}, gen);
  const Tensor y = Tensor::from_vector(std::vector<float>{0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0}, {12});
  optim::Model model(image_net());
  model.compile({.optimizer = optim::RMSprop({.learning_rate = 0.01, .momentum = 0.5}),
                 .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  model.fit(x, y, {.batch_size = 4, .epochs = 2, .verbose = 0, .seed = 1});  // moves BN statistics too
  model.save(dir / "model.safetensors");

  optim::Model loaded = optim::load_model(dir / "model.safetensors");
  CHECK(loaded.to_json()["config"] == model.to_json()["config"]);
  CHECK(loaded.compile_config() == model.compile_config());
  CHECK(test::same_values(loaded.get_weights(), model.get_weights()));
  const Tensor a = model.predict(x), b = loaded.predict(x);
  CHECK(a.to_vector<float>() == b.to_vector<float>());
  CHECK(loaded.optimizer().class_name() == "RMSprop");
  CHECK(loaded.optimizer().iterations() == 6);
  CHECK(loaded.loss().class_name() == "SparseCategoricalCrossentropy");
  const auto sa = model.optimizer().state(), sb = loaded.optimizer().state();
  REQUIRE(sa.size() == sb.size());
  for (std::size_t i = 0; i < sa.size(); ++i) {
    CHECK(sa[i].first == sb[i].first);
    CHECK(sa[i].second.to_vector<double>() == sb[i].second.to_vector<double>());
  }
  // Without compile: architecture and weights only.
  optim::Model bare = optim::load_model(dir / "model.safetensors", {.compile = false});
  CHECK_FALSE(bare.compiled());
  CHECK(test::same_values(bare.get_weights(), model.get_weights()));
}

TEST_CASE("resume: 2 epochs, save, load_model, 1 more == 3 epochs straight, bit for bit") {
  test::TempDir dir("resume");
  auto [x, y] = regression_data(40);
  auto make = [] {
    layers::clear_session();
    auto net = std::make_shared<layers::Sequential>(layers::SequentialOptions{.input_shape = Shape{3}});
    net->add(layers::Dense({.units = 8, .kernel_initializer = initializers::GlorotUniform{.seed = 1}}));
    net->add(layers::BatchNormalization());
    net->add(layers::Activation({.activation = "relu"}));
    net->add(layers::Dense({.units = 1, .kernel_initializer = initializers::GlorotUniform{.seed = 2}}));
    optim::Model model(net);
    model.compile({.optimizer = optim::Adam({.learning_rate = 0.01}), .loss = "mse", .metrics = {"mae"}});
    return model;
  };
  optim::Model straight = make();
  const auto h3 = straight.fit(x, y, {.batch_size = 8, .epochs = 3, .verbose = 0, .seed = 42});

  optim::Model first = make();
  first.fit(x, y, {.batch_size = 8, .epochs = 2, .verbose = 0, .seed = 42});
  first.save(dir.path / "ckpt/");  // a folder: model.safetensors + config.json
  CHECK(std::filesystem::exists(dir / "ckpt/model.safetensors"));
  CHECK(std::filesystem::exists(dir / "ckpt/config.json"));
  optim::Model resumed = optim::load_model(dir / "ckpt");
  const auto h1 = resumed.fit(x, y, {.batch_size = 8, .epochs = 3, .verbose = 0, .initial_epoch = 2, .seed = 42});
  CHECK(h1.epoch == std::vector<int>{2});
  CHECK(h1["loss"][0] == h3["loss"][2]);
  CHECK(h1["mae"][0] == h3["mae"][2]);
  CHECK(test::same_values(resumed.get_weights(), straight.get_weights()));
  CHECK(resumed.optimizer().iterations() == straight.optimizer().iterations());
}

TEST_CASE("resume with Dropout: the masks continue where they were, bit for bit") {
  // Without the generators' state in the checkpoint, the resumed Dropouts would restart from their
  // seeds and draw epoch 1's masks again in epoch 3.
  test::TempDir dir("resume_dropout");
  auto [x, y] = regression_data(40);
  auto make = [] {
    layers::clear_session();
    manual_seed(11);  // the unseeded Dropout draws its seed from the default generator
    auto inner = std::make_shared<layers::Sequential>();
    inner->add(layers::Dense({.units = 8, .activation = "relu", .kernel_initializer = initializers::GlorotUniform{.seed = 2}}));
    inner->add(layers::Dropout({.rate = 0.3}));
    auto net = std::make_shared<layers::Sequential>(layers::SequentialOptions{.input_shape = Shape{3}});
    net->add(layers::Dense({.units = 16, .activation = "relu", .kernel_initializer = initializers::GlorotUniform{.seed = 1}}));
    net->add(layers::Dropout({.rate = 0.5, .seed = 7}));
    net->add(inner);  // a nested container: its Dropout's state is saved under its own path
    net->add(layers::Dense({.units = 1, .kernel_initializer = initializers::GlorotUniform{.seed = 3}}));
    optim::Model model(net);
    model.compile({.optimizer = optim::Adam({.learning_rate = 0.01}), .loss = "mse"});
    return model;
  };
  optim::Model straight = make();
  const auto h3 = straight.fit(x, y, {.batch_size = 8, .epochs = 3, .verbose = 0, .seed = 42});

  optim::Model first = make();
  first.fit(x, y, {.batch_size = 8, .epochs = 2, .verbose = 0, .seed = 42});
  first.save(dir / "ckpt.safetensors");
  manual_seed(999);  // the default generator's state at load time must not matter
  optim::Model resumed = optim::load_model(dir / "ckpt.safetensors");
  const auto h1 = resumed.fit(x, y, {.batch_size = 8, .epochs = 3, .verbose = 0, .initial_epoch = 2, .seed = 42});
  CHECK(h1["loss"][0] == h3["loss"][2]);
  CHECK(test::same_values(resumed.get_weights(), straight.get_weights()));
}

TEST_CASE("load_model: random states must match the model's Dropouts") {
  test::TempDir dir("rng_errors");
  layers::clear_session();
  auto net = std::make_shared<layers::Sequential>(layers::SequentialOptions{.input_shape = Shape{3}});
  net->add(layers::Dense({.units = 4}));
  net->add(layers::Dropout({.rate = 0.5, .seed = 1}));
  optim::Model model(net);
  model.compile({.optimizer = "sgd", .loss = "mse"});
  model.save(dir / "m.safetensors");
  const auto contents = io::load_safetensors(dir / "m.safetensors");
  const auto rng = nlohmann::json::parse(contents.metadata.at("rng_state"));
  REQUIRE(rng.size() == 1);
  REQUIRE(rng.contains("sequential/dropout"));
  auto rewrite = [&](const std::string& name, std::optional<nlohmann::json> state) {
    auto metadata = contents.metadata;
    if (state) metadata["rng_state"] = state->dump();
    else metadata.erase("rng_state");
    io::save_safetensors(dir / name, contents.tensors, metadata);
    return dir / name;
  };
  // A file from before generators were saved: loads, the Dropout starts from its seed.
  CHECK_NOTHROW(optim::load_model(rewrite("old.safetensors", std::nullopt)));
  REQUIRE_THROWS_WITH_ALL(optim::load_model(rewrite("none.safetensors", nlohmann::json::object())), std::runtime_error,
                          "none.safetensors", "no random state", "sequential/dropout");
  nlohmann::json extra = rng;
  extra["sequential/dropout_9"] = rng["sequential/dropout"];
  REQUIRE_THROWS_WITH_ALL(optim::load_model(rewrite("extra.safetensors", extra)), std::runtime_error,
                          "extra.safetensors", "sequential/dropout_9", "matches no layer");
  REQUIRE_THROWS_WITH_ALL(optim::load_model(rewrite("bad.safetensors", nlohmann::json{{"sequential/dropout", "1 2 3"}})),
                          std::runtime_error, "bad.safetensors", "sequential/dropout", "damaged");
  REQUIRE_THROWS_WITH_ALL(optim::load_model(rewrite("num.safetensors", nlohmann::json{{"sequential/dropout", 5}})),
                          std::runtime_error, "num.safetensors", "not a string");
  REQUIRE_THROWS_WITH_ALL(optim::load_model(rewrite("arr.safetensors", nlohmann::json::array())), std::runtime_error,
                          "arr.safetensors", "not a JSON object");
}

TEST_CASE("load_model: damaged or foreign files give errors naming the file") {
  test::TempDir dir("model_errors");
  layers::clear_session();
  optim::Model model(regression_net());
  model.compile({.optimizer = "adam", .loss = "mse"});
  model.save_weights(dir / "weights.safetensors");
  REQUIRE_THROWS_WITH_ALL(optim::load_model(dir / "weights.safetensors"), std::runtime_error, "weights.safetensors",
                          "not a minidl model file");
  REQUIRE_THROWS_WITH_ALL(optim::load_model(dir / "nothing.safetensors"), std::runtime_error, "nothing.safetensors");
  // A truncated model file.
  model.save(dir / "m.safetensors");
  std::ifstream in(dir / "m.safetensors", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  write_bytes(dir / "cut.safetensors", bytes.substr(0, bytes.size() - 10));
  REQUIRE_THROWS_WITH_ALL(optim::load_model(dir / "cut.safetensors"), std::runtime_error, "cut.safetensors");
  // Malformed JSON, and an unknown layer class.
  io::save_safetensors(dir / "bad_json.safetensors", {},
                       {{"format", "minidl.model"}, {"format_version", "1"}, {"config", "{\"class_name\": "}});
  REQUIRE_THROWS_WITH_ALL(optim::load_model(dir / "bad_json.safetensors"), std::runtime_error, "bad_json.safetensors",
                          "malformed model config");
  io::save_safetensors(dir / "alien.safetensors", {},
                       {{"format", "minidl.model"},
                        {"format_version", "1"},
                        {"config", R"({"class_name": "TransformerBlock", "config": {}})"}});
  REQUIRE_THROWS_WITH_ALL(optim::load_model(dir / "alien.safetensors"), std::runtime_error, "alien.safetensors",
                          "unknown layer class 'TransformerBlock'");
  // A custom loss cannot be rebuilt: say so, and loading without compile still works.
  optim::Model custom(regression_net());
  custom.compile({.optimizer = "sgd", .loss = optim::Loss([](const Tensor& t, const Tensor& p) { return abs(t - p); })});
  custom.save(dir / "custom.safetensors");
  REQUIRE_THROWS_WITH_ALL(optim::load_model(dir / "custom.safetensors"), std::runtime_error, "custom.safetensors",
                          "custom loss");
  CHECK_NOTHROW(optim::load_model(dir / "custom.safetensors", {.compile = false}));
}

TEST_CASE("layer registry: unknown classes and user layers") {
  REQUIRE_THROWS_WITH_ALL(optim::layer_from_config({{"class_name", "Nope"}}), std::invalid_argument, "Nope",
                          "register_layer");
  optim::register_layer("MyDense", [](const nlohmann::json& c) {
    return std::make_shared<layers::Dense>(layers::Dense::from_config(c));
  });
  auto layer = optim::layer_from_config({{"class_name", "MyDense"}, {"config", {{"units", 3}, {"name", "mine"}}}});
  CHECK(layer->name() == "mine");
  CHECK(layer->class_name() == "Dense");
}
