// The config loader on what the real Keras writes (fixture: tests/reference/keras_layers_extra.py):
// the layer configs of LayerNormalization, Embedding, global pooling and Cropping2D through
// layer_from_config, and whole Keras 3 models (model.to_json(): functional with several inputs,
// a shared layer, Embedding + LayerNormalization + Conv2DTranspose + Cropping2D + pooling, a
// Sequential, int32 ids, nested models, a compiled model) rebuilt, given Keras's weights in Keras's
// order, and predicting what Keras predicted; likewise Conv1D / Conv1DTranspose models
// (tests/reference/keras_conv1d.py).
#include "model_support.h"
#include "support/keras_case.h"

using namespace minidl;
using nlohmann::json;

namespace {

const json& model_case(const json& fx, const std::string& name) {
  for (const auto& m : fx["models"])
    if (m["name"] == name) return m;
  FAIL("no model " << name << " in the fixture");
  throw;
}

// The case's inputs: pattern() values, or whole numbers for an Embedding's ids.
std::vector<Tensor> model_inputs(const json& m) {
  std::vector<Tensor> xs;
  for (const auto& in : m["inputs"]) {
    const Shape shape = test::shape_from_json(in["shape"]);
    xs.push_back(in.contains("indices_below") ? test::pattern_indices(shape, in["seed"], in["indices_below"])
                                              : test::pattern(shape, in["seed"]));
  }
  return xs;
}

// pattern(), plus 2 for a moving variance (kept positive), as the script sets them.
Tensor pattern_weight(const Variable& v, std::int64_t seed) {
  const Tensor t = test::pattern(v.value.shape(), seed);
  return v.path.ends_with("moving_variance") ? (t + 2.0).to(DType::Float32) : t;
}

Tensor model_expected(const json& m) {
  return Tensor::from_vector(m["y"].get<std::vector<double>>(), test::shape_from_json(m["output_shape"]))
      .to(DType::Float32);
}

// A minidl model file around Keras's JSON (as a config.json beside weights would be): the weights
// under minidl's paths with the case's pattern() values.
std::filesystem::path keras_model_file(const test::TempDir& dir, const json& m) {
  const std::string keras_json = m["json"].get<std::string>();
  optim::Model probe(optim::layer_from_config(json::parse(keras_json)));
  io::NamedTensors tensors;
  const std::int64_t seed = m["seed"];
  for (const auto& v : probe.weights())
    tensors.emplace_back(v->path, pattern_weight(*v, seed + 1 + static_cast<std::int64_t>(tensors.size())));
  const auto file = dir / (m["name"].get<std::string>() + ".safetensors");
  io::save_safetensors(file, tensors, {{"format", "minidl.model"}, {"format_version", "1"}, {"config", keras_json}});
  return file;
}

// Our to_json() names each model class as Keras does (module, registered_name), nested ones too.
void require_same_model_headers(const json& ours, const json& keras) {
  INFO("model " << keras["config"].value("name", std::string()));
  for (const char* key : {"module", "class_name", "registered_name"}) {
    INFO("key " << key << ": ours " << ours[key].dump() << " keras " << keras[key].dump());
    CHECK(ours[key] == keras[key]);
  }
  const auto& ol = ours["config"]["layers"];
  const auto& kl = keras["config"]["layers"];
  for (const auto& k : kl) {
    if (k["class_name"] != "Functional" && k["class_name"] != "Sequential") continue;
    bool found = false;
    for (const auto& o : ol)
      if (o["config"]["name"] == k["config"]["name"]) {
        found = true;
        require_same_model_headers(o, k);
      }
    CHECK(found);
  }
}

// Our InputLayer configs equal Keras's, but for integer dtypes, which load as float32, and the
// batch axis of a Sequential's.
void require_same_input_layers(const json& ours, const json& keras) {
  for (const auto& k : keras["config"]["layers"]) {
    if (k["class_name"] != "InputLayer") continue;
    json expected = k["config"];
    if (expected["dtype"].get<std::string>().find("int") != std::string::npos) expected["dtype"] = "float32";
    // A Sequential built by a first call has Keras fix the batch axis to that call's; minidl keeps it open.
    if (keras["class_name"] == "Sequential") expected["batch_shape"][0] = nullptr;
    bool found = false;
    for (const auto& o : ours["config"]["layers"])
      if (o["class_name"] == "InputLayer" && o["config"]["name"] == expected["name"]) {
        found = true;
        test::require_same_config("InputLayer", o["config"], expected);
      }
    INFO("InputLayer " << expected["name"]);
    CHECK(found);
  }
}

// Keras's model.to_json() rebuilt, given Keras's weights in Keras's order, predicts what Keras
// predicted; our to_json() has Keras's headers and loads again into the same predictions.
void check_keras_model(const json& m) {
  INFO("model " << m["name"]);
  const json architecture = json::parse(m["json"].get<std::string>());
  // What load_model does with the architecture part of a config.json.
  optim::Model model(optim::layer_from_config(architecture));
  CHECK(model.network().name() == m["name"]);
  // Keras's weights in Keras's order: the same paths and shapes, then pattern() values.
  const auto values = test::keras_ordered_weights(model.weights(), m, pattern_weight);
  model.set_weights(values);
  const auto xs = model_inputs(m);
  const Tensor expected = model_expected(m);
  REQUIRE_CLOSE(model.predict(xs), expected, 1e-5, 1e-6);
  require_same_model_headers(model.to_json(), architecture);
  require_same_input_layers(model.to_json(), architecture);
  // And back: our config of the loaded model loads again into the same predictions.
  optim::Model again(optim::layer_from_config(model.to_json()));
  again.set_weights(values);
  REQUIRE_CLOSE(again.predict(xs), expected, 1e-5, 1e-6);
}

}  // namespace

