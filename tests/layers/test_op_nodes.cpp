// Keras 3's operation nodes (layers/op_layer.h, layers/ops.h): keras.ops calls and operators on
// KerasTensors as nodes of a functional graph. Against the real Keras 3 (fixture:
// tests/reference/keras_ops_nodes.py): the same models built with layers::ops give Keras's outputs,
// weight gradients and SGD step; Keras's configs load and predict like Keras; ours match Keras's
// entries and reload; float64 gradient checks through op nodes; masks end at an op node; errors.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "support/functional_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;
using KTs = std::vector<KerasTensor>;

namespace {

// The script's models, op for op in Keras's order (one statement per op: C++ leaves the order of
// an expression's operands open, and the automatic names follow creation order).
std::shared_ptr<Functional> arithmetic(const std::string& dtype = "float32") {
  clear_session();
  auto x = Input({.shape = Shape{4}, .dtype = dtype, .name = "x"});
  auto y = Dense({.units = 3, .name = "dense", .dtype = dtype})(x);
  auto z = ops::add(y, 1.0);
  z = z * 2.0;
  auto v = 2.0 - y;
  auto za = ops::abs(z);
  auto d = y / (za + 1.0);
  auto p = ops::power(y, 2.0);
  auto n = -y;
  auto mx = ops::maximum(y, 0.5);
  auto m = mx + ops::clip(y, -0.5, 0.5);
  auto e = ops::exp(ops::minimum(y, 1.0));
  auto sq = ops::square(y) + 1.0;
  e = e * ops::sqrt(sq);
  auto lg = ops::log(ops::abs(y) + 1.0);
  auto g = lg - ops::tanh(y);
  auto out = Dense({.units = 2, .name = "head", .dtype = dtype})(ops::concatenate({z, v, d}, -1));
  return std::make_shared<Functional>(x, KTs{out, p, n, m, e, g}, FunctionalOptions{.name = "arithmetic"});
}

std::shared_ptr<Functional> reductions(const std::string& dtype = "float32") {
  clear_session();
  auto x = Input({.shape = Shape{3, 4}, .dtype = dtype, .name = "x"});
  auto h = Dense({.units = 4, .name = "dense", .dtype = dtype})(x);
  auto m = ops::mean(h, {.axis = -1, .keepdims = true});
  auto s = ops::sum(h, {.axis = {1, 2}});
  auto mx = ops::max(h, {.axis = 1});
  auto mn = ops::min(h, {.axis = {1, 2}, .keepdims = true});
  auto t = ops::transpose(h, {0, 2, 1});
  auto q = ops::squeeze(ops::expand_dims(m, 1), 1);
  auto c = ops::concatenate({h, q}, -1);
  auto sm = ops::softmax(ops::matmul(h, t), -1);
  auto v = ops::var(h, {.axis = -1});
  auto out = Dense({.units = 2, .name = "head", .dtype = dtype})(ops::reshape(c, {-1, 15}));
  return std::make_shared<Functional>(x, KTs{out, s, mx, mn, sm, v}, FunctionalOptions{.name = "reductions"});
}

std::shared_ptr<Functional> conv_nn() {
  clear_session();
  auto x = Input({.shape = Shape{5, 5, 2}, .name = "x"});
  auto h = Conv2D({.filters = 4, .kernel_size = 3, .padding = "same", .name = "conv"})(x);
  // Python's a + b + c evaluates its operands left to right, adding as it goes.
  auto a = ops::relu(h);
  a = a + ops::sigmoid(h);
  a = a + ops::gelu(h);
  a = a + ops::leaky_relu(h);
  a = a + ops::elu(h);
  a = a + ops::silu(h);
  auto b = ops::softplus(h);
  b = b + ops::relu6(h);
  b = b + ops::hard_sigmoid(h);
  b = b + ops::selu(h);
  b = b + ops::softsign(h);
  auto gt = ops::greater(h, 0.0);
  auto w = ops::where(gt, h, 0.1 * h);
  auto k = ops::cast(ops::less(h, 0.2), "float32");
  auto ab = a * b;
  auto pooled = ops::mean(ab + w * k, {.axis = {1, 2}});
  auto out = Dense({.units = 3, .name = "head"})(ops::log_softmax(pooled, -1));
  return std::make_shared<Functional>(x, KTs{out, k}, FunctionalOptions{.name = "conv_nn"});
}

std::shared_ptr<Functional> masked() {
  clear_session();
  auto tok = Input({.shape = Shape{-1}, .name = "tokens"});
  auto e = Embedding({.input_dim = 7, .output_dim = 3, .mask_zero = true, .name = "embed"})(tok);
  auto keep = ops::cast(ops::not_equal(tok, 0.0), "float32");
  auto weighted = e * ops::expand_dims(keep, -1);
  auto total = ops::sum(weighted, {.axis = 1});
  auto pooled = total / ops::maximum(ops::sum(keep, {.axis = 1, .keepdims = true}), 1.0);
  // Called before the LSTMs: Keras lists the layers (and so the weights) by depth in the graph.
  auto out = Dense({.units = 2, .name = "head"})(pooled);
  auto seq = LSTM({.units = 4, .name = "lstm"})(e);
  auto after_op = LSTM({.units = 4, .name = "after_op"})(e * 2.0);
  return std::make_shared<Functional>(tok, KTs{out, seq, after_op}, FunctionalOptions{.name = "masked"});
}

std::shared_ptr<Functional> model_for(const json& c) {
  const std::string name = c["name"];
  if (name == "arithmetic") return arithmetic();
  if (name == "reductions") return reductions();
  if (name == "conv_nn") return conv_nn();
  REQUIRE(name == "masked");
  return masked();
}

std::vector<Tensor> case_inputs(const json& c) {
  std::vector<Tensor> x;
  for (std::size_t i = 0; i < c["input_shapes"].size(); ++i) {
    const Shape s = test::shape_from_json(c["input_shapes"][i]);
    const std::int64_t k = c["seed"].get<std::int64_t>() + static_cast<std::int64_t>(i);
    x.push_back(c["tokens"].get<bool>() ? test::pattern_indices(s, k, 7) : test::pattern(s, k));
    const std::int64_t zero_steps = c["zero_steps"];  // the last steps of every sample are zeros
    if (zero_steps > 0) {
      std::vector<float> keep(static_cast<std::size_t>(s[1]), 1.0f);
      std::fill(keep.end() - zero_steps, keep.end(), 0.0f);
      x.back() = (x.back() * Tensor::from_vector(keep, Shape{1, s[1], 1})).detach();
    }
  }
  return x;
}

void set_case_weights(Functional& model, const json& c) { test::set_model_weights(model, c); }
void check_outputs(Functional& model, const json& c) { test::check_model_outputs(model, c, case_inputs(c)); }
Tensor case_loss(Functional& model, const json& c) { return test::weighted_output_loss(model.call_outputs(case_inputs(c), true), c); }
using test::fixture_tensor;

std::shared_ptr<Functional> from_config(const json& config) {
  return test::functional_from_json({{"class_name", "Functional"}, {"config", config}});
}
using test::entry_named;

}  // namespace

