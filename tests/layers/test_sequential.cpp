// Sequential against the real Keras (fixture: tests/reference/keras_layers.py): model.summary() of
// the keras.io convolutional autoencoder and the TensorFlow DCGAN generator and discriminator,
// weight paths/shapes/order, get_config() keys of every layer class, regularization losses.
#include <algorithm>
#include <set>
#include <sstream>

#include "support/fixtures.h"

using namespace minidl;
using namespace minidl::layers;

namespace {

Sequential autoencoder() {
  clear_session();
  Sequential m;
  m.add(Conv2D({.filters = 32, .kernel_size = 3, .padding = "same", .activation = "relu", .input_shape = Shape{28, 28, 1}}));
  m.add(MaxPooling2D({.pool_size = 2, .padding = "same"}));
  m.add(Conv2D({.filters = 32, .kernel_size = 3, .padding = "same", .activation = "relu"}));
  m.add(MaxPooling2D({.pool_size = 2, .padding = "same"}));
  m.add(Conv2DTranspose({.filters = 32, .kernel_size = 3, .strides = 2, .padding = "same", .activation = "relu"}));
  m.add(Conv2DTranspose({.filters = 32, .kernel_size = 3, .strides = 2, .padding = "same", .activation = "relu"}));
  m.add(Conv2D({.filters = 1, .kernel_size = 3, .padding = "same", .activation = "sigmoid"}));
  return m;
}

Sequential dcgan_generator() {
  clear_session();
  Sequential m;
  m.add(Dense({.units = 7 * 7 * 256, .use_bias = false, .input_shape = Shape{100}}));
  m.add(BatchNormalization());
  m.add(LeakyReLU());
  m.add(Reshape({.target_shape = {7, 7, 256}}));
  m.add(Conv2DTranspose({.filters = 128, .kernel_size = 5, .strides = 1, .padding = "same", .use_bias = false}));
  m.add(BatchNormalization());
  m.add(LeakyReLU());
  m.add(Conv2DTranspose({.filters = 64, .kernel_size = 5, .strides = 2, .padding = "same", .use_bias = false}));
  m.add(BatchNormalization());
  m.add(LeakyReLU());
  m.add(Conv2DTranspose(
      {.filters = 1, .kernel_size = 5, .strides = 2, .padding = "same", .activation = "tanh", .use_bias = false}));
  return m;
}

Sequential dcgan_discriminator() {
  clear_session();
  Sequential m;
  m.add(Conv2D({.filters = 64, .kernel_size = 5, .strides = 2, .padding = "same", .input_shape = Shape{28, 28, 1}}));
  m.add(LeakyReLU());
  m.add(Dropout({.rate = 0.3}));
  m.add(Conv2D({.filters = 128, .kernel_size = 5, .strides = 2, .padding = "same"}));
  m.add(LeakyReLU());
  m.add(Dropout({.rate = 0.3}));
  m.add(Flatten());
  m.add(Dense({.units = 1}));
  return m;
}

// Names wider than the first column (rich wraps them at spaces, cuts longer words with "…").
Sequential long_names() {
  clear_session();
  Sequential m({.name = "long_names"});
  m.add(Dense({.units = 3, .name = "a_dense_layer_with_a_name_longer_than_the_column", .input_shape = Shape{4}}));
  m.add(BatchNormalization({.name = "normalization_of_the_output"}));
  m.add(Dense({.units = 2, .name = "abcdefghijklmnopqrstuvwxyz_0123"}));
  return m;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(' '), e = s.find_last_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// The table rows of a summary as (layer (type), output shape, params), with cells that wrap onto
// continuation lines joined by a space, plus the three total lines.
struct Summary {
  std::vector<std::array<std::string, 3>> rows;
  std::vector<std::string> totals;
};

Summary parse_summary(const std::string& text) {
  Summary s;
  std::istringstream in(text);
  std::string line;
  const std::string bar = "│";
  bool continuation = false;
  while (std::getline(in, line)) {
    if (line.rfind(" Total params", 0) == 0 || line.rfind(" Trainable params", 0) == 0 ||
        line.rfind(" Non-trainable params", 0) == 0) {
      s.totals.push_back(line);
      continue;
    }
    if (line.rfind("├", 0) == 0 || line.rfind("└", 0) == 0) {
      continuation = false;
      continue;
    }
    if (line.rfind(bar, 0) != 0) continue;
    std::vector<std::string> cells;
    std::size_t pos = bar.size();
    for (std::size_t next; (next = line.find(bar, pos)) != std::string::npos; pos = next + bar.size())
      cells.push_back(trim(line.substr(pos, next - pos)));
    REQUIRE(cells.size() == 3);
    if (continuation) {
      for (int i = 0; i < 3; ++i)
        if (!cells[i].empty()) s.rows.back()[i] += " " + cells[i];
    } else {
      s.rows.push_back({cells[0], cells[1], cells[2]});
    }
    continuation = true;
  }
  return s;
}

Sequential build_model(const std::string& name) {
  if (name == "autoencoder") return autoencoder();
  if (name == "dcgan_generator") return dcgan_generator();
  if (name == "long_names") return long_names();
  return dcgan_discriminator();
}

std::set<std::string> keys_of(const nlohmann::json& j) {
  std::set<std::string> out;
  for (const auto& [k, v] : j.items()) out.insert(k);
  return out;
}

std::string joined(const std::set<std::string>& s) {
  std::string out;
  for (const auto& k : s) out += (out.empty() ? "" : ", ") + k;
  return out;
}

}  // namespace

TEST_CASE("Sequential summaries list Keras's shapes, parameter counts and totals", "[layers][sequential]") {
  const auto fx = test::load_fixture("keras_layers.json");
  for (const char* name : {"autoencoder", "dcgan_generator", "dcgan_discriminator", "long_names"}) {
    INFO("model " << name);
    const auto& record = fx["models"][name];
    const Sequential model = build_model(name);
    const std::string ours = model.summary_string();
    const std::string keras = record["summary"];
    INFO("minidl:\n" << ours << "\nKeras:\n" << keras);
    const Summary a = parse_summary(ours), e = parse_summary(keras);
    REQUIRE(a.rows.size() == e.rows.size());
    for (std::size_t i = 0; i < a.rows.size(); ++i)
      for (int c = 0; c < 3; ++c) CHECK(a.rows[i][c] == e.rows[i][c]);
    REQUIRE(e.totals.size() == 3);
    CHECK(a.totals == e.totals);
    // And the text itself, table drawing included.
    CHECK(ours == keras);
  }
  // The figures the keras.io / tensorflow.org tutorials print.
  REQUIRE(autoencoder().count_params() == 28353);
  const Sequential generator = dcgan_generator();
  REQUIRE(generator.count_params() == 2330944);
  std::int64_t trainable = 0;
  for (const auto& v : generator.trainable_weights()) trainable += v->value.numel();
  REQUIRE(trainable == 2305472);
  REQUIRE(generator.count_params() - trainable == 25472);
  REQUIRE(dcgan_discriminator().count_params() == 212865);
}

TEST_CASE("Sequential weights follow Keras's order, paths and shapes", "[layers][sequential]") {
  const auto fx = test::load_fixture("keras_layers.json");
  for (const char* name : {"autoencoder", "dcgan_generator", "dcgan_discriminator", "long_names"}) {
    INFO("model " << name);
    const auto& record = fx["models"][name];
    Sequential model = build_model(name);
    const auto weights = model.weights();
    REQUIRE(weights.size() == record["weights"].size());
    std::int64_t trainable = 0, non_trainable = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      const auto& w = record["weights"][i];
      INFO("weight " << i << " keras " << w.dump());
      CHECK(weights[i]->path == w["path"].get<std::string>());
      CHECK(weights[i]->value.shape() == Shape(w["shape"].get<std::vector<std::int64_t>>()));
      CHECK(weights[i]->trainable == w["trainable"].get<bool>());
      (weights[i]->trainable ? trainable : non_trainable) += weights[i]->value.numel();
    }
    CHECK(trainable == record["trainable_count"].get<std::int64_t>());
    CHECK(non_trainable == record["non_trainable_count"].get<std::int64_t>());

    // set_weights takes them in that order; get_weights gives them back, copied.
    std::vector<Tensor> values;
    for (std::size_t i = 0; i < weights.size(); ++i)
      values.push_back(test::pattern(weights[i]->value.shape(), 100 + static_cast<std::int64_t>(i)));
    model.set_weights(values);
    auto got = model.get_weights();
    REQUIRE(got.size() == values.size());
    for (std::size_t i = 0; i < got.size(); ++i) REQUIRE_CLOSE(got[i], values[i], 0.0, 1e-30);
    got[0].fill_(7.0);  // a copy: the model keeps its value
    REQUIRE_CLOSE(model.weights()[0]->value, values[0], 0.0, 1e-30);
    std::vector<Tensor> short_list(values.begin(), values.end() - 1);
    const std::string received = fmt::format("received {} weights", values.size() - 1),
                      has = fmt::format("has {}", values.size());
    REQUIRE_THROWS_WITH_ALL(model.set_weights(short_list), std::invalid_argument, "set_weights", received.c_str(),
                            has.c_str());
  }
}

