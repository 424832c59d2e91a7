#pragma once
// What Keras's SimpleRNN, LSTM and GRU share (keras/src/layers/rnn/rnn.py plus the cells): the weights
// kernel (features, gates * units), recurrent_kernel (units, gates * units) and bias, the time loop
// (forwards or go_backwards, last output or the whole sequence), dropout masks drawn once per call
// and reused at every timestep (Keras's DropoutRNNCell), and the config keys of keras.layers.RNN.
// The input projection of all timesteps is one matmul up front; each step does only the recurrent one.
// Everything is composed of autograd ops, so the backward pass comes from the tape.
//
// Masking as Keras's (jax backend rnn): the input's mask (batch, timesteps), from Embedding(mask_zero)
// or Masking or given to call_with_mask / call_with_state, skips timesteps: there the states are
// carried over unchanged and the output is the previous one (zeros with zero_output_for_mask). The
// output's mask is the input's with return_sequences, none otherwise.
//
// In a functional graph (rnn_functional.cpp) call_with_state(KerasTensor, initial_state) is Keras's
// `layer(x, initial_state=[...])`: one node reading the sequence and the states, with several outputs
// when return_state=true (the output, then the states), so encoder states can seed a decoder. The
// states' masks are none (Keras's compute_mask); the masks of initial_state tensors are ignored.
//
// stateful=true as Keras's: the final states of a call are kept (detached: no graph survives the call,
// as Keras's assign) and are the initial states of the next call, unless initial_state is given (its
// final states are kept too); reset_state() zeroes them. The batch size is fixed by the states: from
// build when its shape has a batch size, else from the first call (Keras refuses to build a stateful
// RNN without a static batch size; minidl's Sequential builds with an unknown one), and a call with
// another batch size throws as Keras does. The states are not weights (not in get_weights nor saved).
// Model's predict, fit and evaluate run the batches in order, so the states carry across batches as
// Keras documents (shuffle=false is the user's job; nothing resets between epochs: call
// reset_state() from a callback). Keras 3's jax backend does not carry them through its jitted
// predict/fit (tests/reference/keras_stateful_rnn.py records that); minidl follows eager Keras.
// A stateful layer is one sequence of calls: do not call it from several threads at once.
//
// Not supported: cuDNN (use_cudnn is not an option). unroll is
// accepted and changes nothing (Keras's unrolled loop outputs zeros rather than the initial state for
// masked timesteps at the start of a sequence: the same unless initial_state is given).
#include "minidl/layers/activation_arg.h"
#include "minidl/layers/layer.h"
#include "minidl/layers/layer_config.h"
#include "minidl/layers/layer_generator.h"

