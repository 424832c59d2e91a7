#include "minidl/layers/op_layer.h"

#include <algorithm>
#include <map>

#include <fmt/ranges.h>

#include "minidl/core/error.h"
#include "minidl/layers/op_table.h"

namespace minidl::layers {

namespace {

using nlohmann::json;

bool is_marker(const json& j) { return j.is_object() && j.contains("__tensor__"); }

// The tensor markers of a call's arguments, in the order Keras's Node.arguments flattens them
// (args, then kwargs), each checked to be the next index.
void count_markers(const json& j, std::size_t& next, const std::string& cls) {
  if (is_marker(j)) {
    if (j["__tensor__"] != next)
      throw_invalid_argument("{}: tensor arguments must be numbered in order; expected {}, received {}", cls, next,
                             j["__tensor__"].dump());
    ++next;
  } else if (j.is_array() || j.is_object()) {
    for (const auto& e : j) count_markers(e, next, cls);
  }
}

std::string keys_of(const json& j) {
  std::string s;
  for (const auto& [k, v] : j.items()) s += (s.empty() ? "" : ", ") + k;
  return s.empty() ? "none" : s;
}

const op_table::OpSpec& spec_of(const std::string& class_name) {
  if (const auto* s = op_table::find(class_name)) return *s;
  throw_invalid_argument("unknown Keras operation '{}' (minidl knows: {})", class_name, fmt::join(op_table::names(), ", "));
}

// Keras's result_type of the arguments: a float tensor wins, then ints, then bools; a Python float
// makes ints and bools float32, a Python int makes bools int32.
std::string result_type(const std::vector<std::string>& tensors, const std::vector<json>& numbers) {
  auto rank = [](const std::string& d) { return d == "bool" ? 0 : d.find("int") != std::string::npos ? 1 : d == "float64" ? 3 : 2; };
  std::string best = tensors.empty() ? "float32" : tensors[0];
  for (const auto& d : tensors)
    if (rank(d) > rank(best)) best = d;
  for (const auto& n : numbers) {
    if (n.is_number_float() && rank(best) < 2) best = "float32";
    if (n.is_number_integer() && rank(best) < 1) best = "int32";
  }
  return best;
}

}  // namespace

OpLayer::OpLayer(const std::string& class_name, json config, json args, json kwargs, const CommonOptions& common)
    : Layer(class_name, common), spec_(&spec_of(class_name)), config_(spec_->defaults) {
  const std::string& cls = spec_->class_name;
  if (!config.is_object()) throw_invalid_argument("{}: the config must be an object, received {}", cls, config.dump());
  for (const auto& [k, v] : config.items()) {
    if (k == "name") continue;
    if (!config_.contains(k)) throw_invalid_argument("{}: unknown config key '{}' (allowed: {})", cls, k, keys_of(config_));
    config_[k] = v;
  }
  if (!args.is_array()) throw_invalid_argument("{}: args must be a list, received {}", cls, args.dump());
  if (!kwargs.is_object()) throw_invalid_argument("{}: kwargs must be an object, received {}", cls, kwargs.dump());
  args_ = std::move(args);
  kwargs_ = std::move(kwargs);
  count_markers(args_, tensor_count_, cls);
  count_markers(kwargs_, tensor_count_, cls);
  if (args_.size() > spec_->params.size())
    throw_invalid_argument("{}: takes {} argument(s) ({}), received {} positional", cls, spec_->params.size(),
                           fmt::join(spec_->params, ", "), args_.size());
  for (std::size_t i = 0; i < spec_->params.size(); ++i) {
    const std::string& p = spec_->params[i];
    if (i < args_.size()) bound_.emplace_back("/args/" + std::to_string(i));
    else if (kwargs_.contains(p)) bound_.emplace_back("/kwargs/" + p);
    else throw_invalid_argument("{}: missing argument '{}'", cls, p);
  }
  const json call{{"args", args_}, {"kwargs", kwargs_}};
  for (std::size_t i = 0; i < bound_.size(); ++i) {  // tensors and numbers only (and a list of tensors)
    const json& v = call.at(bound_[i]);
    const bool list = spec_->takes_list() && v.is_array() && !v.empty() && std::all_of(v.begin(), v.end(), is_marker);
    if (!(is_marker(v) || v.is_number() || v.is_boolean() || list))
      throw_invalid_argument("{}: argument {}={} is not supported by minidl (a tensor or a number{})", cls, spec_->params[i],
                             v.dump().substr(0, 100), spec_->takes_list() ? "; a list of tensors" : "");
  }
  // A keyword argument that is none of the call's parameters sets a config key (axis=...).
  effective_ = config_;
  for (const auto& [k, v] : kwargs_.items()) {
    if (std::find(spec_->params.begin(), spec_->params.end(), k) != spec_->params.end()) continue;
    if (!config_.contains(k))
      throw_invalid_argument("{}: unexpected keyword argument '{}' (the call takes {}; the config {})", cls, k,
                             fmt::join(spec_->params, ", "), keys_of(config_));
    if (v.dump().find("__tensor__") != std::string::npos)
      throw_invalid_argument("{}: keyword argument '{}' must be a constant, received a tensor", cls, k);
    effective_[k] = v;
  }
  if (tensor_count_ == 0) throw_invalid_argument("{}: needs at least one tensor argument, received only numbers", cls);
}

const std::string& OpLayer::module() const { return spec_->module; }

json OpLayer::get_config() const {
  json c = config_;
  c["name"] = name();
  return c;
}

json OpLayer::inbound_node(const std::vector<json>& tensors) const {
  std::function<json(const json&)> fill = [&](const json& j) -> json {
    if (is_marker(j)) return tensors.at(j["__tensor__"].get<std::size_t>());
    if (!j.is_array() && !j.is_object()) return j;
    json out = j;
    for (auto it = out.begin(); it != out.end(); ++it) *it = fill(*it);
    return out;
  };
  return {{"args", fill(args_)}, {"kwargs", fill(kwargs_)}};
}

template <class T, class Fill>
std::vector<T> OpLayer::operands(const std::vector<T>& inputs, Fill fill) const {
  check_input_count(inputs.size());
  const json call{{"args", args_}, {"kwargs", kwargs_}};
  std::vector<T> out;
  auto one = [&](const json& j, const std::string& param) {
    if (is_marker(j)) return out.push_back(inputs.at(j["__tensor__"].get<std::size_t>()));
    if (j.is_number() || j.is_boolean()) return out.push_back(fill(j.is_boolean() ? double(j.get<bool>()) : j.get<double>()));
    throw_invalid_argument("{} '{}': argument {}={} is not supported by minidl (a tensor or a number)", class_name(), name(),
                           param, j.dump().substr(0, 100));
  };
  for (std::size_t i = 0; i < bound_.size(); ++i) {
    const json& v = call.at(bound_[i]);
    if (spec_->takes_list() && v.is_array())
      for (const auto& e : v) one(e, spec_->params[i]);
    else one(v, spec_->params[i]);
  }
  return out;
}

Shape OpLayer::compute_output_shape_for(const std::vector<Shape>& input_shapes) const {
  return spec_->shape(operands(input_shapes, [](double) { return Shape{}; }), effective_, class_name() + " '" + name() + "'");
}

Shape OpLayer::compute_output_shape(const Shape& input_shape) const { return compute_output_shape_for({input_shape}); }

Shape OpLayer::build_for_inputs(const std::vector<Shape>& input_shapes) {
  Shape out = compute_output_shape_for(input_shapes);
  ensure_built(input_shapes.at(0));  // no weights: marks the layer built
  return out;
}

Tensor OpLayer::call_inputs(const std::vector<Tensor>& inputs, bool) {
  check_input_count(inputs.size());
  // Keras computes in the arguments' common type; numbers take the first tensor's dtype.
  const DType dtype = std::any_of(inputs.begin(), inputs.end(), [](const Tensor& t) { return t.dtype() == DType::Float64; })
                          ? DType::Float64
                          : DType::Float32;
  std::vector<Tensor> same;
  for (const auto& t : inputs) same.push_back(t.dtype() == dtype ? t : t.to(dtype));
  auto values = operands(same, [&](double v) { return Tensor::scalar(v, dtype); });
  std::vector<Shape> shapes;
  for (const auto& v : values) shapes.push_back(v.shape());
  spec_->shape(shapes, effective_, class_name() + " '" + name() + "'");  // Keras's errors before the op's own
  return spec_->compute(values, effective_);
}

Masked OpLayer::call_inputs_with_masks(const std::vector<Tensor>& inputs, const std::vector<Tensor>&, bool training) {
  return {call_inputs(inputs, training), Tensor()};  // an operation's result carries no mask (Keras)
}

Tensor OpLayer::call(const Tensor& x, bool training) { return call_inputs({x}, training); }

std::string OpLayer::keras_dtype(const std::vector<std::string>& input_dtypes) const {
  std::vector<json> numbers;
  const json call{{"args", args_}, {"kwargs", kwargs_}};
  for (const auto& p : bound_)
    if (call.at(p).is_number()) numbers.push_back(call.at(p));
  const std::string r = result_type(input_dtypes, numbers);
  using op_table::ResultDType;
  switch (spec_->result) {
    case ResultDType::Bool: return "bool";
    case ResultDType::Cast: return effective_.at("dtype").get<std::string>();
    case ResultDType::Float: return r.find("float") == std::string::npos ? "float32" : r;
    case ResultDType::Sum: return r == "bool" ? "int32" : r;
    case ResultDType::Same: break;
  }
  return r;
}

namespace {
// Memoized per node: a graph whose branches meet again is walked once.
std::string keras_dtype(const KerasTensor& t, std::map<const Node*, std::string>& memo) {
  const auto* op = dynamic_cast<const OpLayer*>(t.node()->layer.get());
  if (!op) return std::string(dtype_name(t.dtype()));
  if (auto it = memo.find(t.node().get()); it != memo.end()) return it->second;
  std::vector<std::string> inputs;
  for (const auto& in : t.node()->inputs) inputs.push_back(keras_dtype(in, memo));
  return memo[t.node().get()] = op->keras_dtype(inputs);
}
}  // namespace

std::string keras_dtype(const KerasTensor& t) {
  std::map<const Node*, std::string> memo;
  return keras_dtype(t, memo);
}

bool is_keras_operation(const json& entry) {
  return entry.is_object() && entry.value("module", std::string()).rfind("keras.src.ops", 0) == 0;
}

OperationCall operation_from_config(const json& entry) {
  const std::string cls = entry.value("class_name", std::string());
  const json config = entry.value("config", json::object());
  const json nodes = entry.value("inbound_nodes", json::array());
  const std::string name = config.value("name", entry.value("name", std::string()));
  if (!nodes.is_array() || nodes.size() != 1)
    throw_invalid_argument("Functional config: operation '{}' ({}) must have exactly one inbound node, received {}", name, cls,
                           nodes.is_array() ? nodes.size() : 0);
  OperationCall out;
  // Keras's tensors in the node's args/kwargs become markers numbered in order.
  std::function<json(const json&)> mark = [&](const json& j) -> json {
    if (j.is_object() && j.value("class_name", std::string()) == "__keras_tensor__") {
      out.tensors.push_back(j);
      return json{{"__tensor__", out.tensors.size() - 1}};
    }
    if (j.is_object() && j.contains("class_name"))
      throw_invalid_argument("Functional config: operation '{}' ({}): argument {} is not supported by minidl (a tensor or a "
                             "number)",
                             name, cls, j.dump().substr(0, 100));
    if (!j.is_array() && !j.is_object()) return j;
    json r = j;
    for (auto it = r.begin(); it != r.end(); ++it) *it = mark(*it);
    return r;
  };
  const json& node = nodes[0];
  if (!node.is_object() || !node.contains("args"))
    throw_invalid_argument("Functional config: operation '{}' ({}): cannot read the inbound node {}", name, cls,
                           node.dump().substr(0, 200));
  json args = mark(node["args"]);
  json kwargs = mark(node.value("kwargs", json::object()));
  try {
    out.layer = std::make_shared<OpLayer>(cls, config, std::move(args), std::move(kwargs), CommonOptions{.name = name});
  } catch (const std::invalid_argument& e) {
    throw_invalid_argument("Functional config: operation '{}': {}", name, e.what());
  }
  return out;
}

}  // namespace minidl::layers
