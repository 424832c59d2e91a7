// Embedding: lookups and scatter-add gradients against PyTorch's F.embedding
// (tests/reference/norm_embedding_reference.py), Keras's defaults (RandomUniform(-0.05, 0.05)),
// output shapes and summary counts, get_config keys and from_config, a float64 gradcheck with
// repeated indices, and the errors for bad arguments and bad indices.
#include <algorithm>
#include <limits>
#include <set>

#include "support/fixtures.h"

using namespace minidl;
using namespace minidl::layers;
using Inputs = std::vector<Tensor>;

namespace {

std::set<std::string> keys_of(const nlohmann::json& j) {
  std::set<std::string> out;
  for (const auto& [k, v] : j.items()) out.insert(k);
  return out;
}

}  // namespace

TEST_CASE("Embedding looks rows up as PyTorch's F.embedding, gradients included", "[layers][embedding][reference]") {
  const auto fixture = test::load_fixture("norm_embedding_reference.json");
  for (const auto& c : fixture.at("embedding")) {
    Embedding layer({.input_dim = c.at("input_dim"), .output_dim = c.at("output_dim"), .dtype = "float64"});
    const Tensor indices = test::tensor_from_json(c.at("indices"), DType::Float32);  // float32 ids, cast by the layer
    layer.build(indices.shape());
    layer.set_weights({test::tensor_from_json(c.at("embeddings"))});
    INFO("input_dim " << c.at("input_dim") << " indices" << indices.shape());
    Tensor y = layer(indices);
    REQUIRE(y.dtype() == DType::Float64);
    REQUIRE(y.to_vector<double>() == test::tensor_from_json(c.at("y")).to_vector<double>());  // a copy: exact
    y.backward(test::tensor_from_json(c.at("w")));
    REQUIRE_CLOSE(layer.embeddings()->value.grad(), test::tensor_from_json(c.at("grad_embeddings")), 1e-14, 1e-14);
  }
}

TEST_CASE("Embedding has Keras's defaults, weight and output shapes", "[layers][embedding]") {
  clear_session();
  Embedding emb({.input_dim = 1000, .output_dim = 64});
  CHECK(emb.name() == "embedding");
  CHECK(emb.compute_output_shape({-1, 10}) == Shape{-1, 10, 64});
  CHECK(emb.compute_output_shape({-1}) == Shape{-1, 64});
  emb.build({-1, 10});
  REQUIRE(emb.weights().size() == 1);
  CHECK(emb.weights()[0]->name == "embeddings");
  CHECK(emb.embeddings()->value.shape() == Shape{1000, 64});
  CHECK(emb.count_params() == 64000);  // Keras: Embedding(1000, 64) has 64,000
  // "uniform" is RandomUniform(-0.05, 0.05): every value inside, and not all one value.
  const auto v = emb.embeddings()->value.to_vector<double>();
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  CHECK(*lo >= -0.05);
  CHECK(*hi <= 0.05);
  CHECK(*hi - *lo > 0.09);
  // A looked-up row is the matrix row, whatever the rank of the indices.
  const Tensor y = emb(Tensor::from_vector(std::vector<float>{999, 0, 999}, {1, 3, 1}));
  CHECK(y.shape() == Shape{1, 3, 1, 64});
  CHECK(y.value_at({0, 0, 0, 5}) == emb.embeddings()->value.value_at({999, 5}));
  CHECK(y.value_at({0, 1, 0, 63}) == emb.embeddings()->value.value_at({0, 63}));
}

TEST_CASE("Embedding in a Sequential: summary counts, training and the activity regularizer", "[layers][embedding][summary]") {
  clear_session();
  Sequential model({.input_shape = Shape{10}});
  model.add(Embedding({.input_dim = 1000, .output_dim = 64, .embeddings_regularizer = "l2"}));
  CHECK(model.count_params() == 64000);
  const std::string summary = model.summary_string();
  INFO(summary);
  CHECK(summary.find("(None, 10, 64)") != std::string::npos);
  CHECK(summary.find("64,000") != std::string::npos);
  CHECK(summary.find("Total params: 64,000 (250.00 KB)") != std::string::npos);
  CHECK(model.losses().size() == 1);

  // The activity regularizer sees the output, divided by the batch size as Keras does: l1 0.5 on
  // rows [1, -2] and [3, 4] for a batch of one is 0.5 * 10 / 1.
  Embedding act({.input_dim = 2, .output_dim = 2, .activity_regularizer = regularizers::L1{.l1 = 0.5}});
  act.build({1, 2});
  act.set_weights({Tensor::from_vector(std::vector<float>{1, -2, 3, 4}, {2, 2})});
  act(Tensor::from_vector(std::vector<float>{0, 1}, {1, 2}));
  REQUIRE(act.losses().size() == 1);
  CHECK(act.losses()[0].item() == Approx(5.0));
}