namespace minidl::layers {

// Option-struct fields the three layers share, in Keras's argument order (designated initializers
// follow it). Expanding them needs this header.
#define MINIDL_RNN_PENALTY_OPTIONS                                 \
  regularizers::Regularizer kernel_regularizer{};                  \
  regularizers::Regularizer recurrent_regularizer{};               \
  regularizers::Regularizer bias_regularizer{};                    \
  regularizers::Regularizer activity_regularizer{};                \
  constraints::Constraint kernel_constraint{};                     \
  constraints::Constraint recurrent_constraint{};                  \
  constraints::Constraint bias_constraint{};                       \
  double dropout = 0.0;           /* of the inputs, clamped to [0, 1] as Keras */ \
  double recurrent_dropout = 0.0  /* of the recurrent state */

#define MINIDL_RNN_SEQUENCE_OPTIONS                                                    \
  bool return_sequences = false; /* the whole sequence (batch, timesteps, units) */   \
  bool return_state = false;     /* then call_with_state gives the states */          \
  bool go_backwards = false;     /* process (and return) the sequence reversed */     \
  bool stateful = false;         /* keep the final states for the next call */        \
  bool unroll = false;           /* accepted, no effect */                           \
  bool zero_output_for_mask = false /* masked timesteps output zeros, not the previous output */

// The arguments of the three layers, gathered from their options structs by rnn_args().
struct RNNArgs {
  std::int64_t units = 0;
  ActivationArg activation = "tanh";
  ActivationArg recurrent_activation = "sigmoid";  // LSTM and GRU
  bool use_bias = true;
  initializers::Initializer kernel_initializer, recurrent_initializer, bias_initializer;
  regularizers::Regularizer kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer;
  constraints::Constraint kernel_constraint, recurrent_constraint, bias_constraint;
  double dropout = 0.0, recurrent_dropout = 0.0;
  std::optional<std::uint64_t> seed;
  bool return_sequences = false, return_state = false, go_backwards = false, stateful = false, unroll = false;
  bool zero_output_for_mask = false;
};

template <class Options>
RNNArgs rnn_args(const Options& o) {
  RNNArgs a{.units = o.units, .activation = o.activation, .use_bias = o.use_bias,
            .kernel_initializer = o.kernel_initializer, .recurrent_initializer = o.recurrent_initializer,
            .bias_initializer = o.bias_initializer, .kernel_regularizer = o.kernel_regularizer,
            .recurrent_regularizer = o.recurrent_regularizer, .bias_regularizer = o.bias_regularizer,
            .activity_regularizer = o.activity_regularizer, .kernel_constraint = o.kernel_constraint,
            .recurrent_constraint = o.recurrent_constraint, .bias_constraint = o.bias_constraint,
            .dropout = o.dropout, .recurrent_dropout = o.recurrent_dropout, .seed = o.seed,
            .return_sequences = o.return_sequences, .return_state = o.return_state,
            .go_backwards = o.go_backwards, .stateful = o.stateful, .unroll = o.unroll,
            .zero_output_for_mask = o.zero_output_for_mask};
  if constexpr (requires { o.recurrent_activation; }) a.recurrent_activation = o.recurrent_activation;
  return a;
}

// Reads the keys all three layers share from a Keras config into an options struct.
template <class Options>
void read_rnn_config(const nlohmann::json& c, Options& o) {
  using nlohmann::json;
  config::read_weight_args(c, o);  // activation, use_bias, kernel/bias initializers, regularizers, constraints
  o.units = json_int(c.at("units"), "units");
  if constexpr (requires { o.recurrent_activation; })
    if (c.contains("recurrent_activation")) o.recurrent_activation = ActivationArg::from_config(c["recurrent_activation"]);
  if (c.contains("recurrent_initializer") && !c["recurrent_initializer"].is_null())
    o.recurrent_initializer = initializers::Initializer::from_config(c["recurrent_initializer"]);
  if (c.contains("recurrent_regularizer"))
    o.recurrent_regularizer = regularizers::Regularizer::from_config(c["recurrent_regularizer"]);
  if (c.contains("recurrent_constraint"))
    o.recurrent_constraint = constraints::Constraint::from_config(c["recurrent_constraint"]);
  o.dropout = c.value("dropout", o.dropout);
  o.recurrent_dropout = c.value("recurrent_dropout", o.recurrent_dropout);
  if (c.contains("seed") && !c["seed"].is_null()) o.seed = static_cast<std::uint64_t>(json_int(c["seed"], "seed"));
  o.return_sequences = c.value("return_sequences", o.return_sequences);
  o.return_state = c.value("return_state", o.return_state);
  o.go_backwards = c.value("go_backwards", o.go_backwards);
  o.stateful = c.value("stateful", o.stateful);
  o.unroll = c.value("unroll", o.unroll);
  o.zero_output_for_mask = c.value("zero_output_for_mask", o.zero_output_for_mask);
}

// What call_with_state returns: the output (last step, or the sequence with return_sequences) and the
// final states in Keras's order ([h] for SimpleRNN and GRU, [h, c] for LSTM).
struct RNNOutput {
  Tensor output;
  std::vector<Tensor> states;
};

class RNNBase : public Layer {
 public:
  Shape compute_output_shape(const Shape& input_shape) const override;
  // Keras's `layer(x, initial_state=..., training=...)` with return_state: the Layer interface returns
  // one tensor, so the states come from here (whatever return_state says). initial_state: empty (zeros)
  // or one (batch, units) tensor per state. The activity regularizer is applied only by operator().
  // mask: Keras's `mask=` (batch, timesteps), undefined for none.
  RNNOutput call_with_state(const Tensor& x, bool training = false, const std::vector<Tensor>& initial_state = {},
                            const Tensor& mask = Tensor());
  // The same in a functional graph: records one node reading x and the initial_state KerasTensors
  // (empty: zeros, or one (batch, units) tensor per state) and returns its outputs: {output, states...}
  // with return_state=true ([h], LSTM's [h, c]), else {output}. A temporary
  // (`LSTM({.units = 16, .return_state = true}).call_with_state(x)`) moves into the graph as with
  // operator(). The activity regularizer applies to every output of the node, states too (Keras).
  std::vector<KerasTensor> call_with_state(const KerasTensor& x, const std::vector<KerasTensor>& initial_state = {}) &;
  std::vector<KerasTensor> call_with_state(const KerasTensor& x, const std::vector<KerasTensor>& initial_state = {}) &&;
  // The functional node: inputs are the sequence then its initial_state (the one keyword it takes).
  std::vector<Shape> build_node(const std::vector<Shape>& input_shapes, const CallArgs& args) override;
  std::vector<Shape> node_output_shapes(const std::vector<Shape>& input_shapes, const CallArgs& args) const override;
  std::vector<Masked> call_node(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                const CallArgs& args, bool training) override;
  std::string several_outputs_hint() const override {
    return "call_with_state(x, initial_state), which returns the output and the states (return_state=True)";
  }
  // A new, unbuilt layer of this class made from `config` (get_config()'s keys): Keras's
  // deserialize(serialize(layer)) with edits, how Bidirectional makes its two directions. SimpleRNN,
  // LSTM and GRU override it; a user RNN class must too to be wrapped.
  virtual std::shared_ptr<RNNBase> rebuilt_from_config(const nlohmann::json& config) const;
  // Keras's compute_mask: the input's mask with return_sequences, none otherwise.
  Tensor compute_mask(const Tensor& inputs, const Tensor& previous_mask) const override;

