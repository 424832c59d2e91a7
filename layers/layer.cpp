#include "minidl/layers/layer.h"

#include <map>
#include <mutex>

#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"

namespace minidl::layers {

namespace {
std::mutex g_names_mutex;
std::map<std::string, int> g_name_counts;

// Keras users often declare integer inputs (labels, token ids): say what minidl does instead.
DType layer_dtype(const std::string& class_name, const std::string& name, const std::string& dtype) {
  if (dtype == "float32" || dtype == "float64") return parse_dtype(dtype);
  const bool integer = dtype.find("int") != std::string::npos || dtype == "bool";
  throw_invalid_argument("layer '{}' ({}): dtype must be 'float32' or 'float64', received dtype='{}'{}", name,
                         class_name, dtype,
                         integer ? "; minidl has no integer tensors: pass indices and labels (Embedding inputs, "
                                   "sparse labels) as float tensors holding whole numbers"
                                 : "");
}
}  // namespace

Tensor as_mask(const Tensor& mask, const Tensor& x, const Layer& layer) {
  if (!mask.defined()) return mask;
  bool prefix = mask.ndim() >= 1 && mask.ndim() <= x.ndim();
  for (std::int64_t i = 0; prefix && i < mask.ndim(); ++i) prefix = mask.shape()[i] == x.shape()[i];
  if (!prefix)
    throw_invalid_argument(
        "layer '{}' ({}): the mask must have the shape of the input's leading axes (such as (batch, timesteps) for "
        "an input of shape (batch, timesteps, features)); received a mask of shape {} for an input of shape {}",
        layer.name(), layer.class_name(), shape_str(mask.shape()), shape_str(x.shape()));
  // Keras casts masks to bool: any non-zero entry keeps its position.
  const Tensor m = mask.detach().to(x.dtype());
  return not_equal(m, Tensor::zeros(m.shape(), m.dtype()));
}

std::string snake_case(const std::string& class_name) {
  // Keras's to_snake_case, whose two regex passes are:
  //   (.)([A-Z][a-z]+) -> \1_\2   then   ([a-z])([A-Z]) -> \1_\2, then lowercase.
  // Conv2DTranspose -> conv2d_transpose, LeakyReLU -> leaky_re_lu, BatchNormalization -> batch_normalization.
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  std::string word;
  for (char c : class_name)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') word += c;
  std::string pass1;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (i > 0 && upper(word[i]) && i + 1 < word.size() && lower(word[i + 1])) pass1 += '_';
    pass1 += word[i];
  }
  std::string out;
  for (std::size_t i = 0; i < pass1.size(); ++i) {
    if (i > 0 && lower(pass1[i - 1]) && upper(pass1[i])) out += '_';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(pass1[i])));
  }
  return out;
}

std::string unique_name(const std::string& base) {
  std::lock_guard<std::mutex> lock(g_names_mutex);
  const int uid = ++g_name_counts[base];
  return uid == 1 ? base : fmt::format("{}_{}", base, uid - 1);
}

void clear_session() {
  std::lock_guard<std::mutex> lock(g_names_mutex);
  g_name_counts.clear();
}

nlohmann::json serialize_layer(const Layer& layer) {
  return {{"module", "keras.layers"}, {"class_name", layer.class_name()}, {"config", layer.get_config()},
          {"registered_name", nullptr}};
}

nlohmann::json dtype_config(DType dtype) {
  return {{"module", "keras"},
          {"class_name", "DTypePolicy"},
          {"config", {{"name", std::string(dtype_name(dtype))}}},
          {"registered_name", nullptr}};
}

std::string shape_str(const Shape& shape) {
  std::string s = "(";
  for (std::int64_t i = 0; i < shape.ndim(); ++i) {
    const auto d = shape.dims()[static_cast<std::size_t>(i)];
    s += (i ? ", " : "") + (d < 0 ? std::string("None") : std::to_string(d));
  }
  return s + (shape.ndim() == 1 ? ",)" : ")");
}

Layer::Layer(std::string class_name, const CommonOptions& common)
    : class_name_(std::move(class_name)),
      name_(common.name.empty() ? unique_name(snake_case(class_name_)) : common.name),
      dtype_(layer_dtype(class_name_, name_, common.dtype)),
      trainable_(common.trainable),
      declared_input_shape_(common.input_shape) {}

void Layer::set_trainable(bool trainable) {
  trainable_ = trainable;
  for (auto& v : variables_) {
    if (!v->declared_trainable) continue;
    v->trainable = trainable;
    v->value.set_requires_grad(trainable);
  }
}

void Layer::require_rank(const Shape& input_shape, std::int64_t rank) const {
  if (input_shape.ndim() != rank)
    throw_invalid_argument(
        "Input 0 of layer '{}' ({}) is incompatible with the layer: expected ndim={}, found ndim={}. Full shape "
        "received: {}",
        name_, class_name_, rank, input_shape.ndim(), shape_str(input_shape));
}

void Layer::check_input(const Shape&) const {}
void Layer::build_impl(const Shape&) {}

void Layer::build(const Shape& input_shape) {
  if (built_) return;
  check_input(input_shape);
  build_impl(input_shape);
  built_input_shape_ = input_shape;
  built_ = true;
}

