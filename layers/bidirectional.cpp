#include "minidl/layers/bidirectional.h"

#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

namespace {

std::string without_prefix(const std::string& name, const std::string& prefix) {
  return name.starts_with(prefix) ? name.substr(prefix.size()) : name;
}

// Keras recreates each direction from its config, renamed, with zero_output_for_mask forced to
// return_sequences (masked steps of a returned sequence are zeros in both directions).
std::shared_ptr<RNNBase> direction(const RNNBase& layer, const std::string& name, bool backwards_copy) {
  nlohmann::json config = layer.get_config();
  config["name"] = name;
  if (backwards_copy) config["go_backwards"] = true;
  config["zero_output_for_mask"] = layer.args().return_sequences;
  return layer.rebuilt_from_config(config);
}

void verify_directions(const RNNBase& forward, const RNNBase& backward) {
  const RNNArgs &f = forward.args(), &b = backward.args();
  if (f.go_backwards == b.go_backwards)
    throw_invalid_argument(
        "Forward layer and backward layer should have different `go_backwards` value. Received: "
        "forward_layer.go_backwards {}, backward_layer.go_backwards={}",
        f.go_backwards ? "True" : "False", b.go_backwards ? "True" : "False");
  const std::pair<const char*, std::pair<bool, bool>> common[] = {{"stateful", {f.stateful, b.stateful}},
                                                                  {"return_sequences", {f.return_sequences, b.return_sequences}},
                                                                  {"return_state", {f.return_state, b.return_state}}};
  for (const auto& [attribute, values] : common)
    if (values.first != values.second)
      throw_invalid_argument(
          "Forward layer and backward layer are expected to have the same value for attribute \"{}\", got \"{}\" for "
          "forward layer and \"{}\" for backward layer",
          attribute, values.first ? "True" : "False", values.second ? "True" : "False");
}

}  // namespace

Bidirectional::Bidirectional(const RNNBase& layer, const BidirectionalOptions& options)
    : Container("Bidirectional", common_options(options)), merge_mode_(options.merge_mode) {
  if (merge_mode_ && *merge_mode_ != "concat" && *merge_mode_ != "sum" && *merge_mode_ != "mul" && *merge_mode_ != "ave")
    throw_invalid_argument(
        "Invalid merge mode. Received: {}. Merge mode should be one of {{\"sum\", \"mul\", \"ave\", \"concat\", None}}",
        *merge_mode_);
  forward_ = direction(layer, "forward_" + without_prefix(layer.name(), "forward_"), false);
  const RNNBase& source = options.backward_layer ? *options.backward_layer : layer;
  backward_ = direction(source,
                        options.backward_layer ? source.name() : "backward_" + without_prefix(layer.name(), "backward_"),
                        !options.backward_layer);
  verify_directions(*forward_, *backward_);
  layers_ = {forward_, backward_};
  for (auto& l : layers_) l->set_path_prefix(path() + "/");
  set_supports_masking(true);
}

Bidirectional Bidirectional::from_config(const nlohmann::json& c, const RNNBase& layer,
                                         std::shared_ptr<RNNBase> backward_layer) {
  BidirectionalOptions o;
  config::read_common(c, o);
  const nlohmann::json mode = c.value("merge_mode", nlohmann::json("concat"));
  if (mode.is_null()) o.merge_mode = std::nullopt;
  else if (mode.is_string()) o.merge_mode = mode.get<std::string>();
  else throw_invalid_argument("Bidirectional: merge_mode must be a string or null, received {}", mode.dump());
  o.backward_layer = std::move(backward_layer);
  return Bidirectional(layer, o);
}

nlohmann::json Bidirectional::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["merge_mode"] = merge_mode_ ? nlohmann::json(*merge_mode_) : nlohmann::json(nullptr);
  c["layer"] = serialize_layer(*forward_);
  c["backward_layer"] = serialize_layer(*backward_);
  return c;
}

std::size_t Bidirectional::output_count() const {
  const std::size_t states = forward_->args().return_state ? forward_->state_count() + backward_->state_count() : 0;
  return (merge_mode_ ? 1 : 2) + states;
}

void Bidirectional::check_input(const Shape& input_shape) const { (void)forward_->node_output_shapes({input_shape}, {}); }

void Bidirectional::build_impl(const Shape& input_shape) {
  forward_->build(input_shape);
  backward_->build(input_shape);
}

Shape Bidirectional::compute_output_shape(const Shape& input_shape) const {
  Shape out = forward_->compute_output_shape(input_shape);
  if (merge_mode_ == "concat") {
    std::vector<std::int64_t> d = out.dims();
    d.back() *= 2;
    out = Shape(d.begin(), d.end());
  }
  return out;
}

Tensor Bidirectional::compute_mask(const Tensor&, const Tensor& previous_mask) const {
  return forward_->args().return_sequences ? previous_mask : Tensor();
}

