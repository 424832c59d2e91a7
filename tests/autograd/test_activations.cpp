// Activations against the real Keras (fixture from tests/reference/keras_activations_losses.py):
// values and gradients in float64 and float32, float64 gradchecks, registry and errors.
#include <cmath>
#include <map>

#include "support/fixtures.h"

using namespace minidl;
using Inputs = std::vector<Tensor>;
namespace A = minidl::activations;

namespace {

const std::map<std::string, A::Activation>& cases() {
  static const std::map<std::string, A::Activation> table = {
      {"relu", [](const Tensor& x) { return A::relu(x); }},
      {"relu_negative_slope", [](const Tensor& x) { return A::relu(x, 0.1); }},
      {"relu_max_value", [](const Tensor& x) { return A::relu(x, 0.0, 3.0); }},
      {"relu_threshold", [](const Tensor& x) { return A::relu(x, 0.0, std::nullopt, 0.7); }},
      {"relu_all", [](const Tensor& x) { return A::relu(x, 0.3, 6.0, -0.3); }},
      {"relu_slope_threshold", [](const Tensor& x) { return A::relu(x, 0.3, std::nullopt, 0.7); }},
      {"leaky_relu", [](const Tensor& x) { return A::leaky_relu(x); }},
      {"relu6", A::relu6},
      {"elu", [](const Tensor& x) { return A::elu(x); }},
      {"elu_alpha", [](const Tensor& x) { return A::elu(x, 0.5); }},
      {"selu", A::selu},
      {"celu", [](const Tensor& x) { return A::celu(x, 1.5); }},
      {"gelu", [](const Tensor& x) { return A::gelu(x); }},
      {"gelu_approximate", [](const Tensor& x) { return A::gelu(x, true); }},
      {"sigmoid", A::sigmoid},
      {"hard_sigmoid", A::hard_sigmoid},
      {"sparse_sigmoid", A::sparse_sigmoid},
      {"log_sigmoid", A::log_sigmoid},
      {"tanh", A::tanh},
      {"hard_tanh", A::hard_tanh},
      {"tanh_shrink", A::tanh_shrink},
      {"softplus", A::softplus},
      {"softsign", A::softsign},
      {"sparse_plus", A::sparse_plus},
      {"squareplus", [](const Tensor& x) { return A::squareplus(x); }},
      {"silu", A::silu},
      {"hard_silu", A::hard_silu},
      {"mish", A::mish},
      {"soft_shrink", [](const Tensor& x) { return A::soft_shrink(x); }},
      {"hard_shrink", [](const Tensor& x) { return A::hard_shrink(x); }},
      {"threshold", [](const Tensor& x) { return A::threshold(x, 0.5, -2.0); }},
      {"exponential", A::exponential},
      {"linear", A::linear},
      {"softmax", [](const Tensor& x) { return A::softmax(x); }},
      {"softmax_axis0", [](const Tensor& x) { return A::softmax(x, 0); }},
      {"log_softmax", [](const Tensor& x) { return A::log_softmax(x); }},
      {"log_softmax_axis0", [](const Tensor& x) { return A::log_softmax(x, 0); }},
      {"glu", [](const Tensor& x) { return A::glu(slice(x, 1, 0, 8)); }},
      {"glu_axis0", [](const Tensor& x) { return A::glu(x, 0); }},
  };
  return table;
}

// Leading corner of w matching `shape` (glu halves an axis, so its seed is smaller).
Tensor corner(const Tensor& w, const Shape& shape) {
  Tensor out = w;
  for (std::int64_t d = 0; d < shape.ndim(); ++d) out = slice(out, d, 0, shape[d]);
  return out;
}

}  // namespace

TEST_CASE("activations match Keras values and gradients in float64", "[activations]") {
  const auto fx = test::load_fixture("keras_activations.json");
  const Tensor x0 = test::tensor_from_json(fx["x"]);
  const Tensor w = test::tensor_from_json(fx["w"]);
  REQUIRE(fx["cases"].size() == cases().size());
  for (const auto& [name, fn] : cases()) {
    SECTION(name) {
      const auto& c = fx["cases"][name];
      Tensor x = x0.deep_copy().set_requires_grad();
      Tensor y = fn(x);
      // Keras computes a few ops (tanh, mean) in float32 even with floatx float64, so the reference
      // is exact to about 1e-7 relative; a wrong formula is off by far more.
      REQUIRE_CLOSE(y, test::tensor_from_json(c["y"]), 1e-6, 1e-7);
      if (name == "linear") continue;  // identity: returns x itself, nothing recorded
      y.backward(corner(w, y.shape()));
      REQUIRE_CLOSE(x.grad(), test::tensor_from_json(c["grad"]), 1e-6, 1e-6);
    }
  }
}