  const VariablePtr& kernel() const { return kernel_; }
  const VariablePtr& recurrent_kernel() const { return recurrent_kernel_; }
  const VariablePtr& bias() const { return bias_; }
  const RNNArgs& args() const { return args_; }
  // How many states a call carries: 1 ([h]), or 2 for LSTM ([h, c]).
  std::size_t state_count() const { return static_cast<std::size_t>(state_count_); }

  // stateful=true: the kept states, in Keras's order (empty until the batch size is known), and
  // Keras's reset_state() (reset_states() is its compatibility alias), which zeroes them.
  const std::vector<Tensor>& states() const { return states_; }
  void reset_state();
  void reset_states() { reset_state(); }

  // The dropout masks' generator state, under path(), as Dropout does.
  std::map<std::string, std::string> rng_states() const override;
  void set_rng_states(const std::map<std::string, std::string>& states) override;

 protected:
  // gates: 1 (SimpleRNN), 4 (LSTM: i, f, c, o), 3 (GRU: z, r, h); state_count: 1, or 2 for LSTM.
  RNNBase(std::string class_name, const CommonOptions& common, RNNArgs args, std::int64_t gates,
          std::int64_t state_count);

  void check_input(const Shape& input_shape) const override;
  void build_impl(const Shape& input_shape) override;
  // Keras's cell: "simple_rnn_cell", "lstm_cell" or "gru_cell", whatever the layer's name.
  std::string weight_scope() const override;
  // The output only: with return_state=true this throws and points to call_with_state.
  Tensor call(const Tensor& x, bool training) override;
  Masked call_masked(const Tensor& x, const Tensor& mask, bool training) override;
  // RNN's config keys then the cells' shared ones (LSTM's and GRU's recurrent_activation and seed too);
  // the subclass adds its own.
  nlohmann::json rnn_config() const;

  // The bias weight's shape and initializer (LSTM's unit_forget_bias, GRU's reset_after override them).
  virtual Shape bias_shape() const { return Shape{gates_ * args_.units}; }
  virtual initializers::Initializer bias_initializer() const { return args_.bias_initializer; }
  // The bias added to the input projection (undefined: none).
  virtual Tensor input_bias() const { return bias_ ? bias_->value : Tensor(); }
  // Keras draws one mask per gate (its implementation 1) when recurrent_dropout is set on LSTM and GRU.
  virtual bool mask_per_gate() const { return false; }
  // The recurrent dropout masks of one call: none, one shared by the gates, or one per gate.
  using Masks = std::vector<Tensor>;
  // One timestep. xp: (batch, gates * units), the step's input projection with input_bias() added;
  // states in Keras's order. Returns the new states; the first is the step's output.
  virtual std::vector<Tensor> step(const Tensor& xp, const std::vector<Tensor>& states, const Masks& masks) const = 0;

  // For step(): gate g's columns of a (batch, gates * units) tensor.
  Tensor gate(const Tensor& t, std::int64_t g) const;
  // h times gate g's recurrent dropout mask (h itself without recurrent dropout).
  static Tensor masked(const Tensor& h, std::int64_t g, const Masks& masks);
  // The recurrent projection of gates [g0, g1): masked(h, g) @ recurrent_kernel[:, gate g's columns].
  Tensor recurrent(const Tensor& h, std::int64_t g0, std::int64_t g1, const Masks& masks) const;

  RNNArgs args_;
  VariablePtr kernel_, recurrent_kernel_, bias_;

 private:
  Masks draw_masks(const Shape& shape, double rate, std::size_t count);
  RNNOutput run(const Tensor& x, bool training, const std::vector<Tensor>& initial_state, const Tensor& mask);
  // Throws unless initial_state holds no state or one per state, each (batch, units) for a sequence
  // of shape x (-1 matches any extent).
  void check_initial_state(const Shape& x, const std::vector<Shape>& initial_state) const;
  // A checked mask (as_mask) as (batch, timesteps): Keras reduces a (batch, timesteps, k) one over k.
  Tensor step_mask(const Tensor& mask) const;
  // stateful=true: checks the batch size (creating zero states for the first one) and returns the
  // initial states of a call: the given ones, else the kept ones.
  std::vector<Tensor> stateful_initial_state(std::int64_t batch, const std::vector<Tensor>& given);

  std::int64_t gates_, state_count_;
  LayerGenerator generator_;
  std::vector<Tensor> states_;  // stateful=true only
};

}  // namespace minidl::layers
