// The functional API: graphs of layer calls between Input()s and an output. A model must compute
// exactly what calling its layers by hand computes, pass float64 gradcheck through branches and
// merges, share weights between calls of one layer, nest, print Keras's summary (widths worked
// out from Keras's print_summary rules below) and reject malformed graphs.
#include <sstream>

#include "support/fixtures.h"

using namespace minidl;
using namespace minidl::layers;
using Inputs = std::vector<Tensor>;

namespace {

// The layer object the model holds under `name`.
template <class L>
L& layer_named(const Functional& m, const std::string& name) {
  for (const auto& l : m.layers())
    if (l->name() == name) return dynamic_cast<L&>(*l);
  FAIL("no layer " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("functional: a residual block computes what its layers compute by hand", "[layers][functional]") {
  clear_session();
  auto x = Input({5});
  auto h = Dense({.units = 4, .activation = "tanh"})(x);
  auto r = Add()({h, Dense({.units = 4, .activation = "relu"})(h)});
  auto y = Dense({.units = 2})(r);
  Functional model(x, y);
  REQUIRE(model.name() == "functional");
  REQUIRE(model.layers().size() == 5);  // input_layer, dense, dense_1, add, dense_2
  REQUIRE(model.compute_output_shape({7, 5}) == Shape{7, 2});
  REQUIRE(model.weights().size() == 6);

  Tensor in = Tensor::randn({3, 5});
  auto& d0 = layer_named<Dense>(model, "dense");
  auto& d1 = layer_named<Dense>(model, "dense_1");
  auto& d2 = layer_named<Dense>(model, "dense_2");
  Tensor hh = d0(in);
  Tensor expected = d2(hh + d1(hh));
  REQUIRE(model(in).to_vector<float>() == expected.to_vector<float>());
}

TEST_CASE("functional: a small U-Net passes float64 gradcheck through its skip connection",
          "[layers][functional][gradcheck]") {
  auto x = Input({.shape = Shape{6, 6, 2}, .dtype = "float64"});
  auto e = Conv2D({.filters = 3, .kernel_size = 3, .padding = "same", .activation = "tanh", .dtype = "float64"})(x);
  auto d = Conv2D({.filters = 4, .kernel_size = 3, .strides = 2, .padding = "same", .activation = "tanh", .dtype = "float64"})(e);
  auto u = Conv2DTranspose({.filters = 3, .kernel_size = 3, .strides = 2, .padding = "same", .dtype = "float64"})(d);
  auto m = Concatenate({.dtype = "float64"})({u, e});
  auto y = Conv2D({.filters = 1, .kernel_size = 1, .activation = "sigmoid", .dtype = "float64"})(m);
  Functional model(x, y);
  REQUIRE(model.dtype() == DType::Float64);
  REQUIRE(y.shape() == Shape{-1, 6, 6, 1});
  Inputs inputs{test::random_leaf({2, 6, 6, 2}, 5)};
  for (const auto& w : model.weights()) inputs.push_back(w->value);  // the layers read these very tensors
  REQUIRE(inputs.size() == 9);
  REQUIRE_GRADCHECK("U-Net", [&model](const Inputs& in) { return model(in[0]); }, inputs);
}

TEST_CASE("functional: a layer called twice shares its weights", "[layers][functional]") {
  clear_session();
  auto a = Input({3}), b = Input({3});
  auto shared = std::make_shared<Dense>(DenseOptions{.units = 2, .name = "shared"});
  auto y = Subtract()({(*shared)(a), (*shared)(b)});
  Functional model({a, b}, y, {.name = "siamese"});
  REQUIRE(model.weights().size() == 2);  // one kernel, one bias
  REQUIRE(model.count_params() == 8);
  Tensor ta = Tensor::randn({4, 3}), tb = Tensor::randn({4, 3});
  Tensor expected = (*shared)(ta) - (*shared)(tb);
  REQUIRE(model({ta, tb}).to_vector<float>() == expected.to_vector<float>());
  // The second call's node is node 1 of the shared layer.
  const auto config = model.get_config();
  const auto& nodes = config.at("layers")[2].at("inbound_nodes");
  REQUIRE(config.at("layers")[2].at("name") == "shared");
  REQUIRE(nodes.size() == 2);
  REQUIRE(config.at("layers")[3].at("inbound_nodes")[0].at("args")[0][1].at("config").at("keras_history") ==
          nlohmann::json::array({"shared", 1, 0}));
}

TEST_CASE("functional: models nest inside models and Sequentials inside graphs", "[layers][functional]") {
  auto inner_in = Input({4});
  auto inner = std::make_shared<Functional>(inner_in, Dense({.units = 3})(inner_in), FunctionalOptions{.name = "inner"});
  auto stack = std::make_shared<Sequential>(std::vector<std::shared_ptr<Layer>>{std::make_shared<Dense>(DenseOptions{.units = 2})});
  auto x = Input({4});
  auto y = (*stack)((*inner)(x));
  Functional outer(x, y, {.name = "outer"});
  REQUIRE(y.shape() == Shape{-1, 2});
  REQUIRE(outer.weights().size() == 4);
  Tensor in = Tensor::randn({2, 4});
  REQUIRE(outer(in).to_vector<float>() == (*stack)((*inner)(in)).to_vector<float>());
}

TEST_CASE("functional: summary prints Keras's graph table", "[layers][functional][summary]") {
  // Keras's print_summary for a non-sequential graph at line length 76: positions
  // [0.3, 0.56, 0.74, 1.0] give widths 22, 20, 14, 20; with cell padding that is 84 for the 71
  // columns inside the borders, and rich takes the excess 13 evenly (3, 3, 4, 3): 19, 17, 10, 17.
  clear_session();
  auto x = Input({4});
  auto y = Add()({Dense({.units = 3})(x), Dense({.units = 3})(x)});
  Functional model(x, y);
  const std::string expected =
      "Model: \"functional\"\n"
      "┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓\n"
      "┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃\n"
      "┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩\n"
      "│ input_layer         │ (None, 4)         │          0 │ -                 │\n"
      "│ (InputLayer)        │                   │            │                   │\n"
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
      "│ dense (Dense)       │ (None, 3)         │         15 │ input_layer[0][0] │\n"
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
      "│ dense_1 (Dense)     │ (None, 3)         │         15 │ input_layer[0][0] │\n"
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
      "│ add (Add)           │ (None, 3)         │          0 │ dense[0][0],      │\n"
      "│                     │                   │            │ dense_1[0][0]     │\n"
      "└─────────────────────┴───────────────────┴────────────┴───────────────────┘\n"
      " Total params: 30 (120.00 B)\n"
      " Trainable params: 30 (120.00 B)\n"
      " Non-trainable params: 0 (0.00 B)\n";
  REQUIRE(model.summary_string() == expected);

  // A plain chain gets the sequential table (widths 31, 22, 13), InputLayer row included.
  clear_session();
  auto c = Input({4});
  Functional chain(c, Dense({.units = 2})(c));
  const std::string s = chain.summary_string();
  REQUIRE(s.find("┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃\n") != std::string::npos);
  REQUIRE(s.find("│ input_layer (InputLayer)        │ (None, 4)              │             0 │\n") != std::string::npos);
  REQUIRE(s.find("│ dense (Dense)                   │ (None, 2)              │            10 │\n") != std::string::npos);
  REQUIRE(s.find("Connected to") == std::string::npos);
}

TEST_CASE("functional: malformed graphs and calls raise clear errors", "[layers][functional][errors]") {
  auto x = Input({3}), other = Input({3});
  auto y = Add()({Dense({.units = 2})(x), Dense({.units = 2})(other)});
  const std::string other_name = other.node()->layer->name();
  REQUIRE_THROWS_WITH_ALL(Functional(x, y), std::invalid_argument, "depends on Input", other_name.c_str());
  auto h = Dense({.units = 2})(x);
  REQUIRE_THROWS_WITH_ALL(Functional(h, h), std::invalid_argument, "input 0", "not the output of layers::Input");
  REQUIRE_THROWS_WITH_ALL(Functional({x, x}, h), std::invalid_argument, "given twice");
  REQUIRE_THROWS_WITH_ALL(Functional(x, KerasTensor()), std::invalid_argument, "empty");

  Functional model(x, h);
  REQUIRE_THROWS_WITH_ALL(model(Tensor::zeros({2, 4})), std::invalid_argument, "expects shape (None, 3)", "(2, 4)");
  REQUIRE_THROWS_WITH_ALL(model({Tensor::zeros({2, 3}), Tensor::zeros({2, 3})}), std::invalid_argument,
                          "Layer \"", "\" expects 1 input(s), but it received 2 input tensors.");
  // Symbolic shapes are checked when the graph is recorded.
  REQUIRE_THROWS_WITH_ALL(Add()({Dense({.units = 2})(x), Dense({.units = 3})(x)}), std::invalid_argument,
                          "incompatible shapes", "(2,)", "(3,)");
  REQUIRE_THROWS_WITH_ALL(Conv2D({.filters = 1, .kernel_size = 3})(x), std::invalid_argument, "expected ndim=4");
  // A named layer on the stack cannot be kept by the graph.
  Dense local({.units = 2, .name = "local"});
  REQUIRE_THROWS_WITH_ALL(local(x), std::invalid_argument, "'local'", "std::make_shared");
  REQUIRE_THROWS_WITH_ALL(Input(InputOptions{}), std::invalid_argument, "shape is required");
  REQUIRE_THROWS_WITH_ALL(Input({.shape = Shape{3}, .batch_shape = Shape{-1, 3}}), std::invalid_argument,
                          "either batch_shape or shape");
  REQUIRE_THROWS_WITH_ALL(Input({0, 3}), std::invalid_argument, "positive or unknown", "(None, 0, 3)");
}

TEST_CASE("containers find their layers by name and index; tensors and shapes print with <<", "[layers][functional]") {
  clear_session();
  auto x = Input({2});
  Functional model(x, Dense({.units = 3, .name = "head"})(x));
  REQUIRE(model.get_layer("head")->class_name() == "Dense");
  REQUIRE(model.get_layer(0)->class_name() == "InputLayer");
  REQUIRE_THROWS_WITH_ALL(model.get_layer("tail"), std::invalid_argument, "No such layer: tail", "input_layer, head");
  REQUIRE_THROWS_WITH_ALL(model.get_layer(5), std::invalid_argument, "index 5", "only has 2 layers");
  Sequential stack({std::make_shared<Dense>(DenseOptions{.units = 1, .name = "only"})});
  REQUIRE(stack.get_layer("only")->name() == "only");
  REQUIRE_THROWS_WITH_ALL(model(Tensor()), std::invalid_argument, "'functional'", "undefined tensor");

  std::ostringstream os;
  os << Shape{2, 3} << " " << Tensor::from_vector(std::vector<float>{1.5f}, {1});
  REQUIRE(os.str() == "(2, 3) tensor([1.5], shape=(1,), dtype=float32)");
}

TEST_CASE("functional: an input one axis short or long of a last extent 1 is reshaped, as Keras 3",
          "[layers][functional]") {
  // Keras 3's Functional._adjust_input_rank: labels of shape (n,) into Input((1,)) are expanded to
  // (n, 1); (n, 1) into Input(()) is squeezed to (n,). Any other rank difference is an error.
  auto ids = Input({1});
  auto scalars = Input(InputOptions{.shape = Shape{}});
  auto sum = Add()({Flatten()(ids), Reshape({.target_shape = {1}})(scalars)});
  Functional model({ids, scalars}, sum);
  const Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3});
  const Tensor b = Tensor::from_vector(std::vector<float>{10, 20, 30}, {3, 1});
  const Tensor y = model(Inputs{a, b});  // a is (3,) for (None, 1), b is (3, 1) for (None,)
  REQUIRE(y.shape() == Shape{3, 1});
  CHECK(y.to_vector<float>() == std::vector<float>{11, 22, 33});
  CHECK(model.compute_output_shape_for({Shape{-1}, Shape{-1, 1}}) == Shape{-1, 1});

  // The one-input call goes through Layer::operator()(Tensor) and its input check.
  Functional one(ids, Flatten()(ids));
  CHECK(one(a).shape() == Shape{3, 1});
  REQUIRE_THROWS_WITH_ALL(one(Tensor::zeros({3, 1, 1, 1})), std::invalid_argument, "expects shape (None, 1)",
                          "(3, 1, 1, 1)");
  // A last extent other than 1 is not squeezed.
  REQUIRE_THROWS_WITH_ALL(model(Inputs{a, Tensor::zeros({3, 2})}), std::invalid_argument, "input 1",
                          "expects shape (None,)", "(3, 2)");
}
