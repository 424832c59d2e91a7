// Losses against the real Keras (fixture from tests/reference/keras_activations_losses.py), hand
// calculations, float64 gradchecks and shape/identifier errors.
#include <cmath>
#include <functional>
#include <map>

#include "support/fixtures.h"

using namespace minidl;
using Inputs = std::vector<Tensor>;
namespace L = minidl::losses;

namespace {
using LossFn = std::function<Tensor(const Tensor&, const Tensor&)>;
const std::map<std::string, LossFn>& cases() {
  static const std::map<std::string, LossFn> table = {
      {"mse", [](const Tensor& t, const Tensor& p) { return L::mean_squared_error(t, p); }},
      {"mae", [](const Tensor& t, const Tensor& p) { return L::mean_absolute_error(t, p); }},
      {"bce", [](const Tensor& t, const Tensor& p) { return L::binary_crossentropy(t, p); }},
      {"bce_smoothing", [](const Tensor& t, const Tensor& p) { return L::binary_crossentropy(t, p, false, 0.2); }},
      {"bce_logits", [](const Tensor& t, const Tensor& p) { return L::binary_crossentropy(t, p, true); }},
      {"bce_logits_smoothing",
       [](const Tensor& t, const Tensor& p) { return L::binary_crossentropy(t, p, true, 0.1); }},
      {"cce", [](const Tensor& t, const Tensor& p) { return L::categorical_crossentropy(t, p); }},
      {"cce_smoothing",
       [](const Tensor& t, const Tensor& p) { return L::categorical_crossentropy(t, p, false, 0.3); }},
      {"cce_logits", [](const Tensor& t, const Tensor& p) { return L::categorical_crossentropy(t, p, true); }},
      {"scce", [](const Tensor& t, const Tensor& p) { return L::sparse_categorical_crossentropy(t, p); }},
      {"scce_column", [](const Tensor& t, const Tensor& p) { return L::sparse_categorical_crossentropy(t, p); }},
      {"scce_logits",
       [](const Tensor& t, const Tensor& p) { return L::sparse_categorical_crossentropy(t, p, true); }},
  };
  return table;
}
}  // namespace

TEST_CASE("losses match Keras values and gradients", "[losses]") {
  const auto fx = test::load_fixture("keras_losses.json")["cases"];
  REQUIRE(fx.size() == cases().size());
  for (const auto& [name, fn] : cases()) {
    SECTION(name) {
      const auto& c = fx[name];
      const Tensor t = test::tensor_from_json(c["y_true"]);
      Tensor p = test::tensor_from_json(c["y_pred"]).set_requires_grad();
      Tensor loss = fn(t, p);
      // Keras's mean accumulates in float32 even with floatx float64: the reference is exact to ~1e-7.
      REQUIRE_CLOSE(loss, test::tensor_from_json(c["loss"]), 1e-6, 1e-7);
      loss.backward(test::tensor_from_json(c["w"]));
      REQUIRE_CLOSE(p.grad(), test::tensor_from_json(c["grad"]), 1e-6, 1e-7);
      // float32 agrees with the float64 reference to float32 precision, except where the bce cases
      // put p within 1e-9 of 1: float32 rounds that to 1, which the clamp moves to 1 - 1.19e-7
      // instead of 1 - 1e-7 (Keras in float32 does the same).
      if (name == "bce" || name == "bce_smoothing") continue;
      const Tensor loss32 = fn(test::tensor_from_json(c["y_true"], DType::Float32),
                               test::tensor_from_json(c["y_pred"], DType::Float32));
      REQUIRE_CLOSE(loss32, test::tensor_from_json(c["loss"], DType::Float32), 2e-5, 1e-6);
    }
  }
}

TEST_CASE("losses by hand", "[losses]") {
  // BCE of p = 0.8 against t = 1 and p = 0.4 against t = 0: mean(-log 0.8, -log 0.6).
  const Tensor t = Tensor::from_vector(std::vector<double>{1, 0}, {1, 2});
  const Tensor p = Tensor::from_vector(std::vector<double>{0.8, 0.4}, {1, 2});
  REQUIRE(L::binary_crossentropy(t, p).item() == Approx((-std::log(0.8) - std::log(0.6)) / 2));
  // Keras clamps p = 0 to 1e-7: -log(1e-7) for a positive target.
  const Tensor zero = Tensor::from_vector(std::vector<double>{0.0}, {1, 1});
  REQUIRE(L::binary_crossentropy(Tensor::ones({1, 1}, DType::Float64), zero).item() == Approx(-std::log(1e-7)));
  // From logits z = 0: log 2 whatever the target.
  REQUIRE(L::binary_crossentropy(t, Tensor::zeros({1, 2}, DType::Float64), true).item() == Approx(std::log(2.0)));
  // Huge logits stay finite: softplus(800) - 0 * 800 = 800.
  const Tensor z = Tensor::from_vector(std::vector<double>{800.0}, {1, 1});
  REQUIRE(L::binary_crossentropy(Tensor::zeros({1, 1}, DType::Float64), z, true).item() == Approx(800.0));
  // MSE over the last axis: ((1-0)^2 + (2-4)^2) / 2 = 2.5; a (2,) target against (2, 1) predictions
  // is expanded to (2, 1) as Keras does.
  REQUIRE(L::mean_squared_error(Tensor::from_vector(std::vector<double>{0, 4}, {1, 2}),
                                Tensor::from_vector(std::vector<double>{1, 2}, {1, 2}))
              .item() == Approx(2.5));
  REQUIRE(L::mean_squared_error(Tensor::from_vector(std::vector<double>{1, 2}, {2}),
                                Tensor::from_vector(std::vector<double>{0, 0}, {2, 1}))
              .shape() == Shape{2});
  // Sparse CCE with ignore_class: the ignored sample's loss is 0, the other -log(0.5).
  const Tensor probs = Tensor::from_vector(std::vector<double>{0.5, 0.5, 0.2, 0.8}, {2, 2});
  const Tensor ids = Tensor::from_vector(std::vector<double>{0, -1}, {2});
  const auto v = L::sparse_categorical_crossentropy(ids, probs, false, -1).to_vector<double>();
  REQUIRE(v[0] == Approx(std::log(2.0)));
  REQUIRE(v[1] == 0.0);
}