TEST_CASE("Keras's layer configs rebuild layers that equal Keras", "[optim][layer_registry][keras]") {
  const auto fx = test::load_fixture("keras_layers_extra.json");
  const std::map<std::string, std::string> families = {{"layer_normalization", "LayerNormalization"},
                                                       {"embedding", "Embedding"},
                                                       {"cropping", "Cropping2D"},
                                                       {"permute", "Permute"},
                                                       {"global_pooling", ""}};
  int cases = 0;
  for (const auto& [family, fixed_cls] : families) {
    for (const auto& c : fx[family]) {
      const std::string cls = !fixed_cls.empty()       ? fixed_cls
                              : c["kind"] == "max" ? "GlobalMaxPooling2D"
                                                   : "GlobalAveragePooling2D";
      INFO(cls << " config " << c["config"].dump() << " input " << c["input_shape"].dump());
      auto layer = optim::layer_from_config({{"class_name", cls}, {"config", c["config"]}});
      REQUIRE(layer->class_name() == cls);
      test::check_case(*layer, c, test::case_input(c), true);
      ++cases;
    }
  }
  CHECK(cases >= 50);
}

TEST_CASE("Keras 3 model.to_json() loads and predicts what Keras predicts", "[optim][functional][saving][keras]") {
  const auto fx = test::load_fixture("keras_layers_extra.json");
  REQUIRE(fx["models"].size() == 10);
  for (const auto& m : fx["models"]) check_keras_model(m);
}

TEST_CASE("load_model reads Keras's config.json with its compile_config", "[optim][saving][keras]") {
  const auto fx = test::load_fixture("keras_layers_extra.json");
  const json& m = model_case(fx, "compiled");
  REQUIRE(json::parse(m["json"].get<std::string>())["compile_config"]["optimizer"]["class_name"] == "Adam");
  test::TempDir dir("keras_config");
  optim::Model model = optim::load_model(keras_model_file(dir, m));
  REQUIRE(model.compiled());
  CHECK(model.optimizer().class_name() == "Adam");
  CHECK(model.optimizer().learning_rate() == Approx(0.01).epsilon(1e-6));
  CHECK(model.compile_config()["loss"] == "mse");
  CHECK(model.compile_config()["metrics"] == json::array({"mae"}));
  REQUIRE_CLOSE(model.predict(model_inputs(m)), model_expected(m), 1e-5, 1e-6);
}