TEST_CASE("op nodes: models with keras.ops nodes give Keras's outputs, gradients and SGD step", "[layers][ops][functional][keras]") {
  const auto fx = test::load_fixture("keras_ops_nodes.json");
  REQUIRE(fx["cases"].size() == 6);
  for (const auto& c : fx["cases"]) {
    if (c["name"] == "keyword_arguments" || c["name"] == "masking") continue;  // only loaded from Keras's config
    INFO("case " << c["name"]);
    auto model = model_for(c);
    set_case_weights(*model, c);
    check_outputs(*model, c);
    case_loss(*model, c).backward();
    const auto weights = model->weights();
    for (std::size_t j = 0; j < weights.size(); ++j) {
      INFO("gradient of " << weights[j]->path);
      REQUIRE_CLOSE(weights[j]->value.grad(), fixture_tensor(c["grads_weights"][j], weights[j]->value.shape()), 1e-4, 1e-5);
    }
    if (!c.contains("after_step")) continue;
    optim::SGD sgd({.learning_rate = 0.1});
    sgd.step(weights);
    for (std::size_t j = 0; j < weights.size(); ++j) {
      INFO("after one step: " << weights[j]->path);
      REQUIRE_CLOSE(weights[j]->value, fixture_tensor(c["after_step"][j], weights[j]->value.shape()), 1e-5, 1e-5);
    }
  }
}

