// optim::Model on a functional model with two inputs, as Keras's model.fit([x1, x2], y): training
// with shuffling, fit against a hand-written train_on_batch loop, predict, validation_split, the
// input checks, and save / load_model / resume.
#include <fstream>

#include "model_support.h"

using namespace minidl;
using namespace minidl::test;

namespace {

struct TwoInputData {
  Tensor a, b, y;
};

// a: (n, 3), b: (n, 2), uniform in [-1, 1]; y = 2 a0 - a1 + 0.5 a2 + 1.5 b0 - b1 + 0.2. Both inputs
// carry a large share of y's variance (1.75 from a, 1.08 from b), so a model fed b's rows in another
// order than a's cannot get its loss below about 1.
TwoInputData two_input_data(std::int64_t n, std::uint64_t seed = 5) {
  Generator gen(seed);
  Tensor a = Tensor::rand({n, 3}, gen, DType::Float32, -1.0, 1.0);
  Tensor b = Tensor::rand({n, 2}, gen, DType::Float32, -1.0, 1.0);
  const auto av = a.to_vector<float>(), bv = b.to_vector<float>();
  std::vector<float> y(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < y.size(); ++i)
    y[i] = 2.0f * av[3 * i] - av[3 * i + 1] + 0.5f * av[3 * i + 2] + 1.5f * bv[2 * i] - bv[2 * i + 1] + 0.2f;
  return {a, b, Tensor::from_vector(y, {n, 1})};
}

// a -> dense(8, relu) -+
//                      +-> concatenate -> dense(1), seeded, so every call gives the same weights.
// b -> dense(8, relu) -+
std::shared_ptr<layers::Functional> two_input_net() {
  layers::clear_session();
  auto a = layers::Input({.shape = Shape{3}, .name = "a"});
  auto b = layers::Input({.shape = Shape{2}, .name = "b"});
  auto ha = layers::Dense({.units = 8, .activation = "relu", .kernel_initializer = initializers::GlorotUniform{.seed = 1}, .name = "da"})(a);
  auto hb = layers::Dense({.units = 8, .activation = "relu", .kernel_initializer = initializers::GlorotUniform{.seed = 2}, .name = "db"})(b);
  auto c = layers::Concatenate()({ha, hb});
  auto y = layers::Dense({.units = 1, .kernel_initializer = initializers::GlorotUniform{.seed = 3}, .name = "out"})(c);
  return std::make_shared<layers::Functional>(std::vector<layers::KerasTensor>{a, b}, y,
                                              layers::FunctionalOptions{.name = "two_inputs"});
}

optim::Model compiled_model(double learning_rate = 0.01) {
  optim::Model m(two_input_net());
  m.compile({.optimizer = optim::Adam({.learning_rate = learning_rate}), .loss = "mse"});
  return m;
}

Tensor rows_of(const Tensor& t, std::int64_t begin, std::int64_t end) { return t.slice(0, begin, end); }

}  // namespace

TEST_CASE("multi-input: fit with shuffling learns a target that needs both inputs", "[optim][multi_input]") {
  const auto d = two_input_data(256);
  optim::Model model = compiled_model(0.02);
  const auto history = model.fit({d.a, d.b}, d.y, {.batch_size = 16, .epochs = 40, .verbose = 0, .shuffle = true, .seed = 9});
  CHECK(history["loss"].back() < 0.01);

  // The control: b's rows in another order than a's and y's (what shuffling one input alone would
  // do) leave b's share of the variance unexplained.
  Generator gen(17);
  const Tensor b_permuted = io::gather_rows(d.b, io::shuffled_indices(256, gen));
  optim::Model control = compiled_model(0.02);
  const auto control_history =
      control.fit({d.a, b_permuted}, d.y, {.batch_size = 16, .epochs = 40, .verbose = 0, .shuffle = true, .seed = 9});
  CHECK(control_history["loss"].back() > 0.5);
}

TEST_CASE("multi-input: fit over one epoch without shuffling is train_on_batch on the same slices",
          "[optim][multi_input]") {
  const auto d = two_input_data(20);
  optim::Model fitted = compiled_model();
  const auto history = fitted.fit(std::vector<Tensor>{d.a, d.b}, d.y, {.batch_size = 8, .epochs = 1, .verbose = 0, .shuffle = false});

  optim::Model manual = compiled_model();
  double weighted = 0.0;
  for (std::int64_t begin = 0; begin < 20; begin += 8) {  // batches 0-7, 8-15, 16-19
    const std::int64_t end = std::min<std::int64_t>(begin + 8, 20);
    const auto logs = manual.train_on_batch({rows_of(d.a, begin, end), rows_of(d.b, begin, end)}, rows_of(d.y, begin, end));
    weighted += logs.at("loss") * static_cast<double>(end - begin);
  }
  CHECK(same_values(fitted.get_weights(), manual.get_weights()));
  // Keras's loss tracker: the batch losses averaged with the batch sizes as weights.
  CHECK(history["loss"][0] == Approx(weighted / 20).epsilon(1e-6));
}

