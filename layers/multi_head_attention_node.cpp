// MultiHeadAttention as a functional-graph node with Keras's call options: the key and the
// attention_mask are keyword tensors of the node, use_causal_mask / return_attention_scores /
// training plain keywords (CallArgs). The node runs attend(), so the Keras masks handed along the
// graph combine with these as in an eager call; with return_attention_scores it has two outputs,
// the output (carrying the query's mask, as Keras) and the scores (no mask).
#include <algorithm>

#include "minidl/core/error.h"
#include "minidl/layers/multi_head_attention.h"

namespace minidl::layers {

namespace {

// Where a node's tensors sit among its inputs.
struct NodeLayout {
  std::optional<std::size_t> key, attention_mask;
  bool scores = false;
};

NodeLayout layout_of(const Layer& layer, std::size_t inputs, const CallArgs& args) {
  check_call_args(layer.call_args_owner(), args,
                  {"key", "attention_mask", "use_causal_mask", "return_attention_scores", "training"});
  for (const auto& [name, count] : args.tensors)
    if (count != 1)
      throw_invalid_argument("{}: `{}` is one tensor, received {}", layer.call_args_owner(), name, count);
  const std::size_t positional = inputs - std::min(inputs, args.tensor_count());
  if (inputs < args.tensor_count() || positional < 2 || positional > 3 || (positional == 3 && args.count("key")))
    throw_invalid_argument("{} takes query and value (and key) as positional tensors, then key and attention_mask as "
                           "keywords, received {} tensor(s) of which {} keyword tensor(s)",
                           layer.call_args_owner(), inputs, args.tensor_count());
  NodeLayout l;
  l.key = positional == 3 ? std::optional<std::size_t>(2) : args.offset("key", inputs);
  l.attention_mask = args.offset("attention_mask", inputs);
  for (const char* flag : {"use_causal_mask", "return_attention_scores", "training"})
    if (const auto it = args.values.find(flag); it != args.values.end() && !it->is_null() && !it->is_boolean())
      throw_invalid_argument("{}: `{}` must be a boolean (or None), received {}={}", layer.call_args_owner(), flag, flag,
                             it->dump().substr(0, 120));
  l.scores = args.flag("return_attention_scores").value_or(false);
  return l;
}

bool compatible_extent(std::int64_t a, std::int64_t b) { return a < 0 || b < 0 || a == b; }

// attend() takes (T, S), (B, T, S) or (B|1, N|1, T, S) attention masks.
void check_attention_mask(const Layer& layer, const Shape& mask, const Shape& query, const Shape& value) {
  const Shape expected{query[0], query[1], value[1]};
  const bool rank_ok = mask.ndim() >= 2 && mask.ndim() <= 4;
  if (!rank_ok || !compatible_extent(mask[-2], query[1]) || !compatible_extent(mask[-1], value[1]) ||
      (mask.ndim() >= 3 && mask[0] != 1 && !compatible_extent(mask[0], query[0])))
    throw_invalid_argument("{}: `attention_mask` must have shape (batch, query length, value length) = {} (or "
                           "(query length, value length)), received attention_mask shape {}",
                           layer.call_args_owner(), shape_str(expected), shape_str(mask));
}

}  // namespace

std::vector<Shape> MultiHeadAttention::node_output_shapes(const std::vector<Shape>& s, const CallArgs& args) const {
  const NodeLayout l = layout_of(*this, s.size(), args);
  std::vector<Shape> qvk{s[0], s[1]};
  if (l.key) qvk.push_back(s[*l.key]);
  std::vector<Shape> out{compute_output_shape_for(qvk)};
  if (l.attention_mask) check_attention_mask(*this, s[*l.attention_mask], s[0], s[1]);
  if (l.scores) out.push_back(Shape{s[0][0], options_.num_heads, s[0][1], s[1][1]});
  return out;
}

std::vector<Shape> MultiHeadAttention::build_node(const std::vector<Shape>& s, const CallArgs& args) {
  auto out = node_output_shapes(s, args);  // checks before building
  const NodeLayout l = layout_of(*this, s.size(), args);
  build_for(s[0], s[1], l.key ? std::optional<Shape>(s[*l.key]) : std::nullopt);
  return out;
}

std::vector<Masked> MultiHeadAttention::call_node(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                                  const CallArgs& args, bool training) {
  const NodeLayout l = layout_of(*this, inputs.size(), args);
  if (!masks.empty() && masks.size() != inputs.size())
    throw_invalid_argument("{}: received {} input tensors but {} masks; give one mask per input (or none)",
                           call_args_owner(), inputs.size(), masks.size());
  auto mask = [&](std::optional<std::size_t> i) { return i && *i < masks.size() ? masks[*i] : Tensor(); };
  auto input = [&](std::optional<std::size_t> i) { return i ? inputs[*i] : Tensor(); };
  AttentionResult r = attend(inputs[0], inputs[1],
                             {.key = input(l.key),
                              .attention_mask = input(l.attention_mask),
                              .query_mask = mask(0),
                              .value_mask = mask(1),
                              .key_mask = mask(l.key),
                              .use_causal_mask = args.flag("use_causal_mask").value_or(false),
                              .return_attention_scores = l.scores,
                              .training = args.flag("training").value_or(training)});
  std::vector<Masked> out{{std::move(r.output), std::move(r.mask)}};
  if (l.scores) out.push_back({std::move(r.scores), Tensor()});
  return out;
}

std::string MultiHeadAttention::several_outputs_hint() const {
  return "call_graph_with_scores(query, value, ...), which returns the output and the attention scores";
}

namespace {

// The node's inputs and keywords for a call_graph call.
std::pair<std::vector<KerasTensor>, CallArgs> graph_call(const KerasTensor& query, const KerasTensor& value,
                                                         const GraphAttentionCall& call, bool scores) {
  std::vector<KerasTensor> inputs{query, value};
  CallArgs args;
  for (const auto& [name, t] : {std::pair<const char*, const KerasTensor*>{"key", &call.key},
                                {"attention_mask", &call.attention_mask}})
    if (t->defined()) {
      inputs.push_back(*t);
      args.tensors.emplace_back(name, 1);
    }
  // As Keras records them: only the keywords the call gave.
  if (call.use_causal_mask) args.values["use_causal_mask"] = true;
  if (scores) args.values["return_attention_scores"] = true;
  if (call.training) args.values["training"] = *call.training;
  return {std::move(inputs), std::move(args)};
}

}  // namespace

KerasTensor MultiHeadAttention::call_graph(const KerasTensor& query, const KerasTensor& value,
                                           const GraphAttentionCall& call) & {
  auto [inputs, args] = graph_call(query, value, call, false);
  return record_node(shared_for_graph(), inputs, args).at(0);
}

KerasTensor MultiHeadAttention::call_graph(const KerasTensor& query, const KerasTensor& value,
                                           const GraphAttentionCall& call) && {
  auto [inputs, args] = graph_call(query, value, call, false);
  return record_node(std::move(*this).shared_for_graph(), inputs, args).at(0);
}

std::vector<KerasTensor> MultiHeadAttention::call_graph_with_scores(const KerasTensor& query, const KerasTensor& value,
                                                                    const GraphAttentionCall& call) & {
  auto [inputs, args] = graph_call(query, value, call, true);
  return record_node(shared_for_graph(), inputs, args);
}

std::vector<KerasTensor> MultiHeadAttention::call_graph_with_scores(const KerasTensor& query, const KerasTensor& value,
                                                                    const GraphAttentionCall& call) && {
  auto [inputs, args] = graph_call(query, value, call, true);
  return record_node(std::move(*this).shared_for_graph(), inputs, args);
}

}  // namespace minidl::layers