TEST_CASE("op nodes: Keras's configs load and predict like Keras", "[layers][ops][functional][keras]") {
  const auto fx = test::load_fixture("keras_ops_nodes.json");
  for (const auto& c : fx["cases"]) {
    INFO("case " << c["name"]);
    auto model = from_config(c["config"]);
    set_case_weights(*model, c);
    check_outputs(*model, c);
    case_loss(*model, c).backward();  // and trains: the same gradients
    const auto weights = model->weights();
    for (std::size_t j = 0; j < weights.size(); ++j)
      REQUIRE_CLOSE(weights[j]->value.grad(), fixture_tensor(c["grads_weights"][j], weights[j]->value.shape()), 1e-4, 1e-5);
    // Loaded operations write Keras's entries back, constants and keyword arguments in place.
    const json again = model->get_config();
    for (const auto& l : again["layers"]) {
      if (l["module"].get<std::string>().rfind("keras.src.ops", 0) != 0) continue;
      INFO("operation " << l["name"]);
      CHECK(l == entry_named(c["config"], l["name"]));
    }
  }
}

TEST_CASE("op nodes: the configs we write are Keras's (module, class, config, constants in args)", "[layers][ops][functional][keras]") {
  const auto fx = test::load_fixture("keras_ops_nodes.json");
  json exported = json::array();
  for (const auto& c : fx["cases"]) {
    if (c["name"] == "keyword_arguments" || c["name"] == "masking") continue;
    INFO("case " << c["name"]);
    auto model = model_for(c);
    const json ours = model->get_config();
    exported.push_back({{"name", c["name"]}, {"config", ours}});
    // Keras's Embedding(mask_zero) also records its mask as a NotEqual node, which the masked LSTM
    // names in its `mask` keyword; minidl hands masks along by itself (the rest is identical).
    std::size_t operations = 0;
    for (const auto& l : ours["layers"]) {
      INFO("layer " << l["name"]);
      const json& k = entry_named(c["config"], l["name"]);
      if (l["module"].get<std::string>().rfind("keras.src.ops", 0) == 0) {
        ++operations;
        CHECK(l == k);
      } else if (l["name"] == "lstm") {
        json without_mask = k["inbound_nodes"];
        without_mask[0]["kwargs"].erase("mask");
        without_mask[0]["kwargs"].erase("training");
        CHECK(l["inbound_nodes"] == without_mask);
      }
    }
    std::size_t keras_operations = 0;
    for (const auto& l : c["config"]["layers"]) keras_operations += l["module"].get<std::string>().rfind("keras.src.ops", 0) == 0;
    CHECK(operations + (c["name"] == "masked" ? 1 : 0) == keras_operations);
    INFO("ours reloaded");
    auto loaded = from_config(ours);
    CHECK(loaded->get_config() == ours);
    set_case_weights(*loaded, c);
    check_outputs(*loaded, c);
  }
  // MINIDL_OPS_NODES_EXPORT=<file> writes these configs for tests/reference/check_ops_nodes_config.py,
  // which loads them with keras.Model.from_config and compares its predictions to the fixture's.
  if (const char* path = std::getenv("MINIDL_OPS_NODES_EXPORT")) {
    std::ofstream(path) << json{{"cases", exported}}.dump();
  }
}

