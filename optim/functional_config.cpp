// Functional models rebuilt from Keras's config (layers with their inbound nodes, input_layers,
// output_layers): each layer is deserialized, then its calls are replayed on the KerasTensors of
// the nodes they name, in as many passes as the references need. A node may have several outputs
// (an RNN with return_state, referred to by tensor_index), an RNN's node reads its initial_state and
// a MultiHeadAttention's its key, attention_mask and call flags (use_causal_mask, ...).
// Keras's operations (module keras.src.ops.*: ops.add, ops.mean, ...) become OpLayers with their
// numbers in place. A layer's `mask` keyword (the user's mask=, or the mask Keras handed along,
// e.g. Embedding's recorded as a NotEqual node) is read as the node's mask (node_mask.h).
#include <algorithm>
#include <map>

#include "minidl/core/error.h"
#include "minidl/core/json_number.h"
#include "minidl/layers/functional.h"
#include "minidl/layers/layer_config.h"
#include "minidl/layers/op_layer.h"
#include "minidl/layers/rnn_base.h"
#include "minidl/optim/layer_registry.h"

namespace minidl::optim {

namespace {

using nlohmann::json;

struct History {
  std::string layer;
  std::size_t node = 0, tensor = 0;
};

// [layer_name, node_index, tensor_index(, kwargs)] (Keras 2 and input/output_layers), or Keras 3's
// {"class_name": "__keras_tensor__", "config": {"keras_history": [...]}}.
History history_of(const json& j) {
  const json& h = j.is_object() ? j.at("config").at("keras_history") : j;
  if (!h.is_array() || h.size() < 3 || !h[0].is_string())
    throw_invalid_argument("Functional config: cannot read the tensor reference {}", j.dump().substr(0, 200));
  return {h[0].get<std::string>(), static_cast<std::size_t>(json_uint(h[1], "node_index")),
          static_cast<std::size_t>(json_uint(h[2], "tensor_index"))};
}

// The tensor references of one inbound node, flattened (a merge's list or a single tensor), then
// the keyword tensors `call` lists: the initial_state, then Keras's mask= keyword. Keras 3 writes an
// RNN's initial_state in kwargs, or as the second positional argument when the call gave it so
// (`GRU(4)(x, [h])`). tf.keras (Keras 2) wrote the states after the sequence in one list: `rnn` says
// the node's layer is an RNN. A `mask` naming one tensor (the user's mask=, or the mask Keras handed
// along, recorded as a NotEqual node) replaces the mask minidl hands along; a list of masks (a layer
// of several inputs) is left to minidl's own propagation. tf.keras's `training` keyword (which, unlike
// Keras 3's, outranks the model's own training flag) is not read: see README.
std::vector<History> node_inputs(const json& node, bool rnn, layers::CallArgs& call) {
  std::vector<History> out;
  auto add = [&](const json& t) {
    if (t.is_array() && !t.empty() && (t[0].is_object() || t[0].is_array()))
      for (const auto& e : t) out.push_back(history_of(e));
    else out.push_back(history_of(t));
  };
  auto add_group = [&](const char* name, const json& t) {
    const std::size_t before = out.size();
    add(t);
    call.tensors.emplace_back(name, out.size() - before);
  };
  if (node.is_object()) {  // Keras 3: {"args": [tensor or [tensors]], "kwargs": {"initial_state": [...]}}
    const json& args = node.at("args");
    if (!args.is_array() || args.empty()) throw_invalid_argument("Functional config: a node without args: {}", node.dump());
    add(args[0]);
    const json kwargs = node.value("kwargs", json::object());
    const json* initial = kwargs.contains("initial_state") && !kwargs["initial_state"].is_null() ? &kwargs["initial_state"]
                          : rnn && args.size() > 1 && !args[1].is_null()                           ? &args[1]
                                                                                                   : nullptr;
    if (initial) add_group("initial_state", *initial);
    if (kwargs.contains("mask") && kwargs["mask"].is_object()) add_group("mask", kwargs["mask"]);
  } else {  // Keras 2: [[name, node_index, tensor_index, kwargs], ...]
    for (const auto& e : node) out.push_back(history_of(e));
    if (rnn && out.size() > 1) call.tensors.emplace_back("initial_state", out.size() - 1);
    // An explicit mask= sits in the first entry's kwargs as a reference [layer, node_index, tensor_index].
    const json kwargs = !node.empty() && node[0].is_array() && node[0].size() > 3 ? node[0][3] : json::object();
    if (kwargs.is_object() && kwargs.contains("mask")) {
      const json& m = kwargs["mask"];
      if (m.is_array() && m.size() >= 3 && m[0].is_string()) add_group("mask", m);
    }
  }
  return out;
}

// A MultiHeadAttention node of Keras 3 (tf.keras's is converted to one): {"args": [query, value(, key)],
// "kwargs": {"key": ..., "attention_mask": ..., "use_causal_mask": true, "return_attention_scores": true, "training": ...}}
// (query and value may also sit in kwargs). The tensors come back in the node's order: query, value,
// then the keyword tensors of `args` (key, attention_mask); the plain keywords go to args.values as
// Keras wrote them, so get_config writes them back. The Keras masks Keras may record (query_mask,
// value_mask, key_mask) are what minidl hands along the graph anyway.
std::vector<History> attention_inputs(const json& node, const std::string& layer, layers::CallArgs& call) {
  if (!node.is_object()) {
    // tf.keras (Keras 2): [[query_layer, node_index, tensor_index, {"value": [layer, node, tensor], "key": ...,
    // "attention_mask": ..., "use_causal_mask": true, ...}]], read as the Keras 3 node it stands for.
    if (!node.is_array() || node.size() != 1 || !node[0].is_array() || node[0].size() < 3 || node[0].size() > 4 ||
        (node[0].size() == 4 && !node[0][3].is_object()))
      throw_invalid_argument("Functional config: MultiHeadAttention '{}' has a Keras 2 inbound node minidl cannot read "
                             "(expected [[query_layer, node_index, tensor_index, {{keyword arguments}}]]): {}",
                             layer, node.dump().substr(0, 200));
    const json& e = node[0];
    return attention_inputs(json{{"args", json::array({json::array({e[0], e[1], e[2]})})},
                                 {"kwargs", e.size() == 4 ? e[3] : json::object()}},
                            layer, call);
  }
  const json args = node.value("args", json::array());
  const json kwargs = node.value("kwargs", json::object());
  for (const auto& [key, value] : kwargs.items()) {
    const bool tensor = key == "query" || key == "value" || key == "key" || key == "attention_mask" ||
                        key == "query_mask" || key == "value_mask" || key == "key_mask";
    const bool flag = key == "use_causal_mask" || key == "return_attention_scores" || key == "training";
    if (flag && !value.is_null() && !value.is_boolean())
      throw_invalid_argument("Functional config: MultiHeadAttention '{}': {} must be a boolean or null, received {}={}",
                             layer, key, key, value.dump().substr(0, 120));
    if (flag) call.values[key] = value;
    else if (!tensor)
      throw_invalid_argument("Functional config: MultiHeadAttention '{}' is called with {}={}, which is not an "
                             "argument of MultiHeadAttention.call (query, value, key, attention_mask, "
                             "use_causal_mask, return_attention_scores, training)",
                             layer, key, value.dump().substr(0, 120));
  }
  auto pick = [&](std::size_t position, const char* name) -> const json* {
    if (args.is_array() && args.size() > position && !args[position].is_null()) return &args[position];
    if (kwargs.contains(name) && !kwargs[name].is_null()) return &kwargs[name];
    return nullptr;
  };
  const json* query = pick(0, "query");
  const json* value = pick(1, "value");
  if (!query || !value)
    throw_invalid_argument("Functional config: MultiHeadAttention '{}' needs a query and a value, received {}", layer,
                           node.dump().substr(0, 200));
  if (args.is_array() && args.size() > 3)
    throw_invalid_argument("Functional config: MultiHeadAttention '{}': minidl reads query, value and key as positional "
                           "arguments (the others as keywords), received {} positional arguments",
                           layer, args.size());
  std::vector<History> out{history_of(*query), history_of(*value)};
  // The key may be the third positional argument; attention_mask comes after the Keras masks, so only by keyword.
  for (const auto& [position, name] : {std::pair<std::size_t, const char*>{2, "key"}, {args.size(), "attention_mask"}})
    if (const json* t = pick(position, name)) {
      out.push_back(history_of(*t));
      call.tensors.emplace_back(name, 1);
    }
  return out;
}

// Output h.tensor of a node whose outputs are `node`.
layers::KerasTensor tensor_of(const std::vector<layers::KerasTensor>& node, const History& h) {
  if (h.tensor >= node.size())
    throw_invalid_argument("Functional config: node {} of layer '{}' has {} output(s), received tensor_index={}", h.node,
                           h.layer, node.size(), h.tensor);
  return node[h.tensor];
}

std::vector<History> references(const json& j) {
  std::vector<History> out;
  if (j.is_array() && !j.empty() && j[0].is_string()) out.push_back(history_of(j));
  else
    for (const auto& e : j) out.push_back(history_of(e));
  return out;
}

}  // namespace

std::shared_ptr<layers::Layer> functional_from_config(const json& c) {
  struct Entry {
    std::string name;
    std::shared_ptr<layers::Layer> layer;  // null for an InputLayer
    json nodes;
    std::size_t done = 0;
    json input_config{};  // an InputLayer's config, made into an Input at its turn
  };
  std::vector<Entry> entries;
  // layer name -> per node, its outputs (several for an RNN with return_state)
  std::map<std::string, std::vector<std::vector<layers::KerasTensor>>> outputs;
  for (const auto& e : c.at("layers")) {
    const std::string name = e.contains("name") ? e["name"].get<std::string>() : e.at("config").at("name").get<std::string>();
    if (e.value("class_name", std::string()) == "InputLayer") entries.push_back({name, nullptr, json::array(), 0, e.at("config")});
    else if (layers::is_keras_operation(e)) {  // numbers sit among its args: the OpLayer keeps them
      auto call = layers::operation_from_config(e);
      entries.push_back({name, call.layer, json::array({json(call.tensors)})});  // one node: its tensors
    } else entries.push_back({name, layer_from_config(e), e.value("inbound_nodes", json::array())});
  }
  // A nested model's calls are numbered from 1 where Keras 2 numbered its "built-in" node 0: in
  // tf.keras's configs everywhere (Functional and Sequential), in Keras 3's only among
  // input_layers/output_layers and only for a Functional.
  const json& layer_entries = c.at("layers");
  const bool keras2 = std::any_of(layer_entries.begin(), layer_entries.end(), [](const json& e) {
    const json nodes = e.value("inbound_nodes", json::array());
    return std::any_of(nodes.begin(), nodes.end(), [](const json& n) { return n.is_array(); });
  });
  auto without_builtin_node = [&](History h, bool model_io) {
    for (const auto& entry : entries) {
      if (entry.name != h.layer || !entry.layer) continue;
      const std::string& cls = entry.layer->class_name();
      if (keras2 ? cls != "Functional" && cls != "Sequential" : !model_io || cls != "Functional") continue;
      if (h.node == 0)
        throw_invalid_argument("Functional config: {} names node 0 of the nested model '{}', which {} numbers from 1",
                               model_io ? "input_layers/output_layers" : "a node", h.layer, keras2 ? "tf.keras" : "Keras");
      --h.node;
    }
    return h;
  };
  // Nodes are made in the config's (topological) order, Inputs included, so the rebuilt model
  // lists its layers in the same order (summary, get_config).
  for (bool progress = true; progress;) {
    progress = false;
    for (auto& entry : entries) {
      if (!entry.layer && !outputs.count(entry.name)) {
        const json& ic = entry.input_config;
        layers::config::check_input_flags(ic);
        const json& shape = ic.contains("batch_shape") ? ic["batch_shape"] : ic.at("batch_input_shape");
        std::vector<std::int64_t> d;
        for (const auto& v : shape) d.push_back(v.is_null() ? -1 : json_int(v, "batch_shape"));
        outputs[entry.name].push_back({layers::Input({.dtype = layers::config::input_dtype_name_of(ic.value("dtype", json("float32"))),
                                                     .batch_shape = Shape(d.begin(), d.end()),
                                                     .name = entry.name})});
        progress = true;
      }
      while (entry.done < entry.nodes.size()) {
        layers::CallArgs call;
        const bool rnn = dynamic_cast<const layers::RNNBase*>(entry.layer.get()) != nullptr;
        const bool attention = entry.layer->class_name() == "MultiHeadAttention";
        const auto refs = attention ? attention_inputs(entry.nodes[entry.done], entry.name, call)
                                    : node_inputs(entry.nodes[entry.done], rnn, call);
        std::vector<layers::KerasTensor> args;
        for (History h : refs) {
          h = without_builtin_node(h, false);
          auto it = outputs.find(h.layer);
          if (it == outputs.end() || h.node >= it->second.size()) break;
          args.push_back(tensor_of(it->second[h.node], h));
        }
        if (args.size() != refs.size()) break;  // not all produced yet
        outputs[entry.name].push_back(layers::record_node(entry.layer, args, call));
        ++entry.done;
        progress = true;
      }
    }
  }
  for (const auto& entry : entries)
    if (entry.done < entry.nodes.size())
      throw_invalid_argument("Functional config: node {} of layer '{}' refers to a tensor no layer produces ({})",
                             entry.done, entry.name, entry.nodes[entry.done].dump().substr(0, 200));
  auto tensor = [&](History h) {
    h = without_builtin_node(h, true);
    auto it = outputs.find(h.layer);
    if (it == outputs.end() || h.node >= it->second.size())
      throw_invalid_argument("Functional config: no node {} of layer '{}' for the model's inputs/outputs", h.node, h.layer);
    return tensor_of(it->second[h.node], h);
  };
  std::vector<layers::KerasTensor> inputs;
  for (const auto& h : references(c.at("input_layers"))) inputs.push_back(tensor(h));
  std::vector<layers::KerasTensor> outs;
  for (const auto& h : references(c.at("output_layers"))) outs.push_back(tensor(h));
  return std::make_shared<layers::Functional>(
      inputs, outs, layers::FunctionalOptions{.name = c.value("name", std::string()), .trainable = c.value("trainable", true)});
}

}  // namespace minidl::optim
