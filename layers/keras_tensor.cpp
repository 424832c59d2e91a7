// KerasTensor and the symbolic side of Layer: calling a layer on KerasTensors records a node.
#include "minidl/layers/keras_tensor.h"

#include <algorithm>
#include <atomic>

#include "minidl/core/error.h"
#include "minidl/layers/layer.h"
#include "minidl/layers/node_mask.h"

namespace minidl::layers {

namespace {

void require_defined(const KerasTensor& t, const Layer& layer) {
  if (!t.defined())
    throw_invalid_argument("layer '{}' ({}) was called on an empty KerasTensor; make inputs with layers::Input",
                           layer.name(), layer.class_name());
}

// Keras's masks are shaped like the input's leading axes: (batch, timesteps) for a sequence.
void check_explicit_mask(const Layer& layer, const Shape& input, const Shape& mask) {
  bool ok = mask.ndim() >= 1 && mask.ndim() <= input.ndim();
  for (std::int64_t i = 0; ok && i < mask.ndim(); ++i) ok = mask[i] < 0 || input[i] < 0 || mask[i] == input[i];
  if (!ok)
    throw_invalid_argument("{}: the `mask` keyword must have the shape of the input's leading axes (input shape {}), "
                           "received mask shape {}",
                           layer.call_args_owner(), shape_str(input), shape_str(mask));
}

}  // namespace

ExplicitMask explicit_mask(const CallArgs& args, std::size_t inputs) {
  ExplicitMask m{args.offset("mask", inputs), args};
  if (!m.position) return m;
  if (args.count("mask") != 1 || *m.position == 0)
    throw_invalid_argument("the `mask` call keyword is one tensor after the node's inputs, received {} mask tensor(s)",
                           args.count("mask"));
  auto& groups = m.layer_args.tensors;
  groups.erase(std::find_if(groups.begin(), groups.end(), [](const auto& g) { return g.first == "mask"; }));
  return m;
}

std::vector<KerasTensor> record_node(std::shared_ptr<Layer> layer, const std::vector<KerasTensor>& inputs,
                                     const CallArgs& args) {
  std::vector<Shape> shapes;
  for (const auto& t : inputs) {
    require_defined(t, *layer);
    shapes.push_back(t.shape());
  }
  const ExplicitMask mask = explicit_mask(args, inputs.size());
  if (mask.position) check_explicit_mask(*layer, shapes[0], shapes[*mask.position]);
  auto node = std::make_shared<Node>();
  node->output_shapes = layer->build_node(without_mask(shapes, mask), mask.layer_args);
  node->output_dtype = layer->dtype();
  node->inputs = inputs;
  node->call_args = args;
  node->id = next_node_id();
  node->layer = std::move(layer);
  std::shared_ptr<const Node> shared = std::move(node);
  std::vector<KerasTensor> out;
  for (std::size_t i = 0; i < shared->output_count(); ++i) out.emplace_back(shared, i);
  return out;
}

std::vector<KerasTensor> with_initial_state(const KerasTensor& x, const std::vector<KerasTensor>& initial_state) {
  std::vector<KerasTensor> inputs{x};
  inputs.insert(inputs.end(), initial_state.begin(), initial_state.end());
  return inputs;
}

CallArgs CallArgs::initial_state(std::size_t n) {
  CallArgs args;
  if (n > 0) args.tensors.emplace_back("initial_state", n);
  return args;
}

std::size_t CallArgs::tensor_count() const {
  std::size_t n = 0;
  for (const auto& [name, count] : tensors) n += count;
  return n;
}

std::size_t CallArgs::count(std::string_view name) const {
  for (const auto& [group, count] : tensors)
    if (group == name) return count;
  return 0;
}

std::optional<std::size_t> CallArgs::offset(std::string_view name, std::size_t inputs) const {
  std::size_t at = inputs - tensor_count();
  for (const auto& [group, count] : tensors) {
    if (group == name) return at;
    at += count;
  }
  return std::nullopt;
}

std::optional<bool> CallArgs::flag(std::string_view name) const {
  const auto it = values.find(name);
  if (it == values.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean())
    throw_invalid_argument("the call keyword {} must be a boolean, received {}={}", name, name, it->dump());
  return it->get<bool>();
}

void check_call_args(std::string_view who, const CallArgs& args, std::initializer_list<std::string_view> accepted) {
  auto takes = [&](std::string_view name) { return std::find(accepted.begin(), accepted.end(), name) != accepted.end(); };
  for (const auto& [name, count] : args.tensors)
    if (!takes(name))
      throw_invalid_argument("{} takes no {} (a call keyword), received {} {} tensor(s)", who, name, count, name);
  for (const auto& [name, value] : args.values.items())
    if (!takes(name))
      throw_invalid_argument("{} takes no {} (a call keyword), received {}={}", who, name, name, value.dump().substr(0, 120));
}

std::uint64_t next_node_id() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

const Shape& KerasTensor::shape() const {
  if (!node_) throw_invalid_argument("KerasTensor::shape: the tensor is empty; make inputs with layers::Input");
  return node_->output_shapes.at(index_);
}

DType KerasTensor::dtype() const {
  if (!node_) throw_invalid_argument("KerasTensor::dtype: the tensor is empty; make inputs with layers::Input");
  return node_->output_dtype;
}

KerasTensor Layer::operator()(const KerasTensor& x) & { return (*this)(std::vector<KerasTensor>{x}); }
KerasTensor Layer::operator()(const KerasTensor& x) && { return std::move(*this)(std::vector<KerasTensor>{x}); }

std::shared_ptr<Layer> Layer::shared_for_graph() & {
  auto self = weak_from_this().lock();
  if (!self)
    throw_invalid_argument(
        "layer '{}' ({}) was called on a KerasTensor but is not held by a std::shared_ptr, so the functional graph "
        "cannot keep it: create it with std::make_shared (or call a temporary: {}({{...}})(x))",
        name_, class_name_, class_name_);
  return self;
}

std::shared_ptr<Layer> Layer::shared_for_graph() && {
  auto self = weak_from_this().lock();
  return self ? self : std::move(*this).moved_to_shared();
}

namespace {
// operator() gives one KerasTensor: a call with several outputs has to go through the layer's own
// (RNNBase::call_with_state, Functional::call_outputs).
KerasTensor only_output(std::vector<KerasTensor> outputs) {
  if (outputs.size() != 1) {
    const Layer& layer = *outputs[0].node()->layer;
    throw_invalid_argument("layer '{}' ({}) returns {} tensors, which a call giving one KerasTensor cannot hold; use {}",
                           layer.name(), layer.class_name(), outputs.size(), layer.several_outputs_hint());
  }
  return std::move(outputs[0]);
}
}  // namespace

KerasTensor call_with_mask(std::shared_ptr<Layer> layer, const KerasTensor& x, const KerasTensor& mask) {
  CallArgs args;
  args.tensors.emplace_back("mask", 1);
  return only_output(record_node(std::move(layer), {x, mask}, args));
}

KerasTensor Layer::operator()(const std::vector<KerasTensor>& inputs) & {
  return only_output(record_node(shared_for_graph(), inputs));
}

KerasTensor Layer::operator()(const std::vector<KerasTensor>& inputs) && {
  return only_output(record_node(std::move(*this).shared_for_graph(), inputs));
}

std::shared_ptr<Layer> Layer::moved_to_shared() && {
  throw_invalid_argument(
      "layer '{}' ({}) cannot be moved into the functional graph: create it with std::make_shared, or add "
      "MINIDL_SHAREABLE_LAYER({}) to its class",
      name_, class_name_, class_name_);
}

void Layer::check_input_count(std::size_t received) const {
  const auto expected = expected_input_count();
  if (expected && *expected != received)
    throw_invalid_argument("Layer \"{}\" expects {} input(s), but it received {} input tensors.", name_, *expected,
                           received);
}

Shape Layer::compute_output_shape_for(const std::vector<Shape>& input_shapes) const {
  check_input_count(input_shapes.size());
  return compute_output_shape(input_shapes[0]);
}

void Layer::ensure_built(const Shape& input_shape) {
  std::lock_guard<std::mutex> lock(*state_mutex_);
  if (!built_) build(input_shape);
}

Shape Layer::build_for_inputs(const std::vector<Shape>& input_shapes) {
  if (input_shapes.size() == 1) {
    std::lock_guard<std::mutex> lock(*state_mutex_);
    check_input(input_shapes[0]);
    if (!built_) build(input_shapes[0]);
  }
  return compute_output_shape_for(input_shapes);
}

std::string Layer::call_args_owner() const { return fmt::format("layer '{}' ({})", name_, class_name_); }

std::vector<Shape> Layer::build_node(const std::vector<Shape>& input_shapes, const CallArgs& args) {
  check_call_args(call_args_owner(), args);
  return {build_for_inputs(input_shapes)};
}

std::vector<Shape> Layer::node_output_shapes(const std::vector<Shape>& input_shapes, const CallArgs& args) const {
  check_call_args(call_args_owner(), args);
  return {compute_output_shape_for(input_shapes)};
}

std::vector<Masked> Layer::call_node(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                     const CallArgs& args, bool training) {
  check_call_args(call_args_owner(), args);
  return {call_inputs_with_masks(inputs, masks, training)};
}

Tensor Layer::call_inputs(const std::vector<Tensor>& inputs, bool training) {
  check_input_count(inputs.size());
  return (*this)(inputs[0], training);
}

Masked Layer::call_inputs_with_masks(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks, bool training) {
  check_input_count(inputs.size());
  if (!masks.empty() && masks.size() != inputs.size())
    throw_invalid_argument("layer '{}' ({}): received {} input tensors but {} masks; give one mask per input (or none)",
                           name_, class_name_, inputs.size(), masks.size());
  if (expected_input_count() == std::size_t{1}) return call_with_mask(inputs[0], masks.empty() ? Tensor() : masks[0], training);
  // A layer taking several tensors drops their masks, as Keras does when supports_masking is false;
  // compute_mask takes one mask, so such a layer claiming support is refused rather than guessed at.
  if (supports_masking_ && std::any_of(masks.begin(), masks.end(), [](const Tensor& m) { return m.defined(); }))
    throw_invalid_argument("layer '{}' ({}): supports_masking with several input tensors is not supported by minidl "
                           "(override call_inputs_with_masks)",
                           name_, class_name_);
  return {call_inputs(inputs, training), Tensor()};
}

}  // namespace minidl::layers
