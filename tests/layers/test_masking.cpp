// Keras's masking against the real Keras 3 (fixture: tests/reference/keras_masking.py): Embedding
// (mask_zero) and Masking feeding SimpleRNN, LSTM and GRU (return_sequences, go_backwards,
// zero_output_for_mask), a functional graph passing the mask through Dense, merge layers combining
// masks, and the masks the outputs carry; which layers pass a mask on and which drop it; float64 gradient checks of masked RNNs;
// Masking's config and registry entry; errors. The masked loss is in tests/optim/test_masked_loss.cpp.
#include "support/masking_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;

namespace {

Tensor values(const json& v, const Shape& shape) {
  return Tensor::from_vector(v.get<std::vector<double>>(), shape).to(DType::Float32);
}

// Masks hold exact 0 and 1.
void require_mask(const Tensor& actual, const Tensor& expected) { REQUIRE_CLOSE(actual, expected, 0.0, 1e-12); }

// The output and its mask against Keras's (a null mask: none).
void check_output(const Masked& out, const json& c) {
  const Shape shape = test::shape_from_json(c["output_shape"]);
  REQUIRE_CLOSE(out.value, values(c["y"], shape), 1e-5, 1e-6);
  if (c["mask"].is_null()) {
    CHECK_FALSE(out.mask.defined());
    return;
  }
  REQUIRE(out.mask.defined());
  const Shape mask_shape{shape[0], shape[1]};
  require_mask(out.mask, values(c["mask"], mask_shape));
}

template <class Options>
Options rnn_options(const json& kw) {
  Options o;
  o.units = kw.at("units");
  o.return_sequences = kw.value("return_sequences", false);
  o.go_backwards = kw.value("go_backwards", false);
  o.zero_output_for_mask = kw.value("zero_output_for_mask", false);
  return o;
}

std::shared_ptr<Layer> rnn(const std::string& cls, const json& kw) {
  if (cls == "SimpleRNN") return std::make_shared<SimpleRNN>(rnn_options<SimpleRNNOptions>(kw));
  if (cls == "LSTM") return std::make_shared<LSTM>(rnn_options<LSTMOptions>(kw));
  return std::make_shared<GRU>(rnn_options<GRUOptions>(kw));
}

// A user layer: one input (Twice) or two (a sum), with or without supports_masking.
class Twice : public Layer {
 public:
  explicit Twice(bool masking, std::size_t inputs = 1) : Layer("Twice", CommonOptions{}), inputs_(inputs) {
    set_supports_masking(masking);
  }
  Shape compute_output_shape(const Shape& s) const override { return s; }
  std::optional<std::size_t> expected_input_count() const override { return inputs_; }
  Tensor call_inputs(const std::vector<Tensor>& in, bool training) override {
    return inputs_ == 1 ? Layer::call_inputs(in, training) : in[0] + in[1];
  }

 protected:
  Tensor call(const Tensor& x, bool) override { return x * 2.0; }

 private:
  std::size_t inputs_;
};

}  // namespace

TEST_CASE("Embedding(mask_zero) -> SimpleRNN, LSTM and GRU match Keras, masks included", "[layers][masking]") {
  for (const auto& c : test::masking_fixture()["embedding_rnn"]) {
    INFO(c["cls"].get<std::string>() << " " << c["kwargs"].dump());
    Sequential model(SequentialOptions{.input_shape = Shape{5}});
    model.add(std::make_shared<Embedding>(EmbeddingOptions{.input_dim = 6, .output_dim = 3, .mask_zero = true}));
    model.add(rnn(c["cls"], c["kwargs"]));
    test::set_masking_case_weights(model, c);
    check_output(model.call_with_mask(test::masking_case_tokens(c), Tensor()), c);
    // Without the Sequential: the Embedding's mask handed to the RNN by hand gives the same.
    const Masked e = model.layers()[0]->call_with_mask(test::masking_case_tokens(c), Tensor());
    check_output(model.layers()[1]->call_with_mask(e.value, e.mask), c);
  }
}