TEST_CASE("losses pass float64 gradchecks in both arguments", "[losses][gradcheck]") {
  Tensor t = test::random_leaf({3, 4}, 1, 0.1, 0.9);
  Tensor p = test::random_leaf({3, 4}, 2, 0.05, 0.95);
  Tensor z = test::random_leaf({3, 4}, 3, -3.0, 3.0);
  const auto both = [](auto fn) { return [fn](const std::vector<Tensor>& in) { return fn(in[0], in[1]); }; };
  REQUIRE_GRADCHECK("mse", both([](auto a, auto b) { return L::mean_squared_error(a, b); }), Inputs{t, p});
  REQUIRE_GRADCHECK("mae", both([](auto a, auto b) { return L::mean_absolute_error(a, b); }), Inputs{t, p});
  REQUIRE_GRADCHECK("bce", both([](auto a, auto b) { return L::binary_crossentropy(a, b, false, 0.1); }), Inputs{t, p});
  REQUIRE_GRADCHECK("bce logits axis 0",
                    both([](auto a, auto b) { return L::binary_crossentropy(a, b, true, 0.0, 0); }), Inputs{t, z});
  REQUIRE_GRADCHECK("cce", both([](auto a, auto b) { return L::categorical_crossentropy(a, b, false, 0.2); }), Inputs{t, p});
  REQUIRE_GRADCHECK("cce logits", both([](auto a, auto b) { return L::categorical_crossentropy(a, b, true); }), Inputs{t, z});
  const Tensor ids = Tensor::from_vector(std::vector<double>{3, 0, 2}, {3});
  REQUIRE_GRADCHECK(
      "scce logits", [ids](const std::vector<Tensor>& in) { return L::sparse_categorical_crossentropy(ids, in[0], true); }, Inputs{z});
  REQUIRE_GRADCHECK(
      "scce probabilities",
      [ids](const std::vector<Tensor>& in) { return L::sparse_categorical_crossentropy(ids, in[0]); }, Inputs{p});
}

TEST_CASE("loss errors name the shapes and values", "[losses][errors]") {
  const Tensor p = Tensor::ones({2, 3}) * 0.5;
  REQUIRE_THROWS_WITH_ALL(L::binary_crossentropy(Tensor::ones({2, 4}), p), std::invalid_argument,
                          "binary_crossentropy", "y_true.shape=(2, 4)", "y_pred.shape=(2, 3)");
  REQUIRE_THROWS_WITH_ALL(L::binary_crossentropy(Tensor::ones({2, 3}), p, false, 1.5), std::invalid_argument,
                          "label_smoothing", "1.5");
  REQUIRE_THROWS_WITH_ALL(L::categorical_crossentropy(Tensor::ones({2, 1}), Tensor::ones({2, 1})),
                          std::invalid_argument, "num_classes > 1", "binary_crossentropy");
  REQUIRE_THROWS_WITH_ALL(L::sparse_categorical_crossentropy(Tensor::from_vector(std::vector<float>{0, 3}, {2}), p),
                          std::invalid_argument, "class ids in [0, 3)", "received 3");
  REQUIRE_THROWS_WITH_ALL(L::sparse_categorical_crossentropy(Tensor::from_vector(std::vector<float>{0.5, 1}, {2}), p),
                          std::invalid_argument, "integer class ids", "0.5");
  REQUIRE_THROWS_WITH_ALL(L::sparse_categorical_crossentropy(Tensor::zeros({3}), p), std::invalid_argument,
                          "y_true.shape=(3,)", "y_pred.shape=(2, 3)");
  REQUIRE_THROWS_WITH_ALL(L::mean_squared_error(Tensor::ones({2, 3}), Tensor::ones({2, 4})), std::invalid_argument,
                          "(2, 3)", "(2, 4)");
  // Shapes that would broadcast into pairs that mean nothing: two targets against one output.
  REQUIRE_THROWS_WITH_ALL(L::mean_absolute_error(Tensor::ones({4, 2}), Tensor::ones({4, 1})), std::invalid_argument,
                          "mean_absolute_error", "y_true.shape=(4, 2)", "y_pred.shape=(4, 1)");
}