TEST_CASE("get_config keys equal Keras's for every layer class", "[layers][config]") {
  const auto fx = test::load_fixture("keras_layers.json");
  const auto& keras = fx["config_keys"];
  // Keras arguments minidl does not implement: quantization (Dense) and synchronized / renorm
  // batch normalization. Every other key must be there, and no key Keras lacks.
  const std::map<std::string, std::set<std::string>> unsupported = {
      {"Dense", {"quantization_config"}},
      {"Dense+activity_regularizer", {"quantization_config"}},
      {"BatchNormalization", {"synchronized", "renorm", "renorm_clipping", "renorm_momentum"}},
  };
  std::map<std::string, nlohmann::json> ours = {
      {"Dense", Dense({.units = 2}).get_config()},
      {"Dense+activity_regularizer", Dense({.units = 2, .activity_regularizer = "l2"}).get_config()},
      {"Conv2D", Conv2D({.filters = 2, .kernel_size = 3}).get_config()},
      {"Conv2DTranspose", Conv2DTranspose({.filters = 2, .kernel_size = 3}).get_config()},
      {"BatchNormalization", BatchNormalization().get_config()},
      {"MaxPooling2D", MaxPooling2D().get_config()},
      {"AveragePooling2D", AveragePooling2D().get_config()},
      {"UpSampling2D", UpSampling2D().get_config()},
      {"Dropout", Dropout({.rate = 0.5}).get_config()},
      {"Flatten", Flatten().get_config()},
      {"Reshape", Reshape({.target_shape = {2}}).get_config()},
      {"ZeroPadding2D", ZeroPadding2D().get_config()},
      {"Activation", Activation({.activation = "relu"}).get_config()},
      {"LeakyReLU", LeakyReLU().get_config()},
      {"Sequential", Sequential({std::make_shared<Dense>(DenseOptions{.units = 2})}).get_config()},
  };
  REQUIRE(ours.size() == keras.size());
  for (const auto& [cls, config] : ours) {
    INFO("class " << cls);
    REQUIRE(keras.contains(cls));
    std::set<std::string> expected = keras[cls].get<std::set<std::string>>();
    if (auto it = unsupported.find(cls); it != unsupported.end())
      for (const auto& k : it->second) expected.erase(k);
    const std::set<std::string> actual = keys_of(config);
    INFO("minidl: " << joined(actual) << "\nKeras:  " << joined(expected));
    CHECK(actual == expected);
  }
}

