#include "minidl/layers/rnn_base.h"

#include <algorithm>

#include "minidl/autograd/ops/dropout.h"
#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/matmul.h"
#include "minidl/autograd/ops/reduce.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"

namespace minidl::layers {

RNNBase::RNNBase(std::string class_name, const CommonOptions& common, RNNArgs args, std::int64_t gates,
                 std::int64_t state_count)
    : Layer(std::move(class_name), common),
      args_(std::move(args)),
      gates_(gates),
      state_count_(state_count),
      generator_(args_.seed) {
  if (args_.units <= 0)
    throw_invalid_argument("{}: Received an invalid value for argument `units`, expected a positive integer, got {}.",
                           this->class_name(), args_.units);
  // Keras clamps the rates into [0, 1] rather than refusing them (and its config shows the clamped value).
  args_.dropout = std::clamp(args_.dropout, 0.0, 1.0);
  args_.recurrent_dropout = std::clamp(args_.recurrent_dropout, 0.0, 1.0);
  set_activity_regularizer(args_.activity_regularizer);
  set_supports_masking(true);
}

Tensor RNNBase::compute_mask(const Tensor&, const Tensor& mask) const {
  return args_.return_sequences ? mask : Tensor();
}

Tensor RNNBase::step_mask(const Tensor& mask) const {
  // as_mask allows ranks 1 to 3 here: a (batch,) mask cannot say which timesteps to skip.
  if (mask.defined() && mask.ndim() == 1)
    throw_invalid_argument("layer '{}' ({}): the mask must have shape (batch, timesteps), received a mask of shape {}",
                           name(), class_name(), shape_str(mask.shape()));
  return mask.defined() && mask.ndim() == 3 ? max(mask, {-1}) : mask;
}

void RNNBase::check_input(const Shape& in) const {
  require_rank(in, 3);
  if (in[-1] < 0)
    throw_invalid_argument("layer '{}' ({}): the last dimension of the inputs must be known, received shape {}", name(),
                           class_name(), shape_str(in));
  if (built_input_shape_ && in[-1] != (*built_input_shape_)[-1])
    throw_invalid_argument(
        "Input 0 of layer '{}' ({}) is incompatible with the layer: expected axis -1 of input shape to have value {}, "
        "but received input with shape {}",
        name(), class_name(), (*built_input_shape_)[-1], shape_str(in));
}

Shape RNNBase::compute_output_shape(const Shape& in) const {
  if (args_.return_sequences) return Shape{in[0], in[1], args_.units};
  return Shape{in[0], args_.units};
}

void RNNBase::build_impl(const Shape& in) {
  const std::int64_t width = gates_ * args_.units;
  kernel_ = add_weight("kernel", {in[-1], width}, args_.kernel_initializer, args_.kernel_regularizer,
                       args_.kernel_constraint);
  recurrent_kernel_ = add_weight("recurrent_kernel", {args_.units, width}, args_.recurrent_initializer,
                                 args_.recurrent_regularizer, args_.recurrent_constraint);
  if (args_.use_bias)
    bias_ = add_weight("bias", bias_shape(), bias_initializer(), args_.bias_regularizer, args_.bias_constraint);
  // Keras creates the states at build from the static batch size; without one, the first call does.
  if (args_.stateful && in[0] >= 0)
    for (std::int64_t i = 0; i < state_count_; ++i) states_.push_back(Tensor::zeros({in[0], args_.units}, dtype()));
}

void RNNBase::reset_state() {
  for (Tensor& s : states_) s = Tensor::zeros(s.shape(), s.dtype());
}

std::vector<Tensor> RNNBase::stateful_initial_state(std::int64_t batch, const std::vector<Tensor>& given) {
  if (states_.empty())
    for (std::int64_t i = 0; i < state_count_; ++i) states_.push_back(Tensor::zeros({batch, args_.units}, dtype()));
  const std::int64_t expected = states_[0].shape()[0];
  if (batch != expected)
    throw_invalid_argument(
        "layer '{}' ({}): If an RNN is stateful, the batch size of the input sequences must be the same as the batch "
        "size of the initial state. Expected batch size: {}, received batch size: {} (stateful=True fixes the batch "
        "size; predict and fit need batch_size dividing the number of samples)",
        name(), class_name(), expected, batch);
  return given.empty() ? states_ : given;
}

Tensor RNNBase::gate(const Tensor& t, std::int64_t g) const {
  return slice(t, -1, g * args_.units, (g + 1) * args_.units);
}

Tensor RNNBase::masked(const Tensor& h, std::int64_t g, const Masks& masks) {
  if (masks.empty()) return h;
  return h * masks[masks.size() == 1 ? 0 : static_cast<std::size_t>(g)];
}

Tensor RNNBase::recurrent(const Tensor& h, std::int64_t g0, std::int64_t g1, const Masks& masks) const {
  const Tensor& r = recurrent_kernel_->value;
  const std::int64_t u = args_.units;
  // One matmul when the gates share h (no mask or one mask); one per gate when each has its own mask.
  if (masks.size() <= 1) {
    const Tensor cols = g0 == 0 && g1 == gates_ ? r : slice(r, 1, g0 * u, g1 * u);
    return matmul(masked(h, g0, masks), cols);
  }
  std::vector<Tensor> parts;
  for (std::int64_t g = g0; g < g1; ++g) parts.push_back(matmul(masked(h, g, masks), slice(r, 1, g * u, (g + 1) * u)));
  return parts.size() == 1 ? parts[0] : concat(parts, -1);
}

RNNBase::Masks RNNBase::draw_masks(const Shape& shape, double rate, std::size_t count) {
  return generator_.draw([&](Generator& gen) {
    Masks masks;
    for (std::size_t i = 0; i < count; ++i) masks.push_back(dropout(Tensor::ones(shape, dtype()), rate, gen, true).detach());
    return masks;
  });
}

RNNOutput RNNBase::run(const Tensor& x, bool training, const std::vector<Tensor>& initial_state, const Tensor& mask) {
  const std::int64_t n = x.shape()[0], steps = x.shape()[1], features = x.shape()[2], u = args_.units;
  if (steps == 0)
    throw_invalid_argument("layer '{}' ({}): the input has no timesteps, received shape {}", name(), class_name(),
                           shape_str(x.shape()));
  const std::vector<Tensor> initial = args_.stateful ? stateful_initial_state(n, initial_state) : initial_state;
  const Tensor& kernel = kernel_->value;
  // Masks are drawn once per call (inputs first, then states, as Keras) and reused at every timestep.
  const std::size_t count = mask_per_gate() ? static_cast<std::size_t>(gates_) : 1;
  // A rate of 1 (what Keras clamps larger ones to) drops nothing here, as Keras's LSTM and GRU cells;
  // Keras's SimpleRNN cell and its fused LSTM/GRU paths would zero the inputs instead.
  const bool drop_inputs = training && args_.dropout > 0.0 && args_.dropout < 1.0;
  const bool drop_states = training && args_.recurrent_dropout > 0.0 && args_.recurrent_dropout < 1.0;
  const Masks input_masks = drop_inputs ? draw_masks({n, features}, args_.dropout, count) : Masks{};
  const Masks masks = drop_states ? draw_masks({n, u}, args_.recurrent_dropout, count) : Masks{};

  // The input projection of every timestep at once: (n * steps, features) @ kernel.
  auto project = [&](const Tensor& mask, const Tensor& k) {
    const Tensor xm = mask.defined() ? x * reshape(mask, {n, 1, features}) : x;
    return matmul(reshape(xm, {n * steps, features}), k);
  };
  Tensor xp;
  if (input_masks.size() <= 1) {
    xp = project(input_masks.empty() ? Tensor() : input_masks[0], kernel);
  } else {
    std::vector<Tensor> parts;
    for (std::int64_t g = 0; g < gates_; ++g)
      parts.push_back(project(input_masks[static_cast<std::size_t>(g)], slice(kernel, 1, g * u, (g + 1) * u)));
    xp = concat(parts, -1);
  }
  if (const Tensor b = input_bias(); b.defined()) xp = xp + b;
  xp = reshape(xp, {n, steps, gates_ * u});

  std::vector<Tensor> states = initial;
  if (states.empty())
    for (std::int64_t i = 0; i < state_count_; ++i) states.push_back(Tensor::zeros({n, u}, dtype()));
  const Tensor keep = step_mask(mask);
  std::vector<Tensor> outputs;
  for (std::int64_t s = 0; s < steps; ++s) {
    const std::int64_t t = args_.go_backwards ? steps - 1 - s : s;
    std::vector<Tensor> next = step(reshape(slice(xp, 1, t, t + 1), {n, gates_ * u}), states, masks);
    Tensor output = next[0];
    if (keep.defined()) {
      // Keras's masked step: where a row is masked, every state keeps its previous value and the
      // output is the previous output (the first state), or zeros with zero_output_for_mask.
      const Tensor k = slice(keep, 1, t, t + 1);  // (n, 1)
      for (std::size_t i = 0; i < next.size(); ++i) next[i] = where(k, next[i], states[i]);
      output = args_.zero_output_for_mask ? where(k, output, Tensor::zeros(output.shape(), output.dtype())) : next[0];
    }
    states = std::move(next);
    if (args_.return_sequences || s + 1 == steps) outputs.push_back(output);
  }
  // Keras assigns the final states to its state variables: values, no graph (deep copies, as the
  // last output may be the first state and is the caller's).
  if (args_.stateful)
    for (std::size_t i = 0; i < states.size(); ++i) states_[i] = states[i].deep_copy();
  // With go_backwards the sequence comes out in the order it was processed (reversed), as Keras's.
  return {args_.return_sequences ? stack(outputs, 1) : outputs.back(), states};
}

Tensor RNNBase::call(const Tensor& x, bool training) { return call_masked(x, Tensor(), training).value; }

Masked RNNBase::call_masked(const Tensor& x, const Tensor& mask, bool training) {
  if (args_.return_state)
    throw_invalid_argument(
        "layer '{}' ({}): return_state=True returns several tensors, which a Layer call cannot; use "
        "call_with_state(x, training, initial_state) for the output and the states",
        name(), class_name());
  return {run(x, training, {}, mask).output, compute_mask(x, mask)};
}

RNNOutput RNNBase::call_with_state(const Tensor& input, bool training, const std::vector<Tensor>& initial_state,
                                   const Tensor& mask) {
  if (!input.defined())
    throw_invalid_argument("layer '{}' ({}) was called on an undefined tensor", name(), class_name());
  const Tensor x = input.dtype() == dtype() ? input : input.to(dtype());
  check_input(x.shape());
  ensure_built(x.shape());
  std::vector<Shape> state_shapes;
  for (std::size_t i = 0; i < initial_state.size(); ++i) {
    if (!initial_state[i].defined())
      throw_invalid_argument("layer '{}' ({}): initial_state[{}] is an undefined tensor", name(), class_name(), i);
    state_shapes.push_back(initial_state[i].shape());
  }
  check_initial_state(x.shape(), state_shapes);
  std::vector<Tensor> states;
  for (const Tensor& s : initial_state) states.push_back(s.dtype() == dtype() ? s : s.to(dtype()));
  return run(x, training, states, as_mask(mask, x, *this));
}

void RNNBase::check_initial_state(const Shape& x, const std::vector<Shape>& initial_state) const {
  if (!initial_state.empty() && static_cast<std::int64_t>(initial_state.size()) != state_count_)
    throw_invalid_argument("layer '{}' ({}): initial_state must hold {} tensor(s), received {} (the states are {})",
                           name(), class_name(), state_count_, initial_state.size(), state_count_ == 2 ? "[h, c]" : "[h]");
  const Shape expected{x[0], args_.units};
  for (std::size_t i = 0; i < initial_state.size(); ++i) {
    const Shape& s = initial_state[i];
    const bool ok = s.ndim() == 2 && s[1] == args_.units && (s[0] < 0 || x[0] < 0 || s[0] == x[0]);
    if (!ok)
      throw_invalid_argument("layer '{}' ({}): each initial state must have shape {}, received {} (initial_state[{}])",
                             name(), class_name(), shape_str(expected), shape_str(s), i);
  }
}

std::shared_ptr<RNNBase> RNNBase::rebuilt_from_config(const nlohmann::json&) const {
  throw_invalid_argument("layer '{}' ({}) cannot be rebuilt from its config: override RNNBase::rebuilt_from_config in {}",
                         name(), class_name(), class_name());
}

std::string RNNBase::weight_scope() const {
  const std::string& cls = class_name();
  if (cls == "SimpleRNN") return "simple_rnn_cell";
  if (cls == "LSTM") return "lstm_cell";
  if (cls == "GRU") return "gru_cell";
  return {};
}

std::map<std::string, std::string> RNNBase::rng_states() const { return generator_.states(path()); }

void RNNBase::set_rng_states(const std::map<std::string, std::string>& states) { generator_.restore(states, path()); }

nlohmann::json RNNBase::rnn_config() const {
  nlohmann::json c = Layer::get_config();
  c["return_sequences"] = args_.return_sequences;
  c["return_state"] = args_.return_state;
  c["go_backwards"] = args_.go_backwards;
  c["stateful"] = args_.stateful;
  c["unroll"] = args_.unroll;
  c["zero_output_for_mask"] = args_.zero_output_for_mask;
  c["units"] = args_.units;
  c["activation"] = args_.activation.config_value();
  c["use_bias"] = args_.use_bias;
  c["kernel_initializer"] = args_.kernel_initializer.serialize();
  c["recurrent_initializer"] = args_.recurrent_initializer.serialize();
  c["bias_initializer"] = args_.bias_initializer.serialize();
  c["kernel_regularizer"] = args_.kernel_regularizer.serialize();
  c["recurrent_regularizer"] = args_.recurrent_regularizer.serialize();
  c["bias_regularizer"] = args_.bias_regularizer.serialize();
  c["activity_regularizer"] = args_.activity_regularizer.serialize();
  c["kernel_constraint"] = args_.kernel_constraint.serialize();
  c["recurrent_constraint"] = args_.recurrent_constraint.serialize();
  c["bias_constraint"] = args_.bias_constraint.serialize();
  c["dropout"] = args_.dropout;
  c["recurrent_dropout"] = args_.recurrent_dropout;
  if (gates_ > 1) {  // LSTM and GRU; SimpleRNN takes a seed but leaves it out of its config, as Keras
    c["recurrent_activation"] = args_.recurrent_activation.config_value();
    c["seed"] = args_.seed ? nlohmann::json(*args_.seed) : nlohmann::json(nullptr);
  }
  return c;
}

}  // namespace minidl::layers