TEST_CASE("multi-input: predict on a vector equals calling the model", "[optim][multi_input]") {
  const auto d = two_input_data(23);
  optim::Model model = compiled_model();
  const Tensor predicted = model.predict(std::vector<Tensor>{d.a, d.b}, {.batch_size = 7});  // batches 7, 7, 7, 2
  Tensor called;
  {
    NoGradGuard no_grad;
    called = model({d.a, d.b});
  }
  REQUIRE(predicted.shape() == Shape{23, 1});
  const auto p = predicted.to_vector<float>(), c = called.to_vector<float>();
  for (std::size_t i = 0; i < p.size(); ++i) CHECK(p[i] == Approx(c[i]).margin(1e-6));

  // Row 5 by hand from the weights: out(concat(relu(a W_a + b_a), relu(b W_b + b_b))).
  auto& net = dynamic_cast<layers::Functional&>(model.network());
  const auto wa = net.get_layer("da")->get_weights(), wb = net.get_layer("db")->get_weights(),
             wo = net.get_layer("out")->get_weights();
  const auto ka = wa[0].to_vector<double>(), ba = wa[1].to_vector<double>(), kb = wb[0].to_vector<double>(),
             bb = wb[1].to_vector<double>(), ko = wo[0].to_vector<double>(), bo = wo[1].to_vector<double>();
  const auto av = d.a.to_vector<double>(), bv = d.b.to_vector<double>();
  const std::size_t r = 5;
  double out = bo[0];
  for (std::size_t j = 0; j < 8; ++j) {
    double ha = ba[j], hb = bb[j];
    for (std::size_t k = 0; k < 3; ++k) ha += av[3 * r + k] * ka[k * 8 + j];
    for (std::size_t k = 0; k < 2; ++k) hb += bv[2 * r + k] * kb[k * 8 + j];
    out += std::max(ha, 0.0) * ko[j] + std::max(hb, 0.0) * ko[8 + j];
  }
  CHECK(p[r] == Approx(out).margin(1e-5));
}

TEST_CASE("multi-input: validation_split holds out the last fraction of every input", "[optim][multi_input]") {
  const auto d = two_input_data(20);
  optim::Model split = compiled_model();
  const auto history = split.fit({d.a, d.b}, d.y, {.batch_size = 4, .epochs = 2, .verbose = 0, .validation_split = 0.25, .seed = 3});

  // Training saw samples 0-14 of each input, validation 15-19 of each.
  optim::Model head = compiled_model();
  head.fit({rows_of(d.a, 0, 15), rows_of(d.b, 0, 15)}, rows_of(d.y, 0, 15), {.batch_size = 4, .epochs = 2, .verbose = 0, .seed = 3});
  CHECK(same_values(split.get_weights(), head.get_weights()));
  const double tail_loss =
      split.evaluate({rows_of(d.a, 15, 20), rows_of(d.b, 15, 20)}, rows_of(d.y, 15, 20), {.batch_size = 4, .verbose = 0}).at("loss");
  CHECK(history["val_loss"].back() == tail_loss);

  // validation_data takes the same (x, y) form as fit.
  optim::Model with_data = compiled_model();
  const auto h2 = with_data.fit(
      {rows_of(d.a, 0, 15), rows_of(d.b, 0, 15)}, rows_of(d.y, 0, 15),
      {.batch_size = 4, .epochs = 2, .verbose = 0,
       .validation_data = std::pair{optim::ModelInputs{rows_of(d.a, 15, 20), rows_of(d.b, 15, 20)}, rows_of(d.y, 15, 20)},
       .seed = 3});
  CHECK(h2["val_loss"].back() == tail_loss);
}