TEST_CASE("Masking zeroes and masks the timesteps equal to mask_value, and LSTM skips them as Keras",
          "[layers][masking]") {
  for (const auto& c : test::masking_fixture()["masking"]) {
    INFO("mask_value " << c["mask_value"] << " rnn " << c["rnn"].dump());
    Sequential model(SequentialOptions{.input_shape = Shape{4, 2}});
    model.add(Masking({.mask_value = c["mask_value"].get<double>()}));
    if (!c["rnn"].is_null()) model.add(rnn("LSTM", c["rnn"]));
    test::set_masking_case_weights(model, c);
    const Tensor x = values(c["x"], test::shape_from_json(c["input_shape"]));
    check_output(model.call_with_mask(x, Tensor()), c);
  }
}

TEST_CASE("A functional graph passes the mask through Dense into a SimpleRNN as Keras", "[layers][masking]") {
  const json& c = test::masking_fixture()["functional"][0];
  auto in = Input({5});
  auto h = Embedding({.input_dim = 6, .output_dim = 3, .mask_zero = true})(in);
  h = Dense({.units = 4, .activation = "tanh"})(h);
  h = SimpleRNN({.units = 3, .return_sequences = true, .go_backwards = true})(h);
  Functional model(in, Dense({.units = 2})(h));
  test::set_masking_case_weights(model, c);
  check_output(model.call_outputs_masked({test::masking_case_tokens(c)}, {}, false)[0], c);
  check_output(model.call_with_mask(test::masking_case_tokens(c), Tensor()), c);
  // Nested in a Sequential, the inner graph's output mask reaches the outer model's output.
  auto shared = std::make_shared<Functional>(std::move(model));
  Sequential outer({shared}, {.input_shape = Shape{5}});
  check_output(outer.call_with_mask(test::masking_case_tokens(c), Tensor()), c);
}

TEST_CASE("Merge layers combine their inputs' masks as Keras", "[layers][masking]") {
  for (const auto& c : test::masking_fixture()["merge"]) {
    const std::string cls = c["cls"];
    INFO(cls << " axis " << c["axis"] << " second input masked " << c["mask_b"]);
    auto a = Input({5}), b = Input({5});
    auto ea = Embedding({.input_dim = 6, .output_dim = 3, .mask_zero = true})(a);
    auto eb = Embedding({.input_dim = 6, .output_dim = 3, .mask_zero = c["mask_b"].get<bool>()})(b);
    const std::vector<KerasTensor> both{ea, eb};
    KerasTensor y = cls == "Add"          ? Add()(both)
                    : cls == "Subtract"   ? Subtract()(both)
                    : cls == "Multiply"   ? Multiply()(both)
                    : cls == "Average"    ? Average()(both)
                    : cls == "Maximum"    ? Maximum()(both)
                    : cls == "Minimum"    ? Minimum()(both)
                                          : Concatenate({.axis = c["axis"].get<std::int64_t>()})(both);
    Functional model(std::vector<KerasTensor>{a, b}, y);
    test::set_masking_case_weights(model, c);
    check_output(model.call_outputs_masked({test::masking_case_tokens(c), test::masking_case_tokens(c, "tokens_b")}, {}, false)[0], c);
  }
}

