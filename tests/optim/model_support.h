#pragma once
// Small problems shared by the Model, callback and saving tests: deterministic data and models
// whose weights depend only on fixed initializer seeds.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <vector>

#include "support/fixtures.h"

namespace minidl::test {

// y = 2 x0 - x1 + 0.5 x2 + 0.3 + noise, n samples of 3 features (float32).
inline std::pair<Tensor, Tensor> regression_data(std::int64_t n, std::uint64_t seed = 3) {
  Generator gen(seed);
  Tensor x = Tensor::rand({n, 3}, gen, DType::Float32, -1.0, 1.0);
  const auto xv = x.to_vector<float>();
  std::vector<float> y(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const auto r = static_cast<std::size_t>(i) * 3;
    y[static_cast<std::size_t>(i)] =
        2.0f * xv[r] - xv[r + 1] + 0.5f * xv[r + 2] + 0.3f + 0.01f * static_cast<float>(gen.normal());
  }
  return {x, Tensor::from_vector(y, {n, 1})};
}

// Three Gaussian blobs in 2-D, labels 0..2 as float ids of shape (n,).
inline std::pair<Tensor, Tensor> blobs_data(std::int64_t n, std::uint64_t seed = 4) {
  Generator gen(seed);
  const double centers[3][2] = {{-2.0, 0.0}, {2.0, 0.0}, {0.0, 2.5}};
  std::vector<float> x, y;
  for (std::int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % 3);
    x.push_back(static_cast<float>(centers[c][0] + 0.5 * gen.normal()));
    x.push_back(static_cast<float>(centers[c][1] + 0.5 * gen.normal()));
    y.push_back(static_cast<float>(c));
  }
  return {Tensor::from_vector(x, {n, 2}), Tensor::from_vector(y, {n})};
}

// 3 -> 8 (relu) -> 1 with seeded initializers; the same call always gives the same weights.
inline std::shared_ptr<layers::Sequential> regression_net(std::uint64_t seed = 1, bool l2 = false) {
  auto net = std::make_shared<layers::Sequential>(layers::SequentialOptions{.input_shape = Shape{3}});
  layers::DenseOptions hidden{.units = 8, .activation = "relu", .kernel_initializer = initializers::GlorotUniform{.seed = seed}};
  if (l2) hidden.kernel_regularizer = regularizers::L2{.l2 = 0.01};
  net->add(layers::Dense(hidden));
  net->add(layers::Dense({.units = 1, .kernel_initializer = initializers::GlorotUniform{.seed = seed + 1}}));
  return net;
}

inline bool same_values(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].shape() != b[i].shape() || a[i].to_vector<double>() != b[i].to_vector<double>()) return false;
  return true;
}

// A fresh folder under the system temp dir, removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag) {
    path = std::filesystem::temp_directory_path() / ("minidl_" + tag + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::filesystem::path operator/(const std::string& name) const { return path / name; }
};

// The weights of a model loaded from Keras's JSON, in Keras's order (fixture entry `m` lists each
// weight's "path" and "shape"): checks ours end with Keras's paths and have its shapes, and returns
// value(variable, m["seed"] + 1 + i) for weight i, as the reference scripts set them.
template <class Value>
std::vector<Tensor> keras_ordered_weights(const std::vector<VariablePtr>& weights, const nlohmann::json& m, Value value) {
  REQUIRE(weights.size() == m["weights"].size());
  std::vector<Tensor> values;
  const std::int64_t seed = m["seed"];
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const auto& k = m["weights"][i];
    INFO("weight " << i << ": ours " << weights[i]->path << " keras " << k["path"]);
    CHECK(weights[i]->path.ends_with(k["path"].get<std::string>()));
    REQUIRE(weights[i]->value.shape() == shape_from_json(k["shape"]));
    values.push_back(value(*weights[i], seed + 1 + static_cast<std::int64_t>(i)));
  }
  return values;
}

}  // namespace minidl::test
