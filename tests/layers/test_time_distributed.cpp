// Keras's TimeDistributed wrapper against the real Keras 3 (fixture: tests/reference/keras_time_distributed.py):
// Dense, Conv2D on frames, a Sequential with BatchNormalization (inference, and training with per-step
// statistics and moving averages) and Flatten -> Dense: outputs, gradients w.r.t. the input and the
// weights, the mask passed through, get_config and Keras's model config loaded. Also a float64
// gradient check and Keras's errors.
#include "support/keras_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;

namespace {

std::shared_ptr<Layer> inner(const std::string& kind, const std::string& dtype = "float32") {
  if (kind == "dense") return std::make_shared<Dense>(DenseOptions{.units = 4, .activation = "tanh", .name = "d", .dtype = dtype});
  if (kind == "conv")
    return std::make_shared<Conv2D>(Conv2DOptions{.filters = 3, .kernel_size = 3, .strides = 2, .padding = "same",
                                                  .activation = "relu", .name = "c"});
  auto seq = std::make_shared<Sequential>(SequentialOptions{.name = kind == "sequential_bn" ? "block" : "head", .dtype = dtype});
  if (kind == "sequential_bn") {
    seq->add(std::make_shared<Dense>(DenseOptions{.units = 4, .name = "d1", .dtype = dtype}));
    seq->add(std::make_shared<BatchNormalization>(BatchNormalizationOptions{.momentum = 0.8, .name = "bn", .dtype = dtype}));
    seq->add(std::make_shared<Activation>(ActivationOptions{.activation = "relu", .name = "act", .dtype = dtype}));
  } else {
    seq->add(std::make_shared<Flatten>(FlattenOptions{.name = "f"}));
    seq->add(std::make_shared<Dense>(DenseOptions{.units = 2, .name = "d2"}));
  }
  return seq;
}

std::shared_ptr<Functional> model_for(const json& c) {
  clear_session();
  const Shape shape = test::shape_from_json(c["shape"]);
  std::vector<std::int64_t> rest(shape.dims().begin() + 1, shape.dims().end());
  auto x = Input({.shape = Shape(rest.begin(), rest.end()), .name = "x"});
  KerasTensor h = c["lengths"].is_null() ? x : Masking({.mask_value = 0.0, .name = "mask"})(x);
  auto td = std::make_shared<TimeDistributed>(inner(c["kind"]), TimeDistributedOptions{.name = "td"});
  return std::make_shared<Functional>(x, (*td)(h), FunctionalOptions{.name = "model"});
}

Tensor case_input(const json& c) {
  const Shape shape = test::shape_from_json(c["shape"]);
  Tensor x = test::pattern(shape, c["seed"]);
  if (c["lengths"].is_null()) return x;
  std::vector<float> v = x.to_vector<float>();
  const std::int64_t step = shape.numel() / (shape[0] * shape[1]);
  for (std::int64_t b = 0; b < shape[0]; ++b)
    for (std::int64_t t = c["lengths"][static_cast<std::size_t>(b)].get<std::int64_t>(); t < shape[1]; ++t)
      for (std::int64_t i = 0; i < step; ++i) v[static_cast<std::size_t>((b * shape[1] + t) * step + i)] = 0.0f;
  return Tensor::from_vector(v, shape);
}

void set_case_weights(Layer& model, const json& c) {
  const auto weights = model.weights();
  REQUIRE(weights.size() == c["weights"].size());
  std::vector<Tensor> values;
  for (std::size_t j = 0; j < weights.size(); ++j) {
    const json& k = c["weights"][j];
    INFO("ours " << weights[j]->path << " keras " << k["path"]);
    CHECK(weights[j]->path == "model/" + k["path"].get<std::string>());
    Tensor v = test::pattern(weights[j]->value.shape(), c["seed"].get<std::int64_t>() + 100 + static_cast<std::int64_t>(j));
    if (k["path"].get<std::string>().ends_with("moving_variance")) v = abs(v) + 0.5;
    values.push_back(v);
  }
  model.set_weights(values);
}

using test::fixture_tensor;

}  // namespace

