// A user's super-resolution model, written from the README and the headers alone: Fashion-MNIST
// images averaged down to 14x14 and mapped back to 28x28 by a functional model with three branches
// summed by Add: Conv2D (custom initializer callable, "l2") -> dilated Conv2D (L1L2) ->
// BatchNormalization -> Conv2DTranspose (output_padding, MaxNorm, activity_regularizer) -> Conv2D;
// a bilinear UpSampling2D skip; a channels_first Conv2DTranspose. Compiled with Adam + an
// ExponentialDecay + clipnorm and the mae metric, fitted with validation_split and the four usual
// callbacks, then evaluated against bilinear upsampling, saved, reloaded and resumed. Plus the
// gradcheck of a small layer of the user's own and the float64 path.
#include <fstream>
#include <sstream>

#include "model_support.h"

using namespace minidl;
using namespace minidl::test;

namespace {

bool have_fashion_mnist() {
  return std::filesystem::exists(io::fashion_mnist_dir() / "t10k-images-idx3-ubyte.gz");
}
#define SKIP_WITHOUT_FASHION_MNIST()                                                          \
  do {                                                                                        \
    if (!have_fashion_mnist()) {                                                              \
      WARN("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): skipped");   \
      return;                                                                                 \
    }                                                                                         \
  } while (0)

struct SuperResData {
  Tensor x_train, y_train, x_test, y_test;
};

SuperResData superres_data(std::int64_t n_train, std::int64_t n_test) {
  const auto train = io::load_fashion_mnist("train", {}, n_train);
  const auto test = io::load_fashion_mnist("test", {}, n_test);
  layers::AveragePooling2D down({.pool_size = 2});
  return {down(train.images), train.images, down(test.images), test.images};
}

// Peak signal-to-noise ratio for images in [0, 1].
double psnr(const Tensor& a, const Tensor& b) {
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  double s = 0.0;
  for (std::size_t i = 0; i < va.size(); ++i) s += (va[i] - vb[i]) * (va[i] - vb[i]);
  return 10.0 * std::log10(static_cast<double>(va.size()) / s);
}

// The user's initializer: a seeded small normal, as a plain lambda.
Tensor small_normal(const Shape& shape, DType dtype) {
  Generator gen(7);
  return Tensor::randn(shape, gen, dtype, 0.0, 0.05);
}

std::shared_ptr<layers::Functional> superres_net() {
  layers::clear_session();
  auto inp = layers::Input({14, 14, 1});
  auto h = layers::Conv2D({.filters = 8, .kernel_size = 3, .padding = "same", .activation = "relu",
                           .kernel_initializer = [](const Shape& s, DType d) { return small_normal(s, d); },
                           .kernel_regularizer = "l2", .name = "features"})(inp);
  h = layers::Conv2D({.filters = 8, .kernel_size = 3, .padding = "same", .dilation_rate = 2, .activation = "relu",
                      .kernel_initializer = initializers::GlorotUniform{.seed = 2},
                      .kernel_regularizer = regularizers::L1L2{.l1 = 1e-6, .l2 = 1e-5}, .name = "dilated"})(h);
  h = layers::BatchNormalization({.momentum = 0.9, .name = "bn"})(h);
  h = layers::Conv2DTranspose({.filters = 8, .kernel_size = 3, .strides = 2, .padding = "same", .output_padding = 1,
                               .activation = "relu", .kernel_initializer = initializers::GlorotUniform{.seed = 3},
                               .activity_regularizer = regularizers::L2{.l2 = 1e-6},
                               .kernel_constraint = constraints::MaxNorm{.max_value = 2, .axis = {0, 1, 2}},
                               .name = "up"})(h);
  auto residual = layers::Conv2D({.filters = 1, .kernel_size = 3, .padding = "same",
                                  .kernel_initializer = initializers::GlorotUniform{.seed = 4}, .name = "residual"})(h);
  auto bilinear = layers::UpSampling2D({.size = 2, .interpolation = "bilinear", .name = "bilinear"})(inp);
  auto planar = layers::Reshape({.target_shape = {1, 14, 14}})(inp);  // one channel: a free NHWC -> NCHW
  planar = layers::Conv2DTranspose({.filters = 1, .kernel_size = 4, .strides = 2, .padding = "same",
                                    .data_format = "channels_first",
                                    .kernel_initializer = initializers::GlorotUniform{.seed = 5}, .name = "planar_up"})(planar);
  planar = layers::Reshape({.target_shape = {28, 28, 1}})(planar);
  auto y = layers::Add()({residual, bilinear, planar});
  return std::make_shared<layers::Functional>(inp, y, layers::FunctionalOptions{.name = "superres"});
}

optim::Model compiled_superres() {
  optim::Model model(superres_net());
  model.compile({.optimizer = optim::Adam({.learning_rate = optim::ExponentialDecay(3e-3, 40, 0.9), .clipnorm = 1.0}),
                 .loss = "mse", .metrics = {"mae"}});
  return model;
}

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A layer of the user's own: y = x * scale + shift per channel, from existing ops.
class ChannelAffine : public layers::Layer {
 public:
  MINIDL_SHAREABLE_LAYER(ChannelAffine)
  explicit ChannelAffine(std::string dtype) : Layer("ChannelAffine", {.dtype = std::move(dtype)}) {}
  Shape compute_output_shape(const Shape& s) const override { return s; }
  VariablePtr scale, shift;