TEST_CASE("activations match Keras in float32", "[activations]") {
  const auto fx = test::load_fixture("keras_activations.json");
  const Tensor x = test::tensor_from_json(fx["x"], DType::Float32);
  for (const auto& [name, fn] : cases()) {
    INFO(name);
    const Tensor y = fn(x);
    REQUIRE(y.dtype() == DType::Float32);
    REQUIRE_CLOSE(y, test::tensor_from_json(fx["cases"][name]["y"], DType::Float32), 1e-5, 1e-6);
  }
}

// Keras 3.15's sparsemax is not a projection (rows do not sum to 1), so its reference is the
// definition, solved by bisection in the reference script.
TEST_CASE("sparsemax is the projection onto the simplex", "[activations]") {
  const auto s = test::load_fixture("keras_activations.json")["sparsemax"];
  Tensor x = test::tensor_from_json(s["x"]).set_requires_grad();
  Tensor y = A::sparsemax(x);
  REQUIRE_CLOSE(y, test::tensor_from_json(s["y"]), 1e-10, 1e-12);
  REQUIRE_CLOSE(y.sum({1}), Tensor::ones({3}, DType::Float64), 1e-12, 1e-12);
  y.backward(test::tensor_from_json(s["w"]));
  REQUIRE_CLOSE(x.grad(), test::tensor_from_json(s["grad"]), 1e-6, 1e-8);
}

TEST_CASE("every activation passes a float64 gradcheck", "[activations][gradcheck]") {
  // Values drawn away from every kink (0, +-0.5, +-1, +-3, 6, 0.7, -0.3) so one-sided slopes never mix.
  Tensor x = test::random_leaf({4, 2, 8}, 7, -5.0, 5.0);
  {
    NoGradGuard guard;
    auto v = x.to_vector<double>();
    for (double& e : v)
      for (double k : {-6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 0.7, -0.3})
        if (std::abs(e - k) < 0.05) e = k + 0.05;
    x = Tensor::from_vector(v, x.shape()).set_requires_grad();
  }
  for (const auto& [name, fn] : cases()) {
    if (name == "linear") continue;
    REQUIRE_GRADCHECK(name, [fn = fn](const std::vector<Tensor>& in) { return fn(in[0]); }, Inputs{x});
  }
  REQUIRE_GRADCHECK("softmax axis 1 of 3", [](const std::vector<Tensor>& in) { return A::softmax(in[0], 1); }, Inputs{x});
  REQUIRE_GRADCHECK("log_softmax axis -2", [](const std::vector<Tensor>& in) { return A::log_softmax(in[0], -2); }, Inputs{x});
  Tensor s = test::random_leaf({2, 3, 4}, 11, -0.6, 0.6);
  REQUIRE_GRADCHECK("sparsemax axis 1", [](const std::vector<Tensor>& in) { return A::sparsemax(in[0], 1); }, Inputs{s});
  REQUIRE_GRADCHECK("softmax axes {0, 2}", [](const std::vector<Tensor>& in) { return A::softmax(in[0], {0, 2}); }, Inputs{x});
  REQUIRE_GRADCHECK("log_softmax axes {-1, 1}", [](const std::vector<Tensor>& in) { return A::log_softmax(in[0], {-1, 1}); },
                    Inputs{x});
}

TEST_CASE("softmax over several axes normalises each group they span", "[activations]") {
  // x[i, j, k] = i + 0.1 j - 0.2 k over axes {0, 2}: for each j, exp(i - 0.2 k) / sum_{i,k} of the same.
  std::vector<double> v;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) v.push_back(i + 0.1 * j - 0.2 * k);
  const Tensor x = Tensor::from_vector(v, {2, 3, 4});
  double z = 0;
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 4; ++k) z += std::exp(i - 0.2 * k);
  const auto y = A::softmax(x, {2, 0}).to_vector<double>();
  const auto ly = A::log_softmax(x, {0, -1}).to_vector<double>();
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) {
        const std::size_t at = static_cast<std::size_t>((i * 3 + j) * 4 + k);
        CHECK(y[at] == Approx(std::exp(i - 0.2 * k) / z).epsilon(1e-12));
        CHECK(ly[at] == Approx(i - 0.2 * k - std::log(z)).epsilon(1e-12));
      }
  // One axis in a list is that axis.
  CHECK(A::softmax(x, std::vector<std::int64_t>{1}).to_vector<double>() == A::softmax(x, 1).to_vector<double>());
  REQUIRE_THROWS_WITH_ALL(A::softmax(x, std::vector<std::int64_t>{}), std::invalid_argument, "softmax: axis",
                          "empty list");
  REQUIRE_THROWS_WITH_ALL(A::softmax(x, {1, -2}), std::invalid_argument, "softmax: axis must not repeat an axis",
                          "[1, -2]");
  REQUIRE_THROWS_WITH_ALL(A::log_softmax(x, {0, 3}), std::out_of_range, "log_softmax: axis", "3");
}