TEST_CASE("op nodes: operators record what Python's record", "[layers][ops]") {
  clear_session();
  auto x = Input({.shape = Shape{3}, .name = "x"});
  auto y = Input({.shape = Shape{3}, .name = "y"});
  auto args_of = [](const KerasTensor& t, const KTs& inputs) {
    auto model = std::make_shared<Functional>(inputs, t);
    const json config = model->get_config();
    const json& l = config["layers"].back();
    return std::pair{l["class_name"].get<std::string>(), l["inbound_nodes"][0]["args"]};
  };
  {
    auto [cls, args] = args_of(2.0 - x, {x});
    CHECK(cls == "Subtract");
    CHECK(args[0] == 2.0);
    CHECK(args[1]["config"]["keras_history"][0] == "x");
  }
  {
    auto [cls, args] = args_of(x / y, {x, y});
    CHECK(cls == "TrueDivide");
    CHECK(args[1]["config"]["keras_history"][0] == "y");
  }
  CHECK(args_of(ops::divide(x, 2.0), {x}).first == "Divide");
  CHECK(args_of(-x, {x}).first == "Negative");
  CHECK(args_of(3.0 * x, {x}).second[0] == 3.0);
  CHECK(args_of(x + 1.0, {x}).second[1] == 1.0);
  {  // `2.0 < x` is x.__gt__(2.0) in Python
    auto [cls, args] = args_of(2.0 < x, {x});
    CHECK(cls == "Greater");
    CHECK(args[1] == 2.0);
  }
  CHECK(args_of(x < y, {x, y}).first == "Less");
  CHECK(args_of(x > 0.5, {x}).first == "Greater");
}

TEST_CASE("op nodes: Keras's dtypes in the tensors' configs (bools, casts, int sums)", "[layers][ops]") {
  clear_session();
  auto x = Input({.shape = Shape{3}, .name = "x"});
  auto b = ops::greater(x, 0.0);
  auto s = ops::sum(b, {.axis = 1});
  auto f = ops::cast(b, "float32");
  auto i = ops::cast(x, "int32");
  auto m = ops::mean(i, {.axis = 1});
  auto w = ops::where(b, x, 0.0);
  CHECK(keras_dtype(b) == "bool");
  CHECK(keras_dtype(s) == "int32");
  CHECK(keras_dtype(f) == "float32");
  CHECK(keras_dtype(i) == "int32");
  CHECK(keras_dtype(m) == "float32");
  CHECK(keras_dtype(w) == "float32");
  CHECK(keras_dtype(ops::logical_and(b, b)) == "bool");
  CHECK(keras_dtype(ops::add(b, 1.0)) == "float32");
  auto model = std::make_shared<Functional>(x, KTs{s, f, m, w});
  const json config = model->get_config();
  CHECK(entry_named(config, "cast")["inbound_nodes"][0]["args"][0]["config"]["dtype"] == "bool");
  CHECK(entry_named(config, "mean")["inbound_nodes"][0]["args"][0]["config"]["dtype"] == "int32");
  // Values: bools are 1/0, a cast to int truncates toward zero.
  const Tensor in = Tensor::from_vector(std::vector<float>{-1.5f, 0.0f, 2.7f}, Shape{1, 3});
  const auto y = model->call_outputs({in}, false);
  CHECK(y[0].to_vector<float>() == std::vector<float>{1.0f});
  CHECK(y[1].to_vector<float>() == std::vector<float>{0.0f, 0.0f, 1.0f});
  CHECK(y[2].item() == Approx((-1.0 + 0.0 + 2.0) / 3.0));
  CHECK(y[3].to_vector<float>() == std::vector<float>{0.0f, 0.0f, 2.7f});
}

TEST_CASE("op nodes: shapes follow Keras's broadcasting and reduction rules", "[layers][ops]") {
  clear_session();
  auto a = Input({.shape = Shape{1, 4}});
  auto b = Input({.shape = Shape{3, 1}});
  auto c = Input({.batch_shape = Shape{-1, -1, 4}});
  CHECK(ops::add(a, b).shape() == Shape{-1, 3, 4});
  CHECK(ops::multiply(c, a).shape() == Shape{-1, -1, 4});
  CHECK(ops::maximum(c, b).shape() == Shape{-1, 3, 4});  // unknown against 3 takes 3, as Keras
  CHECK(ops::sum(b, {}).shape() == Shape{});
  CHECK(ops::mean(b, {.keepdims = true}).shape() == Shape{1, 1, 1});
  CHECK(ops::max(c, {.axis = {-1, 1}}).shape() == Shape{-1});
  CHECK(ops::transpose(b).shape() == Shape{1, 3, -1});
  CHECK(ops::squeeze(b).shape() == Shape{-1, 3});
  CHECK(ops::expand_dims(b, -1).shape() == Shape{-1, 3, 1, 1});
  CHECK(ops::reshape(b, {-1, 3}).shape() == Shape{-1, 3});
  CHECK(ops::concatenate({a, a}, 1).shape() == Shape{-1, 2, 4});
  CHECK(ops::stack({a, a}, 1).shape() == Shape{-1, 2, 1, 4});
  CHECK(ops::matmul(b, a).shape() == Shape{-1, 3, 4});
}

