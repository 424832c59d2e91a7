// What a user writes to add a layer of their own, end to end, through public headers only: an op
// with its backward (autograd::binary_pointwise), checked with gradcheck; a Layer subclass with a
// trainable weight; used in Sequential and functional models, trained by Model::fit, saved, and
// loaded back inside a CustomObjectScope or once the class is registered. The README's "Your own layer" section is this file.
//
// The layer is Snake (Ziyin et al., 2020, the periodic activation of audio decoders such as
// BigVGAN): y = x + sin(a x)^2 / a with a learnable frequency a per channel.
#include <cmath>

#include "minidl/layers/layer_config.h"
#include "optim/model_support.h"

using namespace minidl;

namespace {

// y = x + sin(a x)^2 / a, a broadcast over the last axis.
// dy/dx = 1 + sin(2 a x);  dy/da = x sin(2 a x) / a - sin(a x)^2 / a^2.
Tensor snake(const Tensor& x, const Tensor& alpha) {
  using std::sin;
  return autograd::binary_pointwise(
      "snake", x, alpha,
      [](auto x, auto a) {
        const auto s = sin(a * x);
        return x + s * s / a;
      },
      [](auto x, auto a, auto) { return 1 + sin(2 * a * x); },
      [](auto x, auto a, auto) {
        const auto s = sin(a * x);
        return x * sin(2 * a * x) / a - s * s / (a * a);
      });
}

struct SnakeOptions {
  double alpha_initial = 1.0;
  std::string name{};
  bool trainable = true;
  std::string dtype = "float32";
};

class Snake : public layers::Layer {
 public:
  MINIDL_SHAREABLE_LAYER(Snake)  // lets a temporary Snake() be called on a functional Input
  explicit Snake(const SnakeOptions& o = {})
      : Layer("Snake", {.name = o.name, .trainable = o.trainable, .dtype = o.dtype}), alpha_initial_(o.alpha_initial) {}

  static Snake from_config(const nlohmann::json& c) {
    SnakeOptions o{.alpha_initial = c.at("alpha_initial").get<double>()};
    layers::config::read_common(c, o);  // name, trainable, dtype
    return Snake(o);
  }
  nlohmann::json get_config() const override {
    auto c = Layer::get_config();
    c["alpha_initial"] = alpha_initial_;
    return c;
  }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  const VariablePtr& alpha() const { return alpha_; }

 protected:
  void build_impl(const Shape& input_shape) override {
    alpha_ = add_weight("alpha", {input_shape[input_shape.ndim() - 1]},
                        initializers::Constant{.value = alpha_initial_},
                        {}, constraints::NonNeg{});  // a <= 0 would flip or divide by zero
  }
  Tensor call(const Tensor& x, bool /*training*/) override { return snake(x, alpha_->value); }