TEST_CASE("softmax is stable for huge logits and sums to one", "[activations]") {
  // Closed form: softmax([1000, 1000 + log 3]) = [1/4, 3/4]; naive exp would overflow.
  const Tensor x = Tensor::from_vector(std::vector<float>{1000.0f, 1000.0f + std::log(3.0f)}, {1, 2});
  const auto y = A::softmax(x).to_vector<float>();
  REQUIRE(y[0] == Approx(0.25).epsilon(1e-4));
  REQUIRE(y[1] == Approx(0.75).epsilon(1e-4));
  const auto ly = A::log_softmax(x).to_vector<float>();
  REQUIRE(ly[0] == Approx(std::log(0.25)).epsilon(1e-4));
  // sigmoid and softplus far in the tails: no overflow, no NaN.
  const Tensor big = Tensor::from_vector(std::vector<double>{-800.0, 800.0}, {2});
  REQUIRE(A::sigmoid(big).to_vector<double>() == std::vector<double>{0.0, 1.0});
  REQUIRE(A::softplus(big).to_vector<double>()[1] == 800.0);
}

TEST_CASE("the relu family passes NaN through, as TensorFlow and PyTorch", "[activations]") {
  // A NaN that became 0 here would hide bad inputs from the loss (and from TerminateOnNaN).
  const Tensor x = Tensor::from_vector(std::vector<float>{std::nanf(""), -1.0f, 2.0f}, {3});
  for (const char* name : {"relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu"}) {
    INFO(name);
    const auto y = A::get(name)(x).to_vector<float>();
    CHECK(std::isnan(y[0]));
  }
  CHECK(A::relu(x).to_vector<float>()[1] == 0.0f);
  CHECK(A::relu(x).to_vector<float>()[2] == 2.0f);
}

TEST_CASE("activations are found by their Keras identifiers", "[activations]") {
  const auto names = A::names();
  for (const char* keras_name :
       {"relu", "leaky_relu", "relu6", "softmax", "celu", "elu", "selu", "softplus", "softsign", "squareplus",
        "soft_shrink", "sparse_plus", "silu", "swish", "gelu", "glu", "tanh", "tanh_shrink", "sigmoid",
        "sparse_sigmoid", "exponential", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "hard_shrink",
        "linear", "mish", "log_softmax", "log_sigmoid", "sparsemax"}) {
    INFO(keras_name);
    REQUIRE(std::find(names.begin(), names.end(), keras_name) != names.end());
    const Shape expected = std::string(keras_name) == "glu" ? Shape{2, 2} : Shape{2, 4};  // glu halves the axis
    REQUIRE(A::get(keras_name)(Tensor::ones({2, 4})).shape() == expected);
  }
  // The registered function uses Keras's defaults: leaky_relu slope 0.2, hard_sigmoid(-1.5) = 0.25.
  const Tensor x = Tensor::from_vector(std::vector<double>{-1.5}, {1});
  REQUIRE(A::get("leaky_relu")(x).item() == Approx(-0.3));
  REQUIRE(A::get("hard_sigmoid")(x).item() == Approx(0.25));
}

TEST_CASE("activation errors name the problem", "[activations][errors]") {
  REQUIRE_THROWS_WITH_ALL(A::get("Relu"), std::invalid_argument, "unknown identifier 'Relu'", "relu", "swish");
  REQUIRE_THROWS_WITH_ALL(A::softmax(Tensor::ones({2, 3}), 2), std::out_of_range, "softmax", "axis");
  REQUIRE_THROWS_WITH_ALL(A::glu(Tensor::ones({2, 3})), std::invalid_argument, "glu", "even", "(2, 3)");
  REQUIRE_THROWS_WITH_ALL(A::relu(Tensor::ones({2}), 0.0, -1.0), std::invalid_argument, "max_value", "-1");
  REQUIRE_THROWS_WITH_ALL(A::softmax(Tensor::scalar(1.0)), std::invalid_argument, "softmax", "scalar");
}
