// MultiHeadAttention: options, weights, shapes and config (the computation is in
// multi_head_attention_call.cpp).
#include "minidl/layers/multi_head_attention.h"

#include <numeric>
#include <set>

#include "minidl/core/error.h"
#include "minidl/core/json_number.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

namespace {

std::string dims_str(const std::vector<std::int64_t>& d) {
  std::string s = "(";
  for (std::size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + (d.size() == 1 ? ",)" : ")");
}

// Keras's EinsumDense hands a variance-scaling kernel initializer without fan axes the kernel's input
// and output axes: fan_in = product of the input extents (dq for a projection), fan_out = product of
// the output extents (num_heads * key_dim), not the conv-kernel rule for 3-D shapes.
initializers::Initializer with_fan_axes(const initializers::Initializer& init, std::int64_t rank, std::int64_t input_axes) {
  static const std::set<std::string> scaling = {"VarianceScaling", "GlorotNormal", "GlorotUniform", "HeNormal",
                                                "HeUniform",       "LecunNormal",  "LecunUniform"};
  if (!scaling.count(init.class_name())) return init;
  nlohmann::json s = init.serialize();
  nlohmann::json& c = s["config"];
  const bool has_in = c.contains("input_axes") && !c["input_axes"].is_null();
  const bool has_out = c.contains("output_axes") && !c["output_axes"].is_null();
  if (has_in && has_out) return init;
  c["input_axes"] = nlohmann::json::array();
  c["output_axes"] = nlohmann::json::array();
  for (std::int64_t a = 0; a < rank; ++a) c[a < input_axes ? "input_axes" : "output_axes"].push_back(a);
  return initializers::Initializer::from_config(s);
}

}  // namespace

MultiHeadAttention::MultiHeadAttention(const MultiHeadAttentionOptions& o)
    : Layer("MultiHeadAttention", common_options(o)), options_(o), generator_(o.seed) {
  set_supports_masking(true);
  if (o.num_heads <= 0)
    throw_invalid_argument("MultiHeadAttention: received an invalid value for argument `num_heads`, expected a positive "
                           "integer. Received: num_heads={}",
                           o.num_heads);
  if (o.key_dim <= 0)
    throw_invalid_argument("MultiHeadAttention: received an invalid value for argument `key_dim`, expected a positive "
                           "integer. Received: key_dim={}",
                           o.key_dim);
  if (o.value_dim && *o.value_dim <= 0)
    throw_invalid_argument("MultiHeadAttention: received an invalid value for argument `value_dim`, expected a positive "
                           "integer or `None`. Received: value_dim={}",
                           *o.value_dim);
  if (!options_.value_dim) options_.value_dim = o.key_dim;
  if (!(o.dropout >= 0.0 && o.dropout < 1.0))
    throw_invalid_argument("MultiHeadAttention: invalid value received for argument `dropout`: expected a value in "
                           "[0, 1), received dropout={}",
                           o.dropout);
  if (o.sliding_window && *o.sliding_window <= 0)
    throw_invalid_argument("MultiHeadAttention: `sliding_window` must be `None` or a positive integer. Received: "
                           "sliding_window={}",
                           *o.sliding_window);
  if (o.flash_attention.value_or(false))
    throw_invalid_argument("MultiHeadAttention: flash_attention=true is not supported by minidl (it has no flash "
                           "attention kernel); use flash_attention=None or false");
  if (o.output_shape) {
    if (o.output_shape->empty()) options_.output_shape.reset();  // Keras: an empty output_shape is falsy
    for (auto d : o.output_shape.value())
      if (d <= 0)
        throw_invalid_argument("MultiHeadAttention: invalid `output_shape`: {}. Every dimension must be positive",
                               dims_str(*o.output_shape));
  }
  if (o.attention_axes)
    for (auto a : *o.attention_axes)
      if ((a != 1 && a != -2) || o.attention_axes->size() != 1)
        throw_invalid_argument("MultiHeadAttention: attention_axes={} is not supported by minidl, which attends over "
                               "the sequence axis of (batch, seq, features) inputs only: use attention_axes=None, 1 "
                               "or -2",
                               dims_str(*o.attention_axes));
  set_activity_regularizer(o.activity_regularizer);
}

Tensor MultiHeadAttention::call(const Tensor&, bool) { refuse_one_tensor(); }

void MultiHeadAttention::build_impl(const Shape&) { refuse_one_tensor(); }

void MultiHeadAttention::refuse_one_tensor() const {
  throw_invalid_argument("layer '{}' (MultiHeadAttention) needs a query and a value: call attend(query, value, ...) or "
                         "the layer on {{query, value}} or {{query, value, key}}",
                         name());
}

Shape MultiHeadAttention::compute_output_shape(const Shape&) const {
  throw_invalid_argument("layer '{}' (MultiHeadAttention) needs the shapes of query and value (and key), received one "
                         "shape",
                         name());
}

void MultiHeadAttention::check_call_shapes(const Shape& q, const Shape& v, const std::optional<Shape>& k) const {
  auto rank3 = [&](const Shape& s, const char* which) {
    if (s.ndim() != 3)
      throw_invalid_argument("layer '{}' (MultiHeadAttention): `{}` must have rank 3 (batch, sequence, features) in "
                             "minidl, received shape {}",
                             name(), which, shape_str(s));
    if (s[-1] < 0)
      throw_invalid_argument("layer '{}' (MultiHeadAttention): the last dimension of `{}` must be known, received "
                             "shape {}",
                             name(), which, shape_str(s));
  };
  rank3(q, "query");
  rank3(v, "value");
  const Shape& key = k ? *k : v;
  if (k) rank3(*k, "key");
  if (key[1] != v[1] && key[1] >= 0 && v[1] >= 0)
    throw_invalid_argument("All dimensions of `value` and `key`, except the last one, must be equal. Received: "
                           "value_shape={} and key_shape={}",
                           shape_str(v), shape_str(key));
  auto same_batch = [](std::int64_t a, std::int64_t b) { return a < 0 || b < 0 || a == b; };
  if (!same_batch(q[0], v[0]) || !same_batch(key[0], v[0]))
    throw_invalid_argument("layer '{}' (MultiHeadAttention): query, value and key must have the same batch size, "
                           "received query {}, value {}, key {}",
                           name(), shape_str(q), shape_str(v), shape_str(key));
  if (!query_shape_) return;
  auto same_last = [&](const Shape& got, const Shape& built, const char* which) {
    if (got[-1] != built[-1])
      throw_invalid_argument("Input `{}` of layer '{}' (MultiHeadAttention) is incompatible with the layer: expected "
                             "axis -1 of input shape to have value {}, but received input with shape {}",
                             which, name(), built[-1], shape_str(got));
  };
  same_last(q, *query_shape_, "query");
  same_last(v, *value_shape_, "value");
  same_last(key, *key_shape_, "key");
}

MultiHeadAttention::Projection MultiHeadAttention::add_projection(const std::string& name, const Shape& kernel_shape,
                                                                  std::int64_t input_axes) {
  Projection p;
  p.kernel = add_weight(name + "/kernel", kernel_shape,
                        with_fan_axes(options_.kernel_initializer, kernel_shape.ndim(), input_axes),
                        options_.kernel_regularizer, options_.kernel_constraint);
  if (options_.use_bias) {
    const auto& d = kernel_shape.dims();
    p.bias = add_weight(name + "/bias", Shape(d.begin() + input_axes, d.end()), options_.bias_initializer,
                        options_.bias_regularizer, options_.bias_constraint);
  }
  return p;
}

void MultiHeadAttention::build_for(const Shape& q, const Shape& v, const std::optional<Shape>& k) {
  std::lock_guard<std::mutex> lock(*build_mutex_);
  check_call_shapes(q, v, k);
  if (query_shape_) return;
  const Shape key = k ? *k : v;
  const std::int64_t n = options_.num_heads, kd = options_.key_dim, vd = *options_.value_dim;
  query_ = add_projection("query", {q[-1], n, kd}, 1);
  key_ = add_projection("key", {key[-1], n, kd}, 1);
  if (options_.use_gate) gate_ = add_projection("gate", {q[-1], n, vd}, 1);
  value_ = add_projection("value", {v[-1], n, vd}, 1);
  std::vector<std::int64_t> out{n, vd};
  const auto out_dims = options_.output_shape.value_or(std::vector<std::int64_t>{q[-1]});
  out.insert(out.end(), out_dims.begin(), out_dims.end());
  output_ = add_projection("attention_output", Shape(out.begin(), out.end()), 2);
  query_shape_ = q;
  value_shape_ = v;
  key_shape_ = key;
  built_input_shape_ = q;
  built_axes_ = true;
  mark_built();
}

Shape MultiHeadAttention::compute_output_shape_for(const std::vector<Shape>& s) const {
  if (s.size() != 2 && s.size() != 3)
    throw_invalid_argument("layer '{}' (MultiHeadAttention) takes [query, value] or [query, value, key], received {} "
                           "tensor(s)",
                           name(), s.size());
  check_call_shapes(s[0], s[1], s.size() == 3 ? std::optional<Shape>(s[2]) : std::nullopt);
  std::vector<std::int64_t> d{s[0][0], s[0][1]};
  const auto out = options_.output_shape.value_or(std::vector<std::int64_t>{s[0][-1]});
  d.insert(d.end(), out.begin(), out.end());
  return Shape(d.begin(), d.end());
}

Shape MultiHeadAttention::build_for_inputs(const std::vector<Shape>& s) {
  const Shape out = compute_output_shape_for(s);
  build_for(s[0], s[1], s.size() == 3 ? std::optional<Shape>(s[2]) : std::nullopt);
  return out;
}

nlohmann::json MultiHeadAttention::get_config() const {
  using nlohmann::json;
  json c = Layer::get_config();
  const auto& o = options_;
  c["num_heads"] = o.num_heads;
  c["key_dim"] = o.key_dim;
  c["value_dim"] = *o.value_dim;
  c["dropout"] = o.dropout;
  c["use_bias"] = o.use_bias;
  c["use_gate"] = o.use_gate;
  c["output_shape"] = o.output_shape ? json(*o.output_shape) : json(nullptr);
  // Keras resolves attention_axes when it builds: (1,) for (batch, seq, features) inputs.
  c["attention_axes"] = built_axes_ ? json::array({1}) : o.attention_axes ? json(*o.attention_axes) : json(nullptr);
  c["sliding_window"] = o.sliding_window ? json(*o.sliding_window) : json(nullptr);
  config::write_kernel_bias_args(c, o);
  c["seed"] = o.seed ? json(*o.seed) : json(nullptr);
  return c;
}

MultiHeadAttention MultiHeadAttention::from_config(const nlohmann::json& c) {
  MultiHeadAttentionOptions o;
  config::read_common(c, o);
  auto optional_int = [&](const char* key) {
    return c.contains(key) && !c[key].is_null() ? std::optional<std::int64_t>(json_int(c[key], key)) : std::nullopt;
  };
  // A list, a single int, or null (Keras accepts an int and stores a tuple).
  auto int_list = [&](const char* key) -> std::optional<std::vector<std::int64_t>> {
    if (!c.contains(key) || c[key].is_null()) return std::nullopt;
    if (!c[key].is_array()) return std::vector<std::int64_t>{json_int(c[key], key)};
    std::vector<std::int64_t> v;
    for (const auto& e : c[key]) v.push_back(json_int(e, key));
    return v;
  };
  o.num_heads = json_int(c.at("num_heads"), "num_heads");
  o.key_dim = json_int(c.at("key_dim"), "key_dim");
  o.value_dim = optional_int("value_dim");
  o.dropout = c.value("dropout", 0.0);
  o.use_bias = c.value("use_bias", true);
  o.use_gate = c.value("use_gate", false);
  o.output_shape = int_list("output_shape");
  o.attention_axes = int_list("attention_axes");
  o.sliding_window = optional_int("sliding_window");
  if (c.contains("flash_attention") && !c["flash_attention"].is_null()) o.flash_attention = c["flash_attention"].get<bool>();
  config::read_kernel_bias_args(c, o);
  if (c.contains("seed") && !c["seed"].is_null()) o.seed = json_uint(c["seed"], "seed");
  return MultiHeadAttention(o);
}

}  // namespace minidl::layers
