#include "minidl/layers/functional.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <unordered_map>

#include <fmt/ranges.h>

#include "minidl/core/error.h"
#include "minidl/layers/node_mask.h"
#include "minidl/layers/op_layer.h"
#include "minidl/layers/summary.h"

namespace minidl::layers {

namespace {

bool compatible(const Shape& expected, const Shape& got) {
  if (expected.ndim() != got.ndim()) return false;
  for (std::int64_t i = 0; i < got.ndim(); ++i)
    if (expected[i] >= 0 && got[i] >= 0 && expected[i] != got[i]) return false;
  return true;
}

// Every node the outputs depend on, in id (= topological) order.
std::vector<std::shared_ptr<const Node>> collect_nodes(const std::vector<KerasTensor>& outputs) {
  std::vector<std::shared_ptr<const Node>> nodes, stack;
  std::set<const Node*> seen;
  for (const auto& o : outputs)
    if (seen.insert(o.node().get()).second) stack.push_back(o.node());
  while (!stack.empty()) {
    auto n = stack.back();
    stack.pop_back();
    nodes.push_back(n);
    for (const auto& in : n->inputs)
      if (seen.insert(in.node().get()).second) stack.push_back(in.node());
  }
  std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a->id < b->id; });
  return nodes;
}

CommonOptions common_of(const FunctionalOptions& o, const std::vector<KerasTensor>& inputs) {
  // The model computes in its inputs' dtype (float64 graphs for gradient checks).
  const DType dtype = inputs.empty() || !inputs[0].defined() ? DType::Float32 : inputs[0].dtype();
  return {.name = o.name, .trainable = o.trainable, .dtype = std::string(dtype_name(dtype))};
}

nlohmann::json shape_json(const Shape& s) {
  nlohmann::json j = nlohmann::json::array();
  for (auto d : s) j.push_back(d < 0 ? nlohmann::json(nullptr) : nlohmann::json(d));
  return j;
}

}  // namespace

Functional::Functional(KerasTensor input, KerasTensor output, const FunctionalOptions& options)
    : Functional(std::vector<KerasTensor>{std::move(input)}, std::vector<KerasTensor>{std::move(output)}, options) {}

Functional::Functional(std::vector<KerasTensor> inputs, KerasTensor output, const FunctionalOptions& options)
    : Functional(std::move(inputs), std::vector<KerasTensor>{std::move(output)}, options) {}

Functional::Functional(KerasTensor input, std::vector<KerasTensor> outputs, const FunctionalOptions& options)
    : Functional(std::vector<KerasTensor>{std::move(input)}, std::move(outputs), options) {}

Functional::Functional(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs, const FunctionalOptions& options)
    : Container("Functional", common_of(options, inputs)), inputs_(std::move(inputs)), outputs_(std::move(outputs)) {
  if (inputs_.empty()) throw_invalid_argument("Functional '{}': needs at least one input (from layers::Input)", name());
  std::set<const Node*> input_nodes;
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    const auto& t = inputs_[i];
    if (!t.defined() || !t.node()->inputs.empty() || !dynamic_cast<const InputLayer*>(t.node()->layer.get()))
      throw_invalid_argument("Functional '{}': input {} is not the output of layers::Input (received {})", name(), i,
                             t.defined() ? "the output of layer '" + t.node()->layer->name() + "'" : "an empty tensor");
    if (!input_nodes.insert(t.node().get()).second)
      throw_invalid_argument("Functional '{}': Input '{}' is given twice", name(), t.node()->layer->name());
  }
  if (outputs_.empty()) throw_invalid_argument("Functional '{}': needs at least one output", name());
  for (std::size_t i = 0; i < outputs_.size(); ++i)
    if (!outputs_[i].defined())
      throw_invalid_argument("Functional '{}': output {} is an empty KerasTensor", name(), i);
  nodes_ = collect_nodes(outputs_);
  for (const auto& n : nodes_)
    if (n->inputs.empty() && !input_nodes.count(n.get()))
      throw_invalid_argument("Functional '{}': the output depends on Input '{}', which is not among the model's inputs",
                             name(), n->layer->name());
  // Unused inputs still take their tensors (and keep their layer in layers()).
  for (const auto& t : inputs_)
    if (std::none_of(nodes_.begin(), nodes_.end(), [&](const auto& n) { return n == t.node(); })) nodes_.push_back(t.node());
  std::sort(nodes_.begin(), nodes_.end(), [](const auto& a, const auto& b) { return a->id < b->id; });

  // The graph as positions in nodes_, so a call looks nothing up.
  std::unordered_map<const Node*, std::size_t> position;
  for (std::size_t i = 0; i < nodes_.size(); ++i) position[nodes_[i].get()] = i;
  auto slot = [&](const KerasTensor& t) { return Slot{position.at(t.node().get()), t.index()}; };
  for (const auto& t : inputs_) input_positions_.push_back(position.at(t.node().get()));
  for (const auto& t : outputs_) output_positions_.push_back(slot(t));
  arg_positions_.resize(nodes_.size());
  last_use_.assign(nodes_.size(), nodes_.size());  // the outputs (and unused inputs) live to the end
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    for (const auto& in : nodes_[i]->inputs) {
      const Slot a = slot(in);
      arg_positions_[i].push_back(a);
      last_use_[a.node] = last_use_[a.node] == nodes_.size() ? i : std::max(last_use_[a.node], i);
    }
  for (const Slot& o : output_positions_) last_use_[o.node] = nodes_.size();  // an output another node reads too

  std::set<const Layer*> seen;
  for (const auto& n : nodes_)
    if (seen.insert(n->layer.get()).second) layers_.push_back(n->layer);
  for (auto& l : layers_) l->set_path_prefix(path() + "/");
  if (inputs_.size() == 1) build(inputs_[0].shape());
  else mark_built();  // as Keras's: its layers were built when the graph was recorded
}