TEST_CASE("op nodes: float64 gradients through op nodes match finite differences", "[layers][ops][gradcheck]") {
  for (const std::string name : {"arithmetic", "reductions"}) {
    INFO(name);
    auto model = name == "arithmetic" ? arithmetic("float64") : reductions("float64");
    const Shape in = name == "arithmetic" ? Shape{2, 4} : Shape{2, 3, 4};
    auto f = [&](const std::vector<Tensor>& v) {
      const auto y = model->call_outputs({v[0]}, false);
      Tensor total;
      for (std::size_t k = 0; k < y.size(); ++k) {
        const Tensor term = (y[k] * test::pattern(y[k].shape(), 7 + static_cast<std::int64_t>(k), DType::Float64)).sum();
        total = total.defined() ? total + term : term;
      }
      return total;
    };
    REQUIRE_GRADCHECK(name, f, {test::random_leaf(in, 11, 0.2, 0.9)});
  }
  {  // the nn activations, both signs (no draw lands within the step of a kink at 0)
    clear_session();
    auto x = Input({.shape = Shape{4}, .dtype = "float64"});
    KTs acts{ops::relu(x), ops::relu6(x), ops::sigmoid(x), ops::hard_sigmoid(x), ops::softplus(x), ops::softsign(x),
             ops::silu(x), ops::selu(x), ops::gelu(x), ops::gelu(x, false), ops::elu(x, 0.7), ops::leaky_relu(x, 0.1),
             ops::tanh(x), ops::log_softmax(x, -1)};
    auto model = std::make_shared<Functional>(x, ops::stack(acts, 1));
    auto f = [&](const std::vector<Tensor>& v) { return ((*model)(v[0]) * test::pattern({3, 14, 4}, 5, DType::Float64)).sum(); };
    REQUIRE_GRADCHECK("nn activations", f, {test::random_leaf({3, 4}, 13, -0.9, 0.9)});
  }
  {  // where, clip, softmax, comparisons (no gradient) and a constant base
    clear_session();
    auto x = Input({.shape = Shape{5}, .dtype = "float64"});
    auto w = ops::where(ops::greater(x, 0.5), ops::square(x), 2.0 * x);
    auto s = ops::softmax(ops::clip(w, 0.0, 1.5) + ops::power(2.0, x), 0);
    auto model = std::make_shared<Functional>(x, ops::std(s * ops::log_softmax(x), {.axis = -1}));
    auto f = [&](const std::vector<Tensor>& v) { return (*model)(v[0]).sum(); };
    REQUIRE_GRADCHECK("where/clip/softmax", f, {test::random_leaf({3, 5}, 12, 0.05, 0.95)});
  }
}

TEST_CASE("op nodes: a mask ends at an op node, as in Keras", "[layers][ops][masking]") {
  clear_session();
  auto tok = Input({.shape = Shape{-1}});
  auto e = Embedding({.input_dim = 5, .output_dim = 2, .mask_zero = true})(tok);
  auto model = std::make_shared<Functional>(tok, KTs{e, e * 2.0, ops::relu(e)});
  const Tensor ids = Tensor::from_vector(std::vector<float>{1, 2, 0, 3, 0, 0}, Shape{2, 3});
  const auto out = model->call_outputs_masked({ids}, {}, false);
  REQUIRE(out[0].mask.defined());  // the Embedding's
  CHECK_FALSE(out[1].mask.defined());
  CHECK_FALSE(out[2].mask.defined());
  REQUIRE_CLOSE(out[1].value, (out[0].value * 2.0).detach(), 1e-7, 1e-7);
}