TEST_CASE("Which layers pass a mask on, as Keras's supports_masking", "[layers][masking]") {
  const Tensor x = Tensor::ones({2, 3, 4});
  const Tensor mask = Tensor::from_vector(std::vector<float>{1, 0, 1, 1, 1, 0}, {2, 3});
  std::vector<std::shared_ptr<Layer>> passing{
      std::make_shared<Dense>(DenseOptions{.units = 2}), std::make_shared<Dropout>(DropoutOptions{.rate = 0.5}),
      std::make_shared<Activation>(ActivationOptions{.activation = "relu"}), std::make_shared<LeakyReLU>(),
      std::make_shared<LayerNormalization>(), std::make_shared<BatchNormalization>(),
      std::make_shared<Rescaling>(RescalingOptions{.scale = 2.0}),
      std::make_shared<GRU>(GRUOptions{.units = 2, .return_sequences = true})};
  for (auto& l : passing) {
    INFO(l->class_name());
    CHECK(l->supports_masking());
    const Masked out = l->call_with_mask(x, mask);
    REQUIRE(out.mask.defined());
    require_mask(out.mask, mask);
  }
  std::vector<std::shared_ptr<Layer>> dropping{
      std::make_shared<Flatten>(), std::make_shared<Conv1D>(Conv1DOptions{.filters = 2, .kernel_size = 1}),
      std::make_shared<Embedding>(EmbeddingOptions{.input_dim = 3, .output_dim = 2}),
      std::make_shared<LSTM>(LSTMOptions{.units = 2})};
  for (auto& l : dropping) {
    INFO(l->class_name());
    CHECK_FALSE(l->call_with_mask(l->class_name() == "Embedding" ? Tensor::zeros({2, 3}) : x, mask).mask.defined());
  }
  // User layers: Keras's default drops the mask; set_supports_masking(true) passes it on. One taking
  // two tensors drops them too, and refuses to guess with supports_masking.
  CHECK_FALSE(Twice(false).call_with_mask(x, mask).mask.defined());
  require_mask(Twice(true).call_with_mask(x, mask).mask, mask);
  CHECK_FALSE(Twice(false, 2).call_inputs_with_masks({x, x}, {mask, mask}, false).mask.defined());
  REQUIRE_THROWS_WITH_ALL(Twice(true, 2).call_inputs_with_masks({x, x}, {mask, mask}, false), std::invalid_argument,
                          "supports_masking with several input tensors");
  // Embedding(mask_zero) ignores the mask it receives and makes its own; any non-zero entry keeps.
  Embedding emb({.input_dim = 5, .output_dim = 2, .mask_zero = true});
  const Tensor ids = Tensor::from_vector(std::vector<float>{0, 3, 1, 0, 0, 4}, {2, 3});
  require_mask(emb.call_with_mask(ids, mask).mask, Tensor::from_vector(std::vector<float>{0, 1, 1, 0, 0, 1}, {2, 3}));
  const Tensor twos = Tensor::from_vector(std::vector<float>{2, 0, -1, 1, 1, 0}, {2, 3});
  require_mask(Dense({.units = 1}).call_with_mask(x, twos).mask, mask);
}

TEST_CASE("Masked SimpleRNN, LSTM and GRU: float64 gradient checks", "[layers][masking][gradcheck]") {
  std::uint64_t seed = 900;
  // Row 0 masks timesteps 1 and 3 (inside and at the end), row 1 timestep 0 (the start).
  const Tensor mask = Tensor::from_vector(std::vector<double>{1, 0, 1, 0, 0, 1, 1, 1}, {2, 4});
  auto check = [&](RNNBase& layer) {
    Tensor x = test::random_leaf({2, 4, 3}, ++seed);
    layer.build(x.shape());
    std::vector<Tensor> inputs{x};
    for (const auto& v : layer.weights()) {
      v->assign(test::random_leaf(v->value.shape(), ++seed).detach());
      inputs.push_back(v->value);
    }
    auto f = [&layer, &mask](const std::vector<Tensor>& in) {
      const RNNOutput r = layer.call_with_state(in[0], false, {}, mask);
      std::vector<Tensor> all{reshape(r.output, {-1})};
      for (const auto& s : r.states) all.push_back(reshape(s, {-1}));
      return concat(all, 0);
    };
    REQUIRE_GRADCHECK(layer.name(), f, inputs);
  };
  for (bool backwards : {false, true})
    for (bool sequences : {false, true}) {
      SimpleRNN s({.units = 2, .return_sequences = sequences, .go_backwards = backwards, .dtype = "float64"});
      check(s);
      LSTM l({.units = 2, .return_sequences = sequences, .go_backwards = backwards,
              .zero_output_for_mask = sequences, .dtype = "float64"});
      check(l);
      GRU g({.units = 2, .return_sequences = sequences, .go_backwards = backwards, .dtype = "float64"});
      check(g);
    }
  // Masking's gradient reaches the kept timesteps only.
  Masking masking({.mask_value = 0.0, .dtype = "float64"});
  Tensor x = test::random_leaf({2, 3, 2}, ++seed);
  REQUIRE_GRADCHECK("masking", [&](const std::vector<Tensor>& in) { return masking(in[0]); }, {x});
}