std::vector<Shape> Functional::check_input_shapes(const std::vector<Shape>& shapes) const {
  check_input_count(shapes.size());
  std::vector<Shape> adjusted;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    adjusted.push_back(adjust_input_rank(inputs_[i].shape(), shapes[i]));
    if (!compatible(inputs_[i].shape(), adjusted.back()))
      throw_invalid_argument("model '{}': input {} ('{}') expects shape {}, received shape {}", name(), i,
                             inputs_[i].node()->layer->name(), shape_str(inputs_[i].shape()), shape_str(shapes[i]));
  }
  return adjusted;
}

void Functional::check_input(const Shape& input_shape) const { check_input_shapes({input_shape}); }

const KerasTensor& Functional::output() const {
  require_single_output("output()");
  return outputs_[0];
}

std::vector<std::string> Functional::output_names() const {
  std::vector<std::string> names;
  for (const auto& t : outputs_) names.push_back(t.node()->layer->name());
  return names;
}

void Functional::require_single_output(std::string_view what) const {
  if (outputs_.size() != 1)
    throw_invalid_argument("Functional '{}': {} needs a model with one output, this one has {} ({}); use call_outputs() "
                           "or outputs(), or train it with optim::Model",
                           name(), what, outputs_.size(), fmt::join(output_names(), ", "));
}

Tensor Functional::call(const Tensor& x, bool training) { return call_inputs({x}, training); }

Masked Functional::call_masked(const Tensor& x, const Tensor& mask, bool training) {
  return call_inputs_with_masks({x}, {mask}, training);
}

Tensor Functional::call_inputs(const std::vector<Tensor>& inputs, bool training) {
  require_single_output("calling it as a layer");
  return call_outputs(inputs, training)[0];
}

Masked Functional::call_inputs_with_masks(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                          bool training) {
  require_single_output("calling it as a layer");
  return call_outputs_masked(inputs, masks, training)[0];
}

std::vector<Tensor> Functional::call_outputs(const std::vector<Tensor>& inputs, bool training) {
  std::vector<Tensor> out;
  for (auto& o : call_outputs_masked(inputs, {}, training)) out.push_back(std::move(o.value));
  return out;
}