std::vector<Masked> Bidirectional::run(const Tensor& input, bool training, const std::vector<Tensor>& initial_state,
                                       const Tensor& mask) {
  if (!input.defined())
    throw_invalid_argument("layer '{}' (Bidirectional) was called on an undefined tensor", name());
  check_input(input.shape());
  ensure_built(input.shape());
  if (initial_state.size() % 2 != 0)
    throw_invalid_argument(
        "layer '{}' (Bidirectional): initial_state holds the forward layer's states then the backward layer's, so an "
        "even count; received {} tensor(s)",
        name(), initial_state.size());
  const auto half = static_cast<std::ptrdiff_t>(initial_state.size() / 2);
  const std::vector<Tensor> forward_state(initial_state.begin(), initial_state.begin() + half),
      backward_state(initial_state.begin() + half, initial_state.end());
  RNNOutput f = forward_->call_with_state(input, training, forward_state, mask);
  RNNOutput b = backward_->call_with_state(input, training, backward_state, mask);
  Tensor y = f.output.dtype() == dtype() ? f.output : cast(f.output, dtype());
  Tensor y_rev = b.output.dtype() == dtype() ? b.output : cast(b.output, dtype());
  if (forward_->args().return_sequences) y_rev = flip(y_rev, 1);  // back into time order
  const Tensor out_mask = compute_mask(input, mask.defined() ? as_mask(mask, input, *this) : Tensor());
  std::vector<Masked> out;
  if (!merge_mode_) {
    out = {{y, out_mask}, {y_rev, out_mask}};
  } else {
    const std::string& m = *merge_mode_;
    const Tensor merged = m == "concat" ? concat({y, y_rev}, -1)
                          : m == "sum"  ? y + y_rev
                          : m == "ave"  ? (y + y_rev) * 0.5
                                        : y * y_rev;
    out = {{merged, out_mask}};
  }
  if (forward_->args().return_state) {
    for (auto& s : f.states) out.push_back({std::move(s), Tensor()});
    for (auto& s : b.states) out.push_back({std::move(s), Tensor()});
  }
  return out;
}

std::vector<Tensor> Bidirectional::call_with_state(const Tensor& x, bool training, const std::vector<Tensor>& initial_state,
                                                   const Tensor& mask) {
  std::vector<Tensor> values;
  for (auto& o : run(x, training, initial_state, mask)) values.push_back(std::move(o.value));
  return values;
}

std::vector<KerasTensor> Bidirectional::call_with_state(const KerasTensor& x, const std::vector<KerasTensor>& initial_state) & {
  return record_node(shared_for_graph(), with_initial_state(x, initial_state),
                     CallArgs::initial_state(initial_state.size()));
}

std::vector<KerasTensor> Bidirectional::call_with_state(const KerasTensor& x, const std::vector<KerasTensor>& initial_state) && {
  return record_node(std::move(*this).shared_for_graph(), with_initial_state(x, initial_state),
                     CallArgs::initial_state(initial_state.size()));
}

std::vector<Shape> Bidirectional::node_output_shapes(const std::vector<Shape>& input_shapes, const CallArgs& args) const {
  check_call_args(call_args_owner(), args, {"initial_state"});
  const std::size_t state_inputs = args.count("initial_state");
  if (input_shapes.size() != 1 + state_inputs || state_inputs % 2 != 0)
    throw_invalid_argument(
        "layer '{}' (Bidirectional) takes one sequence tensor and an even count of initial states (the forward layer's "
        "then the backward layer's), received {} tensors of which {} states",
        name(), input_shapes.size(), state_inputs);
  const std::size_t half = state_inputs / 2;
  const std::vector<Shape> forward_inputs(input_shapes.begin(), input_shapes.begin() + static_cast<std::ptrdiff_t>(1 + half));
  std::vector<Shape> backward_inputs{input_shapes[0]};
  backward_inputs.insert(backward_inputs.end(), input_shapes.begin() + static_cast<std::ptrdiff_t>(1 + half), input_shapes.end());
  const auto f = forward_->node_output_shapes(forward_inputs, CallArgs::initial_state(half));
  const auto b = backward_->node_output_shapes(backward_inputs, CallArgs::initial_state(half));
  std::vector<Shape> out{compute_output_shape(input_shapes[0])};
  if (!merge_mode_) out.push_back(out[0]);
  out.insert(out.end(), f.begin() + 1, f.end());
  out.insert(out.end(), b.begin() + 1, b.end());
  return out;
}

std::vector<Shape> Bidirectional::build_node(const std::vector<Shape>& input_shapes, const CallArgs& args) {
  auto shapes = node_output_shapes(input_shapes, args);  // checks before building
  ensure_built(input_shapes[0]);
  return shapes;
}

std::vector<Masked> Bidirectional::call_node(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                             const CallArgs& args, bool training) {
  check_call_args(call_args_owner(), args, {"initial_state"});
  const std::size_t state_inputs = args.count("initial_state");
  if (inputs.size() != 1 + state_inputs || (!masks.empty() && masks.size() != inputs.size()))
    throw_invalid_argument("layer '{}' (Bidirectional): a node call needs the sequence, {} initial state(s) and one mask "
                           "each (or none), received {} tensors and {} masks",
                           name(), state_inputs, inputs.size(), masks.size());
  return run(inputs[0], training, std::vector<Tensor>(inputs.begin() + 1, inputs.end()), masks.empty() ? Tensor() : masks[0]);
}

std::string Bidirectional::several_outputs_hint() const {
  return "call_with_state(x, initial_state), which returns every output (merge_mode=None gives both directions, "
         "return_state=True adds the states)";
}

Tensor Bidirectional::call(const Tensor& x, bool training) { return call_masked(x, Tensor(), training).value; }

Masked Bidirectional::call_masked(const Tensor& x, const Tensor& mask, bool training) {
  if (output_count() != 1)
    throw_invalid_argument("layer '{}' (Bidirectional) returns {} tensors, which a Layer call cannot; use {}", name(),
                           output_count(), several_outputs_hint());
  return run(x, training, {}, mask)[0];
}

void Bidirectional::reset_state() {
  if (!forward_->args().stateful) throw_invalid_argument("layer '{}' (Bidirectional): Layer must be stateful.", name());
  forward_->reset_state();
  backward_->reset_state();
}

SummaryTable Bidirectional::summary_table() const {
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : layers_) rows.push_back({fmt::format("{} ({})", l->name(), l->class_name()), "?", param_count_cell(*l)});
  return {sequential_summary_columns(), rows};
}

}  // namespace minidl::layers