TEST_CASE("Masking's config matches Keras and loads through the registry", "[layers][masking]") {
  const Masking m({.mask_value = 0.5, .name = "masking"});
  CHECK(m.get_config() == test::masking_fixture()["masking_config"]);
  auto loaded = optim::layer_from_config({{"class_name", "Masking"}, {"config", test::masking_fixture()["masking_config"]}});
  CHECK(loaded->class_name() == "Masking");
  CHECK(loaded->get_config() == test::masking_fixture()["masking_config"]);
  // A Sequential with Masking survives a JSON round trip.
  Sequential model(SequentialOptions{.input_shape = Shape{4, 2}});
  model.add(Masking({.mask_value = -1.0}));
  model.add(LSTM({.units = 2}));
  auto copy = optim::layer_from_config({{"class_name", "Sequential"}, {"config", model.get_config()}});
  CHECK(copy->get_config()["layers"][1]["config"]["mask_value"] == -1.0);
  CHECK(std::dynamic_pointer_cast<Sequential>(copy)->summary_string().find("Masking") != std::string::npos);
}

TEST_CASE("Masking errors", "[layers][masking]") {
  LSTM lstm({.units = 2, .name = "l"});
  const Tensor x = Tensor::zeros({2, 3, 4});
  REQUIRE_THROWS_WITH_ALL(lstm.call_with_mask(x, Tensor::ones({2, 4})), std::invalid_argument, "layer 'l' (LSTM)",
                          "leading axes", "mask of shape (2, 4)", "input of shape (2, 3, 4)");
  REQUIRE_THROWS_WITH_ALL(lstm.call_with_state(x, false, {}, Tensor::ones({3, 3})), std::invalid_argument,
                          "mask of shape (3, 3)");
  REQUIRE_THROWS_WITH_ALL(lstm.call_with_mask(x, Tensor::ones({2})), std::invalid_argument,
                          "the mask must have shape (batch, timesteps)", "(2,)");
  REQUIRE_THROWS_WITH_ALL(lstm.call_with_mask(x, Tensor::ones({2, 3, 4, 1})), std::invalid_argument, "leading axes");
  // A (batch, timesteps, k) mask skips a timestep when all k entries are 0, as Keras's jax rnn.
  Tensor m3 = Tensor::zeros({2, 3, 4});
  m3.data<float>()[5] = 1.0f;  // row 0, timestep 1 kept
  const Tensor m2 = Tensor::from_vector(std::vector<float>{0, 1, 0, 0, 0, 0}, {2, 3});
  const Tensor xs = test::pattern({2, 3, 4}, 3);
  REQUIRE_CLOSE(lstm.call_with_mask(xs, m3).value, lstm.call_with_mask(xs, m2).value, 0.0, 1e-12);
  REQUIRE_THROWS_WITH_ALL(Masking({.name = "m"})(Tensor::zeros({4})), std::invalid_argument, "layer 'm' (Masking)",
                          "rank >= 2", "(4,)");
  BatchNormalization bn({.name = "bn"});  // a mask in training: tests/layers/test_bn_mask.cpp
  REQUIRE_THROWS_WITH_ALL(bn.call_with_mask(x, Tensor::ones({2})), std::invalid_argument,
                          "one dimension less than the inputs", "mask.shape=(2,)", "inputs.shape=(2, 3, 4)");
  Add add({.name = "add"});
  REQUIRE_THROWS_WITH_ALL(add.call_inputs_with_masks({x, x}, {Tensor::ones({2, 3})}, false), std::invalid_argument,
                          "layer 'add' (Add)", "2 input tensors but 1 masks");
  REQUIRE_THROWS_WITH_ALL(add.call_inputs_with_masks({x, Tensor::zeros({2, 4})}, {Tensor::ones({2, 3}), Tensor()}, false),
                          std::invalid_argument, "masked inputs of different ranks", "(2, 3, 4) and (2, 4)");
  REQUIRE_THROWS_WITH_ALL(add.call_inputs_with_masks({x, x}, {Tensor::ones({2, 4}), Tensor()}, false),
                          std::invalid_argument, "leading axes", "(2, 4)");
  REQUIRE_THROWS_WITH_ALL(Masking::from_config({{"mask_value", "zero"}}), std::invalid_argument,
                          "mask_value must be a number", "\"zero\"");
}