TEST_CASE("Embedding get_config has Keras's keys and round-trips", "[layers][embedding][config]") {
  clear_session();
  Embedding emb({.input_dim = 12,
                 .output_dim = 3,
                 .embeddings_initializer = initializers::RandomNormal{.stddev = 0.1, .seed = 4},
                 .embeddings_regularizer = regularizers::L1{.l1 = 0.02},
                 .embeddings_constraint = constraints::UnitNorm{.axis = {1}},
                 .mask_zero = true,
                 .activity_regularizer = "l2",
                 .name = "tokens"});
  const auto c = emb.get_config();
  // keras/src/layers/core/embedding.py get_config (minus quantization_config, which minidl does not
  // implement, as for Dense), plus the base Layer's keys.
  CHECK(keys_of(c) == std::set<std::string>{"name", "trainable", "dtype", "input_dim", "output_dim",
                                            "embeddings_initializer", "embeddings_regularizer",
                                            "activity_regularizer", "embeddings_constraint", "mask_zero"});
  CHECK(c["input_dim"] == 12);
  CHECK(c["output_dim"] == 3);
  CHECK(c["mask_zero"] == true);
  CHECK(c["embeddings_initializer"]["class_name"] == "RandomNormal");
  CHECK(c["embeddings_initializer"]["config"]["stddev"] == 0.1);
  CHECK(c["embeddings_regularizer"]["config"]["l1"] == 0.02);
  CHECK(c["activity_regularizer"]["class_name"] == "L2");
  CHECK(c["embeddings_constraint"]["class_name"] == "UnitNorm");
  const Embedding back = Embedding::from_config(c);
  CHECK(back.get_config() == c);

  // Defaults as Keras writes them; activity_regularizer is written even when unset.
  const auto d = Embedding({.input_dim = 2, .output_dim = 2}).get_config();
  CHECK(d["embeddings_initializer"]["class_name"] == "RandomUniform");
  CHECK(d["embeddings_initializer"]["config"]["minval"] == -0.05);
  CHECK(d["embeddings_initializer"]["config"]["maxval"] == 0.05);
  CHECK(d["activity_regularizer"].is_null());
  CHECK(d["mask_zero"] == false);
  // A Keras 3 file writes quantization_config: null and may carry Keras 2's input_length: both fine.
  nlohmann::json keras = d;
  keras["quantization_config"] = nullptr;
  keras["input_length"] = 10;
  CHECK(Embedding::from_config(keras).get_config()["input_dim"] == 2);
  keras["lora_rank"] = 4;
  REQUIRE_THROWS_WITH_ALL(Embedding::from_config(keras), std::invalid_argument, "lora_rank", "4");
}

TEST_CASE("Embedding gradients pass float64 gradcheck with repeated indices", "[layers][embedding][gradcheck]") {
  Embedding layer({.input_dim = 5, .output_dim = 3, .dtype = "float64"});
  const Tensor indices = Tensor::from_vector(std::vector<double>{4, 1, 4, 0, 1, 4}, {3, 2});
  layer.build(indices.shape());
  Tensor table = layer.embeddings()->value;
  // The table is the layer's own weight: gradcheck's nudges reach the lookup.
  auto f = [&layer, indices](const Inputs&) { return layer(indices); };
  REQUIRE_GRADCHECK("Embedding", f, Inputs{table});
}

TEST_CASE("Embedding rejects bad arguments and bad indices", "[layers][embedding][errors]") {
  clear_session();
  REQUIRE_THROWS_WITH_ALL(Embedding({.input_dim = 0, .output_dim = 4}), std::invalid_argument, "input_dim=0",
                          "output_dim=4", "positive");
  REQUIRE_THROWS_WITH_ALL(Embedding({.input_dim = 10, .output_dim = -1}), std::invalid_argument, "output_dim=-1",
                          "positive");
  REQUIRE_THROWS_WITH_ALL(Embedding::from_config({{"input_dim", 3}}), std::exception, "output_dim");

  Embedding emb({.input_dim = 10, .output_dim = 2, .name = "tokens"});
  auto ids = [](std::vector<float> v) { return Tensor::from_vector(v, {1, static_cast<std::int64_t>(v.size())}); };
  REQUIRE_THROWS_WITH_ALL(emb(ids({1, 10})), std::out_of_range, "layer 'tokens' (Embedding)", "inputs[0, 1] = 10",
                          "[0, 10)", "input_dim=10");
  REQUIRE_THROWS_WITH_ALL(emb(ids({-1})), std::out_of_range, "inputs[0, 0] = -1", "[0, 10)");
  REQUIRE_THROWS_WITH_ALL(emb(ids({2.5f})), std::invalid_argument, "inputs[0, 0] = 2.5", "not an integer",
                          "[0, 10)");
  REQUIRE_THROWS_WITH_ALL(emb(ids({0, std::numeric_limits<float>::quiet_NaN()})), std::invalid_argument,
                          "inputs[0, 1] = nan", "input_dim=10");
  // The layer is unharmed: good indices still work.
  CHECK(emb(ids({9, 0})).shape() == Shape{1, 2, 2});
}