 protected:
  void build_impl(const Shape& s) override {
    scale = add_weight("scale", {s[s.ndim() - 1]}, initializers::Constant{.value = 1.5});
    shift = add_weight("shift", {s[s.ndim() - 1]}, initializers::RandomNormal{.seed = 5});
  }
  Tensor call(const Tensor& x, bool) override { return x * scale->value + shift->value; }
};

}  // namespace

TEST_CASE("user trial superres: a Conv2DTranspose decoder beats bilinear upsampling, with the usual callbacks",
          "[user_trial][fashion_mnist]") {
  SKIP_WITHOUT_FASHION_MNIST();
  const auto d = superres_data(640, 200);
  REQUIRE(d.x_train.shape() == Shape{640, 14, 14, 1});
  const TempDir dir("superres_fit");
  auto model = compiled_superres();
  REQUIRE(model.network().compute_output_shape(Shape{-1, 14, 14, 1}) == Shape{-1, 28, 28, 1});

  auto stopping = std::make_shared<optim::EarlyStopping>(
      optim::EarlyStoppingOptions{.patience = 2, .restore_best_weights = true});
  const int epochs = 8;
  const std::int64_t batch = 32;
  const auto history = model.fit(
      d.x_train, d.y_train,
      {.batch_size = batch, .epochs = epochs, .verbose = 0,
       .callbacks = {stopping, optim::ModelCheckpoint((dir / "best.safetensors").string(), {.save_best_only = true}),
                     optim::ReduceLROnPlateau({.factor = 0.5, .patience = 10}),  // too patient to fire: a schedule cannot be set
                     optim::CSVLogger(dir / "log.csv")},
       .validation_split = 0.25, .seed = 1});
  const auto& loss = history["loss"];
  const auto& val_loss = history["val_loss"];
  REQUIRE(loss.size() == static_cast<std::size_t>(epochs));  // val_loss keeps improving here
  CHECK(loss.back() < 0.5 * loss.front());

  // ReduceLROnPlateau logs the schedule's rate at the optimizer's step count, as Keras.
  const std::int64_t steps = 480 / batch;
  CHECK(history["learning_rate"].back() == Approx(3e-3 * std::pow(0.9, epochs * steps / 40.0)).epsilon(1e-9));

  // The CSV: Python csv's header and one row per epoch.
  const auto csv = read_lines(dir / "log.csv");
  REQUIRE(csv.size() == static_cast<std::size_t>(epochs + 1));
  CHECK(csv[0] == "epoch,learning_rate,loss,mae,val_loss,val_mae\r");

  // Better than the bilinear baseline on unseen images, by a margin.
  const Tensor pred = model.predict(d.x_test);
  const Tensor bilinear = layers::UpSampling2D({.size = 2, .interpolation = "bilinear"})(d.x_test);
  const double model_psnr = psnr(pred, d.y_test), bilinear_psnr = psnr(bilinear, d.y_test);
  INFO("PSNR model " << model_psnr << " dB, bilinear " << bilinear_psnr << " dB");
  CHECK(model_psnr > bilinear_psnr + 0.5);

  // save_best_only kept the epoch with the lowest val_loss: evaluated on the validation rows (the
  // last quarter, same batch size) it reproduces that value.
  auto best = optim::load_model(dir / "best.safetensors");
  const Tensor x_val = d.x_train.slice(0, 480, 640), y_val = d.y_train.slice(0, 480, 640);
  const double best_val = *std::min_element(val_loss.begin(), val_loss.end());
  CHECK(best.evaluate(x_val, y_val, {.batch_size = batch, .verbose = 0}).at("loss") == Approx(best_val).epsilon(1e-5));
}