Tensor Layer::operator()(const Tensor& input, bool training) { return call_with_mask(input, Tensor(), training).value; }

Tensor Layer::compute_mask(const Tensor&, const Tensor& previous_mask) const { return previous_mask; }

Masked Layer::call_masked(const Tensor& x, const Tensor& mask, bool training) {
  Tensor y = call(x, training);
  return {std::move(y), supports_masking_ ? compute_mask(x, mask) : Tensor()};
}

Masked Layer::call_with_mask(const Tensor& input, const Tensor& input_mask, bool training) {
  if (!input.defined())
    throw_invalid_argument("layer '{}' ({}) was called on an undefined tensor (a default-constructed Tensor)", name_,
                           class_name_);
  // Keras autocasts floating inputs to the layer's dtype.
  const Tensor x = input.dtype() == dtype_ ? input : input.to(dtype_);
  {
    std::lock_guard<std::mutex> lock(*state_mutex_);  // two threads' first calls build once
    check_input(x.shape());
    if (!built_) build(x.shape());
  }
  auto [y, out_mask] = call_masked(x, as_mask(input_mask, x, *this), training);
  record_activity_loss({y});
  return {std::move(y), std::move(out_mask)};
}

void Layer::record_activity_loss(const std::vector<Tensor>& outputs) {
  // Concurrent inference calls (predict from several threads) share the layer: only a layer with an
  // activity regularizer records anything, under a lock.
  if (!activity_regularizer_) return;
  Tensor total;
  for (const Tensor& y : outputs) {
    const double batch = y.ndim() > 0 ? static_cast<double>(y.shape()[0]) : 1.0;
    Tensor loss = activity_regularizer_(y) / (batch > 0 ? batch : 1.0);
    total = total.defined() ? total + loss : loss;
  }
  std::lock_guard<std::mutex> lock(*state_mutex_);
  activity_loss_ = std::move(total);
}

VariablePtr Layer::add_weight(const std::string& name, const Shape& shape, const initializers::Initializer& initializer,
                              const regularizers::Regularizer& regularizer, const constraints::Constraint& constraint,
                              bool trainable) {
  auto v = std::make_shared<Variable>();
  v->value = initializer(shape, dtype_).to(dtype_).detach();
  if (v->value.shape() != shape)
    throw_invalid_argument("layer '{}': the initializer of '{}' returned shape {} for requested shape {}", name_, name,
                           v->value.shape(), shape);
  v->name = name;
  v->path = weight_path(name);
  v->declared_trainable = trainable;
  v->trainable = trainable && trainable_;
  v->value.set_requires_grad(v->trainable);
  if (constraint) v->constraint = constraint.function();
  if (regularizer) v->regularizer = regularizer.function();
  variables_.push_back(v);
  return v;
}

void Layer::set_path_prefix(std::string prefix) {
  path_prefix_ = std::move(prefix);
  for (auto& v : variables_) v->path = weight_path(v->name);
}

std::string Layer::weight_path(const std::string& weight_name) const {
  const std::string scope = weight_scope();
  return path() + "/" + (scope.empty() ? "" : scope + "/") + weight_name;
}

std::vector<VariablePtr> Layer::weights() const { return variables_; }

std::vector<VariablePtr> Layer::trainable_weights() const {
  std::vector<VariablePtr> out;
  if (!trainable_) return out;
  for (auto& v : weights())
    if (v->trainable) out.push_back(v);
  return out;
}

std::vector<VariablePtr> Layer::non_trainable_weights() const {
  std::vector<VariablePtr> out;
  for (auto& v : weights())
    if (!trainable_ || !v->trainable) out.push_back(v);
  return out;
}

std::vector<Tensor> Layer::get_weights() const {
  std::vector<Tensor> out;
  for (auto& v : weights()) out.push_back(v->value.deep_copy());
  return out;
}

void Layer::set_weights(const std::vector<Tensor>& values) {
  const auto vars = weights();
  if (values.size() != vars.size())
    throw_invalid_argument(
        "set_weights on layer '{}' ({}): received {} weights but the layer has {}{}", name_, class_name_, values.size(),
        vars.size(), built_ ? "" : " (it is not built yet: call it once or build(input_shape) first)");
  for (std::size_t i = 0; i < vars.size(); ++i)
    if (values[i].shape() != vars[i]->value.shape())
      throw_invalid_argument("set_weights on layer '{}': weight {} ('{}') has shape {} but received shape {}", name_, i,
                             vars[i]->name, vars[i]->value.shape(), values[i].shape());
  for (std::size_t i = 0; i < vars.size(); ++i) vars[i]->assign(values[i]);
}

std::int64_t Layer::count_params() const {
  std::int64_t n = 0;
  for (auto& v : weights()) n += v->value.numel();
  return n;
}

std::vector<Tensor> Layer::losses() const {
  std::vector<Tensor> out;
  for (auto& v : trainable_weights())
    if (v->regularizer) out.push_back(v->regularizer(v->value));
  std::lock_guard<std::mutex> lock(*state_mutex_);
  if (activity_loss_.defined()) out.push_back(activity_loss_);
  return out;
}

nlohmann::json Layer::get_config() const {
  return {{"name", name_}, {"trainable", trainable_}, {"dtype", dtype_config(dtype_)}};
}

}  // namespace minidl::layers