TEST_CASE("Regularization losses match Keras's count and values", "[layers][sequential][regularizers]") {
  const auto fx = test::load_fixture("keras_layers.json");
  const auto& r = fx["regularization"];
  clear_session();
  Sequential model;
  model.add(Conv2D({.filters = 3,
                    .kernel_size = 3,
                    .kernel_regularizer = "l2",
                    .bias_regularizer = "l1",
                    .activity_regularizer = "l2",
                    .input_shape = Shape{5, 5, 2}}));
  model.add(Flatten());
  model.add(Dense({.units = 4, .kernel_regularizer = regularizers::L1L2{.l1 = 0.01, .l2 = 0.02}}));
  model.add(Dense({.units = 2, .activity_regularizer = regularizers::L1{.l1 = 0.05}}));
  const std::int64_t seed = r["seed"];
  std::vector<Tensor> values;
  for (const auto& v : model.weights())
    values.push_back(test::pattern(v->value.shape(), seed + 1 + static_cast<std::int64_t>(values.size())));
  model.set_weights(values);

  // Keras lists the activity terms first; the order carries no meaning (they are summed), so the
  // values are compared sorted.
  auto sorted_values = [](const std::vector<Tensor>& losses) {
    std::vector<double> v;
    for (const auto& l : losses) v.push_back(l.item());
    std::sort(v.begin(), v.end());
    return v;
  };
  auto expected = [](const nlohmann::json& j) {
    auto v = j.get<std::vector<double>>();
    std::sort(v.begin(), v.end());
    return v;
  };
  auto require_losses = [&](const char* stage) {
    INFO("stage " << stage);
    const auto actual = sorted_values(model.losses()), keras = expected(r[stage]);
    REQUIRE(actual.size() == keras.size());
    for (std::size_t i = 0; i < actual.size(); ++i) CHECK(actual[i] == Approx(keras[i]).epsilon(1e-5));
  };
  require_losses("after_build");
  model(test::pattern(Shape(r["input_shape"].get<std::vector<std::int64_t>>()), seed));
  require_losses("after_call");
  // Frozen: the weight penalties go (Keras reads trainable weights only), the activity terms stay.
  model.set_trainable(false);
  require_losses("frozen");
  model.set_trainable(true);
  model.layers()[0]->set_trainable(false);
  require_losses("first_layer_frozen");
}