std::vector<Masked> Functional::call_outputs_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                                    bool training) {
  std::vector<Shape> shapes;
  for (const auto& t : inputs) shapes.push_back(t.shape());
  const auto adjusted = check_input_shapes(shapes);
  if (!masks.empty() && masks.size() != inputs.size())
    throw_invalid_argument("model '{}': received {} input tensors but {} masks; give one mask per input (or none)",
                           name(), inputs.size(), masks.size());
  std::vector<std::vector<Masked>> values(nodes_.size());  // per node: its outputs
  for (std::size_t i = 0; i < inputs_.size(); ++i) {  // an InputLayer checks and casts its tensor
    const Tensor x = adjusted[i] == shapes[i] ? inputs[i] : inputs[i].reshape(adjusted[i]);
    const Layer& input_layer = *inputs_[i].node()->layer;
    Tensor value = (*inputs_[i].node()->layer)(x, training);
    values[input_positions_[i]] = {{value, masks.empty() ? Tensor() : as_mask(masks[i], value, input_layer)}};
  }
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (arg_positions_[i].empty()) continue;
    std::vector<Tensor> args, arg_masks;
    for (const Slot& a : arg_positions_[i]) {
      args.push_back(values[a.node][a.output].value);
      arg_masks.push_back(values[a.node][a.output].mask);
    }
    const Node& node = *nodes_[i];
    const CallArgs* layer_args = &node.call_args;
    ExplicitMask mask;
    if (node.call_args.count("mask")) {  // Keras's mask= keyword: the first input's mask, instead of the one handed along
      mask = explicit_mask(node.call_args, args.size());
      const Tensor given = as_mask(args[*mask.position], args[0], *node.layer);
      args = without_mask(std::move(args), mask);
      arg_masks = without_mask(std::move(arg_masks), mask);
      arg_masks[0] = given;
      layer_args = &mask.layer_args;
    }
    values[i] = node.output_count() == 1 && layer_args->empty()
                    ? std::vector<Masked>{node.layer->call_inputs_with_masks(args, arg_masks, training)}
                    : node.layer->call_node(args, arg_masks, *layer_args, training);
    // Drop what no later node reads, so inference does not hold every activation at once.
    for (const Slot& a : arg_positions_[i])
      if (last_use_[a.node] == i) values[a.node].clear();
  }
  std::vector<Masked> out;
  for (const Slot& o : output_positions_) out.push_back(values[o.node][o.output]);
  return out;
}

Shape Functional::compute_output_shape_for(const std::vector<Shape>& input_shapes) const {
  require_single_output("a single output shape");
  return compute_output_shapes_for(input_shapes)[0];
}

std::vector<Shape> Functional::compute_output_shapes_for(const std::vector<Shape>& input_shapes) const {
  const auto adjusted = check_input_shapes(input_shapes);
  std::unordered_map<const Node*, std::vector<Shape>> shapes;  // per node: its outputs
  for (std::size_t i = 0; i < inputs_.size(); ++i) shapes[inputs_[i].node().get()] = {adjusted[i]};
  for (const auto& n : nodes_) {
    if (n->inputs.empty()) continue;
    std::vector<Shape> args;
    for (const auto& in : n->inputs) args.push_back(shapes.at(in.node().get()).at(in.index()));
    const ExplicitMask mask = explicit_mask(n->call_args, args.size());
    shapes[n.get()] = n->layer->node_output_shapes(without_mask(args, mask), mask.layer_args);
  }
  std::vector<Shape> out;
  for (const auto& t : outputs_) out.push_back(shapes.at(t.node().get()).at(t.index()));
  return out;
}

Shape Functional::compute_output_shape(const Shape& input_shape) const { return compute_output_shape_for({input_shape}); }

Shape Functional::build_for_inputs(const std::vector<Shape>& input_shapes) {
  // Every layer was built when the graph was recorded: this checks the shapes.
  require_single_output("calling it as a layer");
  return compute_output_shape_for(input_shapes);
}

std::vector<KerasTensor> Functional::call_outputs(const std::vector<KerasTensor>& inputs) {
  return record_node(shared_for_graph(), inputs);
}

std::vector<Shape> Functional::build_node(const std::vector<Shape>& input_shapes, const CallArgs& args) {
  return node_output_shapes(input_shapes, args);  // the layers were built with the graph
}

std::vector<Shape> Functional::node_output_shapes(const std::vector<Shape>& input_shapes, const CallArgs& args) const {
  check_call_args(call_args_owner(), args);
  return compute_output_shapes_for(input_shapes);
}

std::vector<Masked> Functional::call_node(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                          const CallArgs& args, bool training) {
  check_call_args(call_args_owner(), args);
  return call_outputs_masked(inputs, masks, training);
}

std::string Functional::call_args_owner() const { return fmt::format("model '{}'", name()); }

std::string Functional::several_outputs_hint() const {
  return "call_outputs(inputs), which returns every output of the model as a KerasTensor";
}

std::size_t Functional::node_index(const Node* node) const {
  std::size_t k = 0;
  for (const auto& n : nodes_) {
    if (n.get() == node) return k;
    if (n->layer == node->layer) ++k;
  }
  throw_invalid_argument("Functional '{}': a node of layer '{}' is not part of this model", name(), node->layer->name());
}