TEST_CASE("op nodes: bad input is refused with a clear message", "[layers][ops][errors]") {
  clear_session();
  auto a = Input({.shape = Shape{3}});
  auto b = Input({.shape = Shape{4}});
  auto c = Input({.shape = Shape{2, 3}});
  REQUIRE_THROWS_WITH_ALL(ops::add(a, b), std::invalid_argument, "Add 'add", "cannot broadcast shapes", "(None, 3)", "(None, 4)");
  REQUIRE_THROWS_WITH_ALL(ops::mean(a, {.axis = 2}), std::out_of_range, "Mean", "axis 2 is out of bounds", "dimension 2");
  REQUIRE_THROWS_WITH_ALL(ops::sum(c, {.axis = {1, -2}}), std::invalid_argument, "Sum", "names an axis twice");
  REQUIRE_THROWS_WITH_ALL(ops::reshape(Input({.batch_shape = Shape{2, 2, 3}}), {-1, 5}), std::invalid_argument, "Reshape",
                          "(2, 2, 3) (12 elements)", "newshape [-1,5]");
  REQUIRE_THROWS_WITH_ALL(ops::reshape(c, {-1, -1}), std::invalid_argument, "more than one -1");
  REQUIRE_THROWS_WITH_ALL(ops::transpose(c, {0, 1}), std::invalid_argument, "Transpose", "not a permutation");
  REQUIRE_THROWS_WITH_ALL(ops::squeeze(c, 1), std::invalid_argument, "cannot squeeze axis 1", "(None, 2, 3)");
  REQUIRE_THROWS_WITH_ALL(ops::concatenate({a, c}, -1), std::invalid_argument, "Concatenate", "same shape", "(None, 3)", "(None, 2, 3)");
  REQUIRE_THROWS_WITH_ALL(ops::matmul(c, c), std::invalid_argument, "Matmul", "inner dimensions", "(None, 2, 3)");
  REQUIRE_THROWS_WITH_ALL(ops::matmul(Input({.batch_shape = Shape{3}}), c), std::invalid_argument, "rank >= 2", "(3,)");
  REQUIRE_THROWS_WITH_ALL(ops::cast(a, "complex64"), std::invalid_argument, "cast", "complex64", "float32");
  REQUIRE_THROWS_WITH_ALL(ops::concatenate({}), std::invalid_argument, "Concatenate", "empty list");
  REQUIRE_THROWS_WITH_ALL(OpLayer("Add", json::object(), json::array({1.0, 2.0})), std::invalid_argument, "Add", "at least one tensor");
  REQUIRE_THROWS_WITH_ALL(OpLayer("Mean", {{"axes", 1}}, json::array({json{{"__tensor__", 0}}})), std::invalid_argument,
                          "Mean", "unknown config key 'axes'", "axis, keepdims");
  REQUIRE_THROWS_WITH_ALL(OpLayer("Frobnicate", json::object(), json::array()), std::invalid_argument,
                          "unknown Keras operation 'Frobnicate'", "Add");
  OpLayer max_with_initial("Max", {{"initial", 0.0}}, json::array({json{{"__tensor__", 0}}}));
  REQUIRE_THROWS_WITH_ALL(max_with_initial(Tensor::zeros({2, 3})), std::invalid_argument, "Max", "initial=0.0", "only null");
  // The real tensors are checked too: an unknown extent met at the call.
  auto u = Input({.batch_shape = Shape{-1, -1}});
  auto model = std::make_shared<Functional>(KTs{a, u}, ops::add(a, u));
  REQUIRE_THROWS_WITH_ALL(model->call_outputs({Tensor::zeros({2, 3}), Tensor::zeros({2, 4})}, false), std::invalid_argument,
                          "cannot broadcast shapes (2, 3) and (2, 4)");
}