TEST_CASE("multi-input: sample counts and input counts are checked with clear errors", "[optim][multi_input][errors]") {
  const auto d = two_input_data(8);
  optim::Model model = compiled_model();
  const Tensor b7 = rows_of(d.b, 0, 7), y7 = rows_of(d.y, 0, 7);

  REQUIRE_THROWS_WITH_ALL(model.fit({d.a, b7}, d.y, {.verbose = 0}), std::invalid_argument, "Model.fit", "input 1",
                          "7 samples", "y with 8 samples");
  REQUIRE_THROWS_WITH_ALL(model.evaluate({d.a, d.b}, y7, {.verbose = 0}), std::invalid_argument, "Model.evaluate",
                          "input 0 with 8 samples", "y with 7 samples");
  REQUIRE_THROWS_WITH_ALL(model.train_on_batch({d.a, b7}, d.y), std::invalid_argument, "train_on_batch", "input 1",
                          "7 samples", "8 samples");
  REQUIRE_THROWS_WITH_ALL(model.predict({d.a, b7}), std::invalid_argument, "Model.predict", "input 1 with 7 samples",
                          "input 0 with 8 samples");
  REQUIRE_THROWS_WITH_ALL(
      model.fit({d.a, d.b}, d.y, {.verbose = 0, .validation_data = std::pair{optim::ModelInputs{d.a, b7}, d.y}}),
      std::invalid_argument, "validation_data", "input 1", "7 samples", "8 samples");
  REQUIRE_THROWS_WITH_ALL(model.fit({d.a, Tensor()}, d.y, {.verbose = 0}), std::invalid_argument, "input 1",
                          "batch axis", "undefined");
  REQUIRE_THROWS_WITH_ALL(model.fit(std::vector<Tensor>{}, d.y, {.verbose = 0}), std::invalid_argument,
                          "no input tensors");

  // Keras's wording for a wrong number of inputs, from fit, evaluate, predict, a call and build.
  const char* one = "Layer \"two_inputs\" expects 2 input(s), but it received 1 input tensors.";
  REQUIRE_THROWS_WITH_ALL(model.fit(d.a, d.y, {.verbose = 0}), std::invalid_argument, one);
  REQUIRE_THROWS_WITH_ALL(model.evaluate({d.a, d.b, d.b}, d.y, {.verbose = 0}), std::invalid_argument,
                          "Layer \"two_inputs\" expects 2 input(s), but it received 3 input tensors.");
  REQUIRE_THROWS_WITH_ALL(model.predict(d.a), std::invalid_argument, one);
  REQUIRE_THROWS_WITH_ALL(model(d.a), std::invalid_argument, one);
  REQUIRE_THROWS_WITH_ALL(model.build(Shape{-1, 3}), std::invalid_argument, one);
  REQUIRE(model.history().epoch.empty());

  // A one-input model given two tensors.
  optim::Model single(regression_net());
  single.compile({.optimizer = "sgd", .loss = "mse"});
  REQUIRE_THROWS_WITH_ALL(single.fit({d.a, d.a}, d.y, {.verbose = 0}), std::invalid_argument,
                          "expects 1 input(s), but it received 2 input tensors.");
}

TEST_CASE("multi-input: save, load_model and resume match an uninterrupted run", "[optim][multi_input][saving]") {
  TempDir dir("multi_input");
  const auto d = two_input_data(48);
  const optim::FitOptions options{.batch_size = 8, .epochs = 3, .verbose = 0, .seed = 5};
  optim::Model straight = compiled_model();
  const auto h3 = straight.fit({d.a, d.b}, d.y, options);

  optim::Model first = compiled_model();
  auto two_epochs = options;
  two_epochs.epochs = 2;
  first.fit({d.a, d.b}, d.y, two_epochs);
  REQUIRE(first.input_shapes() == std::vector<Shape>{Shape{-1, 3}, Shape{-1, 2}});
  REQUIRE_THROWS_WITH_ALL(first.input_shape(), std::invalid_argument, "2 inputs", "input_shapes()");
  first.save(dir.path / "ckpt/");

  // Keras 3's build_config for several inputs: a list of shapes.
  std::ifstream config_file(dir / "ckpt" / "config.json");
  const auto config = nlohmann::json::parse(config_file);
  CHECK(config["build_config"] == nlohmann::json::parse(R"({"input_shape": [[null, 3], [null, 2]]})"));

  optim::Model resumed = optim::load_model(dir / "ckpt");
  REQUIRE(resumed.input_shapes() == first.input_shapes());
  REQUIRE(resumed.network().get_config() == first.network().get_config());
  REQUIRE(resumed.predict({d.a, d.b}).to_vector<float>() == first.predict({d.a, d.b}).to_vector<float>());
  auto last_epoch = options;
  last_epoch.initial_epoch = 2;
  const auto h1 = resumed.fit({d.a, d.b}, d.y, last_epoch);
  // Bit for bit: the same batches, weights and Adam moments as the uninterrupted run.
  CHECK(h1["loss"][0] == h3["loss"][2]);
  CHECK(same_values(resumed.get_weights(), straight.get_weights()));
}