 private:
  double alpha_initial_;
  VariablePtr alpha_;
};

// y = sin(3 x0) + 0.5 x1: periodic in x0, which Snake models with few units.
std::pair<Tensor, Tensor> periodic_data(std::int64_t n) {
  Generator gen(11);
  Tensor x = Tensor::rand({n, 2}, gen, DType::Float32, -2.0, 2.0);
  const auto xv = x.to_vector<float>();
  std::vector<float> y(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = std::sin(3.0f * xv[2 * i]) + 0.5f * xv[2 * i + 1];
  return {x, Tensor::from_vector(y, {n, 1})};
}

std::shared_ptr<layers::Sequential> snake_net() {
  auto net = std::make_shared<layers::Sequential>(layers::SequentialOptions{.input_shape = Shape{2}});
  net->add(layers::Dense({.units = 16, .kernel_initializer = initializers::GlorotUniform{.seed = 1}}));
  net->add(Snake({.alpha_initial = 2.0}));
  net->add(layers::Dense({.units = 1, .kernel_initializer = initializers::GlorotUniform{.seed = 2}}));
  return net;
}

}  // namespace

TEST_CASE("custom op: snake's forward by hand, its backward by float64 gradcheck", "[custom][gradcheck]") {
  const Tensor x = Tensor::from_vector(std::vector<double>{0.0, 0.5, -1.25, 2.0}, {2, 2});
  const Tensor a = Tensor::from_vector(std::vector<double>{1.0, 3.0}, {2});
  const auto y = snake(x, a).to_vector<double>();
  const double expected[4] = {0.0, 0.5 + std::pow(std::sin(1.5), 2) / 3, -1.25 + std::pow(std::sin(-1.25), 2),
                              2.0 + std::pow(std::sin(6.0), 2) / 3};
  for (int i = 0; i < 4; ++i) CHECK(y[static_cast<std::size_t>(i)] == Approx(expected[i]).epsilon(1e-12));

  // Gradients to x and to the broadcast a (summed over the batch by binary_pointwise).
  REQUIRE_GRADCHECK("snake", [](const std::vector<Tensor>& in) { return snake(in[0], in[1]); },
                    {test::random_leaf({3, 4}, 1, -2.0, 2.0), test::random_leaf({4}, 2, 0.5, 2.0)});
}

TEST_CASE("custom layer: builds its weight, passes gradcheck, trains in fit", "[custom][gradcheck]") {
  layers::clear_session();
  Snake layer({.alpha_initial = 1.5, .dtype = "float64"});
  Tensor x = test::random_leaf({3, 5}, 3, -2.0, 2.0);
  layer.build(x.shape());
  CHECK(layer.name() == "snake");  // Keras's automatic name from the class name
  REQUIRE(layer.trainable_weights().size() == 1);
  CHECK(layer.alpha()->value.shape() == Shape{5});
  CHECK(layer.alpha()->value.to_vector<double>() == std::vector<double>(5, 1.5));
  REQUIRE_GRADCHECK("Snake", [&layer](const std::vector<Tensor>& in) { return layer(in[0]); },
                    {x, layer.alpha()->value});

  // In a Sequential trained by fit: the loss falls well below the target's variance (about 0.75)
  // and the frequencies move.
  auto [xs, ys] = periodic_data(512);
  auto net = snake_net();
  optim::Model model(net);
  model.compile({.optimizer = optim::Adam({.learning_rate = 0.01}), .loss = "mse"});
  CHECK(net->count_params() == 2 * 16 + 16 + 16 + 16 + 1);
  const auto history = model.fit(xs, ys, {.batch_size = 32, .epochs = 40, .verbose = 0, .seed = 3});
  const auto& loss = history.history.at("loss");
  CHECK(loss.back() < 0.05);
  CHECK(loss.back() < 0.2 * loss.front());
  const auto trained_alpha = std::dynamic_pointer_cast<Snake>(net->layers()[1])->alpha()->value.to_vector<float>();
  CHECK(trained_alpha != std::vector<float>(16, 2.0f));
  for (float a : trained_alpha) CHECK(a >= 0.0f);  // the constraint travelled with the variable
}

TEST_CASE("custom layer: functional models and load_model after register_layer", "[custom][saving]") {
  test::TempDir dir("custom_layer");
  layers::clear_session();
  auto in = layers::Input({2});
  auto h = layers::Dense({.units = 8, .kernel_initializer = initializers::GlorotUniform{.seed = 4}})(in);
  auto out = layers::Dense({.units = 1})(layers::Add()({Snake()(h), h}));  // a residual Snake
  optim::Model model(std::make_shared<layers::Functional>(in, out));
  model.compile({.optimizer = "adam", .loss = "mse"});
  auto [xs, ys] = periodic_data(64);
  model.fit(xs, ys, {.batch_size = 16, .epochs = 2, .verbose = 0, .seed = 1});
  model.save(dir / "model.safetensors");

  // Not registered yet: the error names the class and the way out.
  REQUIRE_THROWS_WITH_ALL(optim::load_model(dir / "model.safetensors"), std::runtime_error,
                          "'Snake'", "register_layer");
  const optim::LayerFactory factory = [](const nlohmann::json& c) { return std::make_shared<Snake>(Snake::from_config(c)); };
  {
    // Keras's CustomObjectScope: known while it lives, forgotten after.
    optim::CustomObjectScope scope({{"Snake", factory}});
    CHECK(optim::load_model(dir / "model.safetensors").to_json()["config"] == model.to_json()["config"]);
  }
  CHECK_THROWS_AS(optim::load_model(dir / "model.safetensors"), std::runtime_error);
  // Keras's load_model(path, custom_objects={...}).
  CHECK(optim::load_model(dir / "model.safetensors", {.custom_objects = {{"Snake", factory}}}).to_json()["config"] ==
        model.to_json()["config"]);
  CHECK_THROWS_AS(optim::load_model(dir / "model.safetensors"), std::runtime_error);
  REQUIRE_THROWS_WITH_ALL(optim::CustomObjectScope({{"Snake", optim::LayerFactory()}}), std::invalid_argument,
                          "CustomObjectScope", "factory", "'Snake'");
  optim::register_layer("Snake", factory);
  optim::Model loaded = optim::load_model(dir / "model.safetensors");
  CHECK(loaded.to_json()["config"] == model.to_json()["config"]);
  const Tensor expected = model.predict(xs), actual = loaded.predict(xs);
  CHECK(actual.to_vector<float>() == expected.to_vector<float>());
  // Training resumes with the restored optimizer state: one more epoch each, same result.
  model.fit(xs, ys, {.batch_size = 16, .epochs = 1, .verbose = 0, .seed = 2});
  loaded.fit(xs, ys, {.batch_size = 16, .epochs = 1, .verbose = 0, .seed = 2});
  CHECK(loaded.predict(xs).to_vector<float>() == model.predict(xs).to_vector<float>());
}
