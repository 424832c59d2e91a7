// The 1-D pooling/padding layers, ReLU, ELU, Softmax, PReLU, RepeatVector and Identity against the
// real Keras 3 (fixture: tests/reference/keras_layers_more.py): each layer is built from Keras's
// get_config() through the layer registry, then its config (before and after build), output and
// gradients (input and weights) must equal Keras's, and our config must load back into the same
// config. Also: the regularisation layers' configs, and a Keras Conv1D model's JSON.
#include <map>
#include <set>

#include "minidl/optim/layer_registry.h"
#include "minidl/optim/model.h"
#include "support/keras_case.h"

using namespace minidl;
using nlohmann::json;

namespace {

std::shared_ptr<layers::Layer> from_keras(const std::string& cls, const json& config) {
  return optim::layer_from_config({{"class_name", cls}, {"config", config}});
}

// Keras's output (and gradients) are float32: 1e-5 relative, as the other Keras fixtures.
void require_close_to(const Tensor& actual, const json& expected, const Shape& shape) {
  REQUIRE(actual.defined());
  REQUIRE_CLOSE(actual, Tensor::from_vector(expected.get<std::vector<double>>(), shape).to(DType::Float32), 1e-5, 1e-6);
}

void check_keras_case(const json& c) {
  const std::string cls = c["class_name"];
  auto layer = from_keras(cls, c["config"]);
  REQUIRE(layer->class_name() == cls);
  test::require_same_config(cls, layer->get_config(), c["config"]);
  const Shape in = test::shape_from_json(c["input_shape"]), out = test::shape_from_json(c["output_shape"]);
  REQUIRE(layer->compute_output_shape(in) == out);
  layer->build(in);
  test::set_case_weights(*layer, c);
  Tensor x = test::case_input(c);
  x.set_requires_grad(true);
  Tensor mask;
  if (c.contains("mask")) mask = Tensor::from_vector(c["mask"].get<std::vector<double>>(), test::shape_from_json(c["mask_shape"]));
  const Tensor y = layer->call_with_mask(x, mask).value;
  require_close_to(y, c["y"], out);
  y.backward(test::pattern(out, c["seed"].get<std::int64_t>() + 500));
  {
    INFO("gradient of the input");
    require_close_to(x.grad(), c["dx"], in);
  }
  const auto weights = layer->weights();
  for (std::size_t i = 0; i < weights.size(); ++i) {
    INFO("gradient of weight " << i);
    require_close_to(weights[i]->value.grad(), c["dw"][i], weights[i]->value.shape());
  }
  test::require_same_config(cls, layer->get_config(), c["config"]);
  // Our config loads back into the same layer.
  test::require_same_config(cls, from_keras(cls, layer->get_config())->get_config(), c["config"]);
}

}  // namespace

TEST_CASE("The 1-D, activation and repeat layers equal Keras in output, gradients and config",
          "[layers][layers_more][keras]") {
  const auto fx = test::load_fixture("keras_layers_more.json");
  std::map<std::string, int> count;
  int masked = 0, channels_first = 0, same = 0;
  for (const auto& c : fx["cases"]) {
    INFO(c["class_name"] << " " << c["config"].dump() << " input " << c["input_shape"].dump());
    check_keras_case(c);
    ++count[c["class_name"]];
    masked += c.contains("mask");
    channels_first += c["config"].value("data_format", "") == "channels_first";
    same += c["config"].value("padding", json("")) == "same";
  }
  for (const char* cls : {"MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D",
                          "UpSampling1D", "ZeroPadding1D", "Cropping1D", "RepeatVector", "ReLU", "ELU", "Softmax",
                          "PReLU", "Identity"}) {
    INFO(cls);
    CHECK(count[cls] >= 1);
  }
  CHECK(count["MaxPooling1D"] >= 5);
  CHECK(masked >= 4);
  CHECK(channels_first >= 7);
  CHECK(same >= 4);
}

TEST_CASE("The regularisation layers' configs equal Keras's and load back", "[layers][layers_more][keras]") {
  const auto fx = test::load_fixture("keras_layers_more.json");
  REQUIRE(fx["regularisation"].size() == 8);
  for (const auto& r : fx["regularisation"]) {
    const std::string cls = r["class_name"];
    INFO(cls << " " << r["config"].dump());
    auto layer = from_keras(cls, r["config"]);
    test::require_same_config(cls, layer->get_config(), r["config"]);
    test::require_same_config(cls, from_keras(cls, layer->get_config())->get_config(), r["config"]);
  }
}

TEST_CASE("A Keras Conv1D, MaxPooling1D, GlobalAveragePooling1D, Dense model loads and predicts as Keras",
          "[layers][layers_more][keras]") {
  const auto fx = test::load_fixture("keras_layers_more.json");
  const json& m = fx["model"];
  optim::Model model(optim::layer_from_config(json::parse(m["json"].get<std::string>())));
  std::vector<Tensor> w;
  const std::int64_t seed = m["seed"];
  for (const auto& v : model.weights()) w.push_back(test::pattern(v->value.shape(), seed + 1 + static_cast<std::int64_t>(w.size())));
  model.set_weights(w);
  const Tensor x = test::pattern(test::shape_from_json(m["input_shape"]), seed);
  const Tensor expected = Tensor::from_vector(m["y"].get<std::vector<double>>(), Shape{2, 3}).to(DType::Float32);
  REQUIRE_CLOSE(model.predict(x), expected, 1e-5, 1e-6);
  const std::string summary = model.summary_string();
  for (const char* s : {"MaxPooling1D", "GlobalAveragePooling1D", "(None, 3, 4)", "(None, 4)"}) {
    INFO(summary << "\nlacks " << s);
    CHECK(summary.find(s) != std::string::npos);
  }
}

TEST_CASE("A Sequential Conv1D, MaxPooling1D, GlobalAveragePooling1D, Dense model saved as JSON loads back",
          "[layers][layers_more]") {
  auto net = std::make_shared<layers::Sequential>(layers::SequentialOptions{.input_shape = Shape{11, 3}});
  net->add(layers::Conv1D({.filters = 5, .kernel_size = 3, .padding = "same", .activation = "relu"}));
  net->add(layers::MaxPooling1D({.pool_size = 3, .strides = 2}));
  net->add(layers::GlobalAveragePooling1D());
  net->add(layers::Dense({.units = 2}));
  optim::Model model(net);
  const Tensor x = test::pattern(Shape{4, 11, 3}, 7);
  const Tensor y = model.predict(x);
  REQUIRE(y.shape() == Shape{4, 2});
  optim::Model again(optim::layer_from_config(json::parse(model.to_json().dump())));
  std::vector<Tensor> w;
  for (const auto& v : model.weights()) w.push_back(v->value);
  again.set_weights(w);
  REQUIRE(again.predict(x).to_vector<float>() == y.to_vector<float>());
  CHECK(again.to_json() == model.to_json());
}