TEST_CASE("op nodes: bad configs name the operation and what is wrong", "[layers][ops][errors]") {
  const auto fx = test::load_fixture("keras_ops_nodes.json");
  const json& keras = fx["cases"][4]["config"];  // keyword_arguments: x -> dense -> subtract -> multiply
  auto with = [&](const std::string& name, const std::function<void(json&)>& edit) {
    json c = keras;
    for (auto& l : c["layers"])
      if (l["name"] == name) edit(l);
    return c;
  };
  REQUIRE_THROWS_WITH_ALL(from_config(with("subtract", [](json& l) { l["class_name"] = "Hypot"; })), std::invalid_argument,
                          "operation 'subtract'", "unknown Keras operation 'Hypot'", "minidl knows");
  REQUIRE_THROWS_WITH_ALL(from_config(with("subtract", [](json& l) { l["inbound_nodes"][0]["kwargs"]["x3"] = 1; })),
                          std::invalid_argument, "operation 'subtract'", "unexpected keyword argument 'x3'");
  REQUIRE_THROWS_WITH_ALL(from_config(with("subtract", [](json& l) { l["inbound_nodes"][0]["kwargs"].erase("x1"); })),
                          std::invalid_argument, "Subtract", "missing argument 'x1'");
  REQUIRE_THROWS_WITH_ALL(from_config(with("subtract", [](json& l) { l["inbound_nodes"].push_back(l["inbound_nodes"][0]); })),
                          std::invalid_argument, "operation 'subtract'", "exactly one inbound node");
  REQUIRE_THROWS_WITH_ALL(from_config(with("subtract", [](json& l) { l["inbound_nodes"][0]["kwargs"]["x1"] = json::array({1, 2}); })),
                          std::invalid_argument, "subtract", "x1=[1,2]", "a tensor or a number");
  // A keyword argument naming a config key sets it (`axis` given at the call).
  json c = with("multiply", [](json& l) {
    l["class_name"] = "Mean";
    l["inbound_nodes"][0] = {{"args", json::array({l["inbound_nodes"][0]["args"][0]})}, {"kwargs", {{"axis", -1}, {"keepdims", true}}}};
  });
  auto model = from_config(c);
  CHECK(model->compute_output_shapes_for({Shape{2, 4}})[1] == Shape{2, 1});
}

TEST_CASE("op nodes: a model with op nodes saves, loads and trains on", "[layers][ops][functional]") {
  const auto dir = std::filesystem::temp_directory_path() / ("minidl_op_nodes_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  clear_session();
  auto x = Input({.shape = Shape{4}});
  auto h = Dense({.units = 3})(x);
  auto y = Dense({.units = 1})(ops::relu(h) - 0.5 * ops::mean(h, {.axis = -1, .keepdims = true}));
  auto net = std::make_shared<Functional>(x, y);
  // Keras's summary lists the operations as rows with no parameters, connected by their tensors.
  const std::string table = net->summary_string();
  for (const char* row : {"relu (Relu)", "mean (Mean)", "multiply (Multiply)", "subtract (Subtract)", "relu[0][0]", "multiply[0][0]"}) {
    INFO(table << "\nexpected " << row);
    CHECK(table.find(row) != std::string::npos);
  }
  optim::Model model(net);
  model.compile({.optimizer = optim::SGD({.learning_rate = 0.05}), .loss = "mse"});
  const Tensor in = test::pattern({6, 4}, 3), target = test::pattern({6, 1}, 4);
  const double before = model.evaluate(in, target, {.verbose = 0}).at("loss");
  model.fit(in, target, {.epochs = 5, .verbose = 0});
  CHECK(model.evaluate(in, target, {.verbose = 0}).at("loss") < before);  // gradients flow through the op nodes
  model.save(dir);
  auto loaded = optim::load_model(dir);
  REQUIRE_CLOSE(loaded.predict(in), model.predict(in), 1e-7, 1e-7);
  std::filesystem::remove_all(dir);
}

TEST_CASE("op nodes: an operation alone is no layer for layer_from_config", "[layers][ops][errors]") {
  const auto fx = test::load_fixture("keras_ops_nodes.json");
  const json& add = entry_named(fx["cases"][0]["config"], "add");
  REQUIRE_THROWS_WITH_ALL(optim::layer_from_config(add), std::invalid_argument, "'Add' (keras.src.ops.numpy)",
                          "Keras operation", "load the model's config");
}