TEST_CASE("Sequential reshapes an input one axis short or long, as Keras 3's functional Sequential",
          "[layers][sequential]") {
  // Keras 3 runs a Sequential with a known input shape as a Functional, whose _adjust_input_rank
  // lets (n, 2, 2) images into Input((2, 2, 1)) and squeezes a trailing 1 the other way round.
  clear_session();
  Sequential declared;
  declared.add(Conv2D({.filters = 1, .kernel_size = 1, .kernel_initializer = "ones", .input_shape = Shape{2, 2, 1}}));
  const Tensor images = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});
  const Tensor y = declared(images);
  REQUIRE(y.shape() == Shape{2, 2, 2, 1});
  CHECK(y.to_vector<float>() == images.to_vector<float>());  // a 1x1 kernel of ones
  CHECK(declared(images.reshape({2, 2, 2, 1, 1})).shape() == Shape{2, 2, 2, 1});
  CHECK(declared.compute_output_shape({2, 2, 2}) == Shape{2, 2, 2, 1});

  // Built lazily: the first call's shape is the reference for later calls.
  Sequential lazy;
  lazy.add(Dense({.units = 1, .kernel_initializer = "ones"}));
  const Tensor column = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3, 1});
  CHECK(lazy(column).shape() == Shape{3, 1});
  const Tensor labels = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3});
  CHECK(lazy(labels).to_vector<float>() == std::vector<float>{1, 2, 3});  // expanded to (3, 1)

  // Any other rank difference is left to the first layer, which names itself (as Keras).
  REQUIRE_THROWS_WITH_ALL(declared(Tensor::zeros({2, 2})), std::invalid_argument, "conv2d", "expected ndim=4",
                          "found ndim=2");
}
