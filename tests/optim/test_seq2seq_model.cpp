// optim::Model on Keras's encoder-decoder: the encoder's final states are the decoder's initial_state,
// and the decoder's own input is zeros, so what it predicts can only come through the states. fit
// learns it (the encoder's weights get gradients and move), a model whose outputs include a state
// trains with no loss on that state, and save / load_model reproduces predictions and resumes.
#include <fstream>

#include "model_support.h"

using namespace minidl;
using namespace minidl::test;
using KTs = std::vector<layers::KerasTensor>;

namespace {

// enc: (n, 5, 2) uniform in [-1, 1]; dec: zeros (n, 3, 1); y: (n, 3, 1), every step the mean of the
// encoder's first feature over time. Predicting the mean (0) leaves a loss of about 0.067.
struct Data {
  Tensor enc, dec, y;
};

Data seq2seq_data(std::int64_t n, std::uint64_t seed = 11) {
  Generator gen(seed);
  Tensor enc = Tensor::rand({n, 5, 2}, gen, DType::Float32, -1.0, 1.0);
  const auto e = enc.to_vector<float>();
  std::vector<float> y;
  for (std::int64_t i = 0; i < n; ++i) {
    float mean = 0.0f;
    for (std::int64_t t = 0; t < 5; ++t) mean += e[static_cast<std::size_t>((i * 5 + t) * 2)] / 5.0f;
    for (int s = 0; s < 3; ++s) y.push_back(mean);
  }
  return {enc, Tensor::zeros({n, 3, 1}), Tensor::from_vector(y, {n, 3, 1})};
}

// enc -> LSTM(8, return_state) -> [h, c] -> LSTM(8, return_sequences, initial_state) over dec -> Dense(1);
// with `state_output` the encoder's h is a second output.
std::shared_ptr<layers::Functional> seq2seq_net(bool state_output = false) {
  layers::clear_session();
  auto enc_in = layers::Input({.shape = Shape{-1, 2}, .name = "enc_in"});
  auto dec_in = layers::Input({.shape = Shape{-1, 1}, .name = "dec_in"});
  const KTs enc = layers::LSTM({.units = 8, .kernel_initializer = initializers::GlorotUniform{.seed = 1},
                                .recurrent_initializer = initializers::Orthogonal{.seed = 2}, .return_state = true,
                                .name = "encoder"})
                      .call_with_state(enc_in);
  const KTs dec = layers::LSTM({.units = 8, .kernel_initializer = initializers::GlorotUniform{.seed = 3},
                                .recurrent_initializer = initializers::Orthogonal{.seed = 4}, .return_sequences = true,
                                .name = "decoder"})
                      .call_with_state(dec_in, {enc[1], enc[2]});
  auto y = layers::Dense({.units = 1, .kernel_initializer = initializers::GlorotUniform{.seed = 5}, .name = "head"})(dec[0]);
  KTs outputs{y};
  if (state_output) outputs.push_back(enc[1]);
  return std::make_shared<layers::Functional>(KTs{enc_in, dec_in}, outputs, layers::FunctionalOptions{.name = "seq2seq"});
}

std::vector<Tensor> encoder_weights(const optim::Model& model) {
  std::vector<Tensor> out;
  for (const auto& v : model.network().weights())
    if (v->path.starts_with("seq2seq/encoder/")) out.push_back(v->value.deep_copy());
  return out;
}

}  // namespace

TEST_CASE("seq2seq: fit learns through the encoder's states", "[optim][seq2seq]") {
  const auto d = seq2seq_data(128);
  optim::Model model(seq2seq_net());
  model.compile({.optimizer = optim::Adam({.learning_rate = 0.01}), .loss = "mse"});
  const auto before = encoder_weights(model);
  REQUIRE(before.size() == 3);
  const auto history = model.fit({d.enc, d.dec}, d.y, {.batch_size = 16, .epochs = 30, .verbose = 0, .seed = 3});
  // The decoder sees zeros: getting below the 0.067 of the best constant needs the encoder's states.
  CHECK(history["loss"].front() > 0.05);
  CHECK(history["loss"].back() < 0.01);
  const auto after = encoder_weights(model);
  for (std::size_t i = 0; i < before.size(); ++i) CHECK_FALSE(same_values({before[i]}, {after[i]}));
}