TEST_CASE("TimeDistributed matches Keras: outputs, masks, gradients, batch statistics", "[layers][time_distributed][keras]") {
  const auto fx = test::load_fixture("keras_time_distributed.json");
  REQUIRE(fx["cases"].size() == 6);
  for (const auto& c : fx["cases"]) {
    INFO("case " << c["name"]);
    auto model = model_for(c);
    set_case_weights(*model, c);
    const Shape out_shape = test::shape_from_json(c["output"]["shape"]);
    const Tensor x = case_input(c);
    const auto y = model->call_outputs_masked({x}, {}, false);
    REQUIRE_CLOSE(y[0].value, fixture_tensor(c["output"]["y"], out_shape), 1e-5, 1e-6);
    if (!c["lengths"].is_null()) {
      REQUIRE(y[0].mask.defined());
      CHECK(y[0].mask.to_vector<double>() == c["output_mask"].get<std::vector<double>>());
    }
    const bool training = c["training"];
    Tensor xg = x.detach();
    xg.set_requires_grad(true);
    const Tensor out = model->call_outputs({xg}, training)[0];
    if (training) REQUIRE_CLOSE(out, fixture_tensor(c["output_training"], out_shape), 1e-5, 1e-6);
    (out * test::pattern(out.shape(), c["seed"].get<std::int64_t>() + 200)).sum().backward();
    REQUIRE_CLOSE(xg.grad(), fixture_tensor(c["grads_input"], x.shape()), 1e-5, 1e-6);
    const auto trainable = model->trainable_weights();
    REQUIRE(trainable.size() == c["grads_weights"].size());
    for (std::size_t j = 0; j < trainable.size(); ++j) {
      INFO("gradient of " << trainable[j]->path);
      // atol 1e-5: the Dense bias before BatchNormalization has a zero gradient, float32 noise on both sides.
      REQUIRE_CLOSE(trainable[j]->value.grad(), fixture_tensor(c["grads_weights"][j], trainable[j]->value.shape()), 1e-5, 1e-5);
    }
    if (training) {  // one moving-average update per timestep, as Keras's per-step calls
      const auto moving = model->non_trainable_weights();
      REQUIRE(moving.size() == c["moving_after_training"].size());
      for (std::size_t j = 0; j < moving.size(); ++j)
        REQUIRE_CLOSE(moving[j]->value, fixture_tensor(c["moving_after_training"][j], moving[j]->value.shape()), 1e-5, 1e-6);
    }
  }
}

TEST_CASE("TimeDistributed's config is Keras's; Keras's model configs load", "[layers][time_distributed][keras]") {
  const auto fx = test::load_fixture("keras_time_distributed.json");
  for (const auto& c : fx["cases"]) {
    INFO("case " << c["name"]);
    auto model = model_for(c);
    const auto td = std::dynamic_pointer_cast<TimeDistributed>(model->get_layer("td"));
    REQUIRE(td);
    const json ours = td->get_config(), keras = c["layer_config"];
    CHECK(ours["name"] == keras["name"]);
    CHECK(ours["layer"]["class_name"] == keras["layer"]["class_name"]);
    if (keras["layer"]["class_name"] != "Sequential")
      test::require_same_config(keras["layer"]["class_name"], ours["layer"]["config"], keras["layer"]["config"]);
    auto again = std::dynamic_pointer_cast<TimeDistributed>(optim::layer_from_config({{"class_name", "TimeDistributed"}, {"config", ours}}));
    REQUIRE(again);
    CHECK(again->get_config() == ours);
    auto loaded = std::dynamic_pointer_cast<Functional>(optim::layer_from_config({{"class_name", "Functional"}, {"config", c["model_config"]}}));
    REQUIRE(loaded);
    set_case_weights(*loaded, c);
    REQUIRE_CLOSE(loaded->call_outputs({case_input(c)}, false)[0],
                  fixture_tensor(c["output"]["y"], test::shape_from_json(c["output"]["shape"])), 1e-5, 1e-6);
  }
}

TEST_CASE("TimeDistributed: float64 gradient check, shapes and errors", "[layers][time_distributed][gradcheck][errors]") {
  clear_session();
  TimeDistributed td(inner("dense", "float64"), {.dtype = "float64"});
  CHECK(td.name() == "time_distributed");
  CHECK(td.compute_output_shape({-1, 7, 3}) == Shape{-1, 7, 4});
  std::uint64_t seed = 60;
  std::vector<Tensor> inputs{test::random_leaf({2, 3, 3}, ++seed)};
  td.build({2, 3, 3});
  for (const auto& v : td.weights()) {
    v->assign(test::random_leaf(v->value.shape(), ++seed).detach());
    inputs.push_back(v->value);
  }
  REQUIRE_GRADCHECK("TimeDistributed(Dense)", [&](const std::vector<Tensor>& in) { return td(in[0]); }, inputs);

  TimeDistributed bn(inner("sequential_bn", "float64"), {.dtype = "float64"});
  const Tensor x = test::random_leaf({3, 2, 3}, 70);
  bn.build(x.shape());
  std::vector<Tensor> bn_inputs{x};
  for (const auto& v : bn.trainable_weights()) bn_inputs.push_back(v->value);
  REQUIRE_GRADCHECK("TimeDistributed(BatchNormalization) training, step by step",
                    [&](const std::vector<Tensor>& in) { return bn(in[0], true); }, bn_inputs);

  REQUIRE_THROWS_WITH_ALL(td(Tensor::zeros({2, 3}, DType::Float64)), std::invalid_argument,
                          "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions",
                          "(2, 3)");
  json quantized = inner("dense")->get_config();
  quantized["quantization_config"] = json{{"mode", "int8"}};
  REQUIRE_THROWS_WITH_ALL(Dense::from_config(quantized), std::invalid_argument, "Dense", "quantization_config",
                          "not supported");
  REQUIRE_THROWS_WITH_ALL(TimeDistributed(std::shared_ptr<Layer>()), std::invalid_argument,
                          "Please initialize `TimeDistributed` layer");
  REQUIRE_THROWS_WITH_ALL(td.call_with_mask(Tensor::zeros({2, 3, 3}, DType::Float64), Tensor::zeros({2, 4}, DType::Float64), false),
                          std::invalid_argument, "mask");
}