nlohmann::json Functional::get_config() const {
  using nlohmann::json;
  auto history = [&](const KerasTensor& t) {
    return json::array({t.node()->layer->name(), node_index(t.node().get()), t.index()});
  };
  auto tensor_config = [&](const KerasTensor& t) {
    return json{{"class_name", "__keras_tensor__"},
                {"config",
                 {{"shape", shape_json(t.shape())}, {"dtype", keras_dtype(t)},
                  {"keras_history", history(t)}}}};
  };
  json layers = json::array();
  for (const auto& l : layers_) {
    json inbound = json::array();
    const auto* op = dynamic_cast<const OpLayer*>(l.get());
    for (const auto& n : nodes_) {
      if (n->layer != l || n->inputs.empty()) continue;
      if (op) {  // an operation writes its own arguments, numbers among the tensors
        std::vector<json> tensors;
        for (const auto& in : n->inputs) tensors.push_back(tensor_config(in));
        inbound.push_back(op->inbound_node(tensors));
        continue;
      }
      // The positional tensors: one, or a merge's list, as the one argument; MultiHeadAttention's
      // query and value as two (Keras's mha(query, value, key=key), a third positional tensor is the key).
      const std::size_t positional = n->inputs.size() - n->call_args.tensor_count();
      const bool attention = l->class_name() == "MultiHeadAttention";
      json args = json::array(), kwargs = json::object();
      for (std::size_t i = 0; i < positional; ++i) args.push_back(tensor_config(n->inputs[i]));
      if (attention && positional == 3) {
        kwargs["key"] = args[2];
        args.erase(2);
      }
      if (!attention) args = json::array({positional == 1 ? args[0] : args});
      // Keyword tensors: an RNN's initial_state as a list, a single tensor (key, attention_mask) as itself.
      std::size_t at = positional;
      for (const auto& [name, count] : n->call_args.tensors) {
        json group = json::array();
        for (std::size_t i = 0; i < count; ++i) group.push_back(tensor_config(n->inputs[at++]));
        kwargs[name] = count == 1 && name != "initial_state" ? group[0] : group;
      }
      kwargs.update(n->call_args.values);
      inbound.push_back({{"args", args}, {"kwargs", kwargs}});
    }
    // As Keras 3 writes them (it refuses module "keras" for a Functional).
    const bool functional = l->class_name() == "Functional";
    const bool model = functional || l->class_name() == "Sequential";
    layers.push_back({{"module", op             ? op->module()
                                 : functional ? "keras.src.models.functional"
                                 : model      ? "keras"
                                              : "keras.layers"},
                      {"class_name", l->class_name()},
                      {"config", l->get_config()},
                      {"registered_name", functional || op ? json(l->class_name()) : json(nullptr)},
                      {"name", l->name()},
                      {"inbound_nodes", inbound}});
  }
  // Keras numbers a nested Functional's calls from 1 here (its "built-in" node of Keras 2 was 0),
  // but from 0 where a node reads them.
  auto model_history = [&](const KerasTensor& t) {
    json h = history(t);
    if (t.node()->layer->class_name() == "Functional") h[1] = h[1].get<std::size_t>() + 1;
    return h;
  };
  json input_layers = json::array();
  for (const auto& t : inputs_) input_layers.push_back(model_history(t));
  json config = Layer::get_config();
  config["layers"] = layers;
  config["input_layers"] = input_layers;
  json output_layers = json::array();
  for (const auto& t : outputs_) output_layers.push_back(model_history(t));
  config["output_layers"] = output_layers;
  return config;
}

SummaryTable Functional::summary_table() const {
  // Keras prints the plain three columns when the graph is a chain: no node with several inputs
  // and no layer called twice.
  std::set<const Layer*> called;
  bool chain = outputs_.size() == 1;  // Keras: two heads are two nodes at one depth
  for (const auto& n : nodes_) chain = chain && n->inputs.size() <= 1 && called.insert(n->layer.get()).second;
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : layers_) {
    std::string shape = "?", connected;
    for (const auto& n : nodes_) {
      if (n->layer != l) continue;
      shape.clear();  // Keras lists a node's several outputs: [(None, 16), (None, 16)]
      for (const auto& o : n->output_shapes) shape += (shape.empty() ? "" : ", ") + shape_str(o);
      if (n->output_count() > 1) shape = "[" + shape + "]";
      for (const auto& in : n->inputs)
        connected += fmt::format("{}{}[{}][{}]", connected.empty() ? "" : ", ", in.node()->layer->name(),
                                 node_index(in.node().get()), in.index());
    }
    std::vector<std::string> row{fmt::format("{} ({})", l->name(), l->class_name()), shape, param_count_cell(*l)};
    if (!chain) row.push_back(connected.empty() ? "-" : connected);
    rows.push_back(std::move(row));
  }
  return {chain ? sequential_summary_columns() : graph_summary_columns(), rows};
}

}  // namespace minidl::layers