TEST_CASE("seq2seq: a state among the outputs, with no loss on it", "[optim][seq2seq]") {
  const auto d = seq2seq_data(64);
  optim::Model model(seq2seq_net(true));
  model.compile({.optimizer = optim::Adam({.learning_rate = 0.01}), .losses = {"mse", optim::Loss()}});
  const auto history = model.fit({d.enc, d.dec}, {d.y, Tensor::zeros({64, 8})},
                                 {.batch_size = 16, .epochs = 3, .verbose = 0, .seed = 3});
  CHECK(history["loss"].back() < history["loss"].front());
  const auto outs = model.predict_outputs({d.enc, d.dec});
  REQUIRE(outs.size() == 2);
  CHECK(outs[1].shape() == Shape{64, 8});
  // The state output is the encoder's h: the encoder run alone gives it too.
  auto& net = dynamic_cast<layers::Functional&>(model.network());
  std::shared_ptr<layers::RNNBase> encoder;
  for (const auto& l : net.layers())
    if (l->name() == "encoder") encoder = std::dynamic_pointer_cast<layers::RNNBase>(l);
  REQUIRE(encoder);
  REQUIRE_CLOSE(outs[1], encoder->call_with_state(d.enc).states[0], 1e-6, 1e-7);
}

TEST_CASE("seq2seq: save, load_model and resume match an uninterrupted run", "[optim][seq2seq][saving]") {
  TempDir dir("seq2seq");
  const auto d = seq2seq_data(48);
  const optim::FitOptions options{.batch_size = 8, .epochs = 3, .verbose = 0, .seed = 5};
  auto compiled = [] {
    optim::Model m(seq2seq_net());
    m.compile({.optimizer = optim::Adam({.learning_rate = 0.01}), .loss = "mse"});
    return m;
  };
  optim::Model straight = compiled();
  const auto h3 = straight.fit({d.enc, d.dec}, d.y, options);
  optim::Model first = compiled();
  auto two_epochs = options;
  two_epochs.epochs = 2;
  first.fit({d.enc, d.dec}, d.y, two_epochs);
  first.save(dir.path / "ckpt/");

  // Keras 3's format: the decoder's initial_state in kwargs, the states by tensor_index.
  std::ifstream config_file(dir / "ckpt" / "config.json");
  const auto config = nlohmann::json::parse(config_file);
  bool found = false;
  for (const auto& l : config["config"]["layers"])
    if (l["name"] == "decoder") {
      const auto& states = l["inbound_nodes"][0]["kwargs"]["initial_state"];
      REQUIRE(states.size() == 2);
      CHECK(states[0]["config"]["keras_history"] == nlohmann::json::parse(R"(["encoder", 0, 1])"));
      CHECK(states[1]["config"]["keras_history"] == nlohmann::json::parse(R"(["encoder", 0, 2])"));
      found = true;
    }
  REQUIRE(found);

  optim::Model resumed = optim::load_model(dir / "ckpt");
  REQUIRE(resumed.network().get_config() == first.network().get_config());
  REQUIRE(resumed.predict({d.enc, d.dec}).to_vector<float>() == first.predict({d.enc, d.dec}).to_vector<float>());
  auto last_epoch = options;
  last_epoch.initial_epoch = 2;
  const auto h1 = resumed.fit({d.enc, d.dec}, d.y, last_epoch);
  CHECK(h1["loss"][0] == h3["loss"][2]);
}

TEST_CASE("Bidirectional in a Sequential: fit learns a sequence mean, save and load_model predict the same",
          "[optim][bidirectional][saving]") {
  // The mean of the first feature over time needs the whole sequence: both directions see it.
  const auto d = seq2seq_data(64);
  const Tensor y = reshape(slice(d.y, 1, 0, 1), {64, 1});
  auto build = [] {
    layers::clear_session();
    auto net = std::make_shared<layers::Sequential>(layers::SequentialOptions{.name = "bi_model", .input_shape = Shape{5, 2}});
    net->add(layers::Bidirectional(layers::LSTM({.units = 6, .return_sequences = true}), {.merge_mode = "sum"}));
    net->add(layers::Bidirectional(layers::GRU({.units = 4})));
    net->add(layers::Dense({.units = 1}));
    optim::Model m(net);
    m.compile({.optimizer = optim::Adam({.learning_rate = 0.01}), .loss = "mse"});
    return m;
  };
  optim::Model model = build();
  CHECK(model.network().weights().size() == 3 * 4 + 2);
  const auto h = model.fit(d.enc, y, {.batch_size = 8, .epochs = 15, .verbose = 0, .seed = 2});
  const auto& loss = h.history.at("loss");
  CHECK(loss.back() < 0.3 * loss.front());

  TempDir dir("bidirectional");
  model.save(dir / "bi.safetensors");
  optim::Model loaded = optim::load_model(dir / "bi.safetensors");
  CHECK(loaded.network().get_config() == model.network().get_config());
  CHECK(loaded.predict(d.enc).to_vector<float>() == model.predict(d.enc).to_vector<float>());
  // Keras's summary row for the wrapper: its merged output and both directions' weights.
  const auto& net = dynamic_cast<const layers::Sequential&>(model.network());
  CHECK(net.get_layer(0)->class_name() == "Bidirectional");
  CHECK(net.get_layer(0)->count_params() == 2 * (4 * 6 * (2 + 6 + 1)));
}