TEST_CASE("user trial superres: save, load_model (custom initializer callable), load_weights and resume",
          "[user_trial][fashion_mnist][saving]") {
  SKIP_WITHOUT_FASHION_MNIST();
  const auto d = superres_data(256, 64);
  const TempDir dir("superres_save");
  auto model = compiled_superres();
  model.fit(d.x_train, d.y_train, {.batch_size = 32, .epochs = 1, .verbose = 0, .seed = 3});
  model.save(dir / "model.safetensors");
  // The config names the callable "Custom"; load_model takes its weights from the file.
  CHECK(model.to_json().dump().find("\"class_name\":\"Custom\"") != std::string::npos);
  auto loaded = optim::load_model(dir / "model.safetensors");

  const Tensor p = model.predict(d.x_test), q = loaded.predict(d.x_test);
  CHECK(p.to_vector<float>() == q.to_vector<float>());
  CHECK(loaded.evaluate(d.x_test, d.y_test, {.verbose = 0}).at("mae") ==
        model.evaluate(d.x_test, d.y_test, {.verbose = 0}).at("mae"));

  // Keras's other route: the architecture in code, then load_weights from the whole-model file
  // (its optimizer entries are not weights and are left out).
  auto in_code = compiled_superres();
  in_code.load_weights(dir / "model.safetensors");
  CHECK(in_code.predict(d.x_test).to_vector<float>() == p.to_vector<float>());

  const optim::FitOptions resume{.batch_size = 32, .epochs = 3, .verbose = 0, .initial_epoch = 1, .seed = 3};
  const auto a = model.fit(d.x_train, d.y_train, resume);
  const auto b = loaded.fit(d.x_train, d.y_train, resume);
  CHECK(b["loss"] == a["loss"]);
  CHECK(b.epoch == std::vector<int>{1, 2});
  CHECK(loaded.optimizer().iterations() == model.optimizer().iterations());
  CHECK(same_values(loaded.get_weights(), model.get_weights()));
}

TEST_CASE("user trial superres: a custom initializer read back from a config refuses to make fresh weights",
          "[user_trial][saving]") {
  layers::clear_session();
  layers::Conv2D conv({.filters = 2, .kernel_size = 3, .kernel_initializer = [](const Shape& s, DType t) {
    return small_normal(s, t);
  }});
  const auto config = conv.get_config();
  CHECK(config["kernel_initializer"]["class_name"] == "Custom");
  auto rebuilt = layers::Conv2D::from_config(config);
  REQUIRE_THROWS_WITH_ALL(rebuilt.build(Shape{1, 5, 5, 1}), std::invalid_argument, "custom initializer",
                          "(3, 3, 1, 2)", "optim::load_model");
}

TEST_CASE("user trial superres: gradcheck of the user's own layer and of the arguments used above",
          "[user_trial][gradcheck]") {
  layers::clear_session();
  ChannelAffine affine("float64");
  const Tensor x = random_leaf({2, 3, 3, 4}, 1);
  affine.build(x.shape());
  REQUIRE_GRADCHECK("ChannelAffine", [&](const std::vector<Tensor>& in) { return affine(in[0]); },
                    {x, affine.scale->value, affine.shift->value});

  layers::Conv2DTranspose up({.filters = 2, .kernel_size = 3, .strides = 2, .padding = "same", .output_padding = 1,
                              .data_format = "channels_first", .dtype = "float64"});
  const Tensor xt = random_leaf({2, 3, 4, 5}, 2);
  up.build(xt.shape());
  CHECK(up.compute_output_shape(xt.shape()) == Shape{2, 2, 8, 10});
  REQUIRE_GRADCHECK("Conv2DTranspose channels_first output_padding",
                    [&](const std::vector<Tensor>& in) { return up(in[0]); }, {xt, up.kernel()->value, up.bias()->value});

  layers::Conv2D dilated({.filters = 2, .kernel_size = 3, .padding = "same", .dilation_rate = 2, .dtype = "float64"});
  const Tensor xd = random_leaf({2, 7, 6, 3}, 3);
  dilated.build(xd.shape());
  REQUIRE_GRADCHECK("Conv2D dilation_rate 2", [&](const std::vector<Tensor>& in) { return dilated(in[0]); },
                    {xd, dilated.kernel()->value});
}

TEST_CASE("user trial superres: the float64 path trains and predicts in float64", "[user_trial][fashion_mnist]") {
  SKIP_WITHOUT_FASHION_MNIST();
  const auto d = superres_data(128, 8);
  layers::clear_session();
  auto inp = layers::Input({.shape = Shape{14, 14, 1}, .dtype = "float64"});
  auto h = layers::Conv2D({.filters = 4, .kernel_size = 3, .padding = "same", .activation = "relu",
                           .kernel_initializer = initializers::GlorotUniform{.seed = 1}, .dtype = "float64"})(inp);
  h = layers::BatchNormalization({.dtype = "float64"})(h);
  h = layers::Conv2DTranspose({.filters = 1, .kernel_size = 3, .strides = 2, .padding = "same", .output_padding = 1,
                               .kernel_initializer = initializers::GlorotUniform{.seed = 2}, .dtype = "float64"})(h);
  optim::Model model(std::make_shared<layers::Functional>(inp, h));
  model.compile({.optimizer = optim::Adam({.learning_rate = 1e-2, .clipnorm = 1.0}), .loss = "mse", .metrics = {"mae"}});
  const Tensor x = d.x_train.to(DType::Float64), y = d.y_train.to(DType::Float64);
  const auto history = model.fit(x, y, {.batch_size = 32, .epochs = 4, .verbose = 0, .seed = 2});
  CHECK(history["loss"].back() < 0.5 * history["loss"].front());
  for (const auto& w : model.weights()) CHECK(w->value.dtype() == DType::Float64);
  CHECK(model.predict(d.x_test.to(DType::Float64)).dtype() == DType::Float64);
}