TEST_CASE("load_model reads Keras's config.json of models never compiled", "[optim][saving][keras]") {
  const auto fx = test::load_fixture("keras_layers_extra.json");
  test::TempDir dir("keras_uncompiled");
  for (const char* name : {"two_inputs", "nested", "seq_built", "seq_called"}) {
    INFO("model " << name);
    const json& m = model_case(fx, name);
    // Keras writes compile_config {} and, for a functional model, build_config {"input_shape": null}.
    const json keras = json::parse(m["json"].get<std::string>());
    REQUIRE(keras["compile_config"] == json::object());
    optim::Model model = optim::load_model(keras_model_file(dir, m));
    CHECK_FALSE(model.compiled());
    REQUIRE_CLOSE(model.predict(model_inputs(m)), model_expected(m), 1e-5, 1e-6);
  }
}

TEST_CASE("Keras InputLayer flags minidl cannot honour are refused", "[optim][functional][saving][keras]") {
  const auto fx = test::load_fixture("keras_layers_extra.json");
  for (const char* flag : {"optional", "sparse", "ragged"}) {
    for (const char* name : {"two_inputs", "seq_built"}) {
      json keras = json::parse(model_case(fx, name)["json"].get<std::string>());
      auto& input = keras["config"]["layers"][0];
      REQUIRE(input["class_name"] == "InputLayer");
      REQUIRE(input["config"][flag] == false);
      input["config"][flag] = true;
      INFO(name << " with " << flag << "=true");
      const std::string fragment = std::string(flag) + "=true is not supported";
      REQUIRE_THROWS_WITH_ALL(optim::layer_from_config(keras), std::invalid_argument, "InputLayer", fragment.c_str());
    }
  }
}

TEST_CASE("Keras 3 models of Conv1D and Conv1DTranspose load, predict what Keras predicts and save again",
          "[optim][saving][keras][conv1d]") {
  // Fixture: tests/reference/keras_conv1d.py (a causal, grouped, transposed sequence decoder; a
  // channels_first Sequential).
  const auto fx = test::load_fixture("keras_conv1d.json");
  REQUIRE(fx["models"].size() == 2);
  test::TempDir dir("keras_conv1d");
  for (const auto& m : fx["models"]) {
    check_keras_model(m);
    // Each Conv1D / Conv1DTranspose config as Keras wrote it.
    const json keras = json::parse(m["json"].get<std::string>());
    optim::Model model(optim::layer_from_config(keras));
    const json ours = model.to_json();
    int convs = 0;
    for (const auto& k : keras["config"]["layers"]) {
      if (k["class_name"] != "Conv1D" && k["class_name"] != "Conv1DTranspose") continue;
      for (const auto& o : ours["config"]["layers"])
        if (o["config"]["name"] == k["config"]["name"]) {
          test::require_same_config(k["class_name"], o["config"], k["config"]);
          ++convs;
        }
    }
    CHECK(convs >= 3);
    // Keras's summary table, shapes and parameter counts.
    const std::string keras_summary = m["summary"];
    INFO("Keras:\n" << keras_summary);
    CHECK(std::dynamic_pointer_cast<layers::Container>(model.network_ptr())->summary_string() == keras_summary);
    // Through a model file, as load_model reads Keras's config.json beside its weights.
    optim::Model loaded = optim::load_model(keras_model_file(dir, m));
    REQUIRE_CLOSE(loaded.predict(model_inputs(m)), model_expected(m), 1e-5, 1e-6);
  }
}
