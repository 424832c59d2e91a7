#include "minidl/optim/layer_registry.h"

#include <map>
#include <mutex>

#include "minidl/core/error.h"
#include "minidl/layers/activation_layers.h"
#include "minidl/layers/batch_normalization.h"
#include "minidl/layers/conv2d.h"
#include "minidl/layers/conv2d_transpose.h"
#include "minidl/layers/conv1d.h"
#include "minidl/layers/conv1d_transpose.h"
#include "minidl/layers/cropping2d.h"
#include "minidl/layers/depthwise_conv2d.h"
#include "minidl/layers/permute.h"
#include "minidl/layers/dense.h"
#include "minidl/layers/dropout.h"
#include "minidl/layers/embedding.h"
#include "minidl/layers/global_pooling2d.h"
#include "minidl/layers/group_normalization.h"
#include "minidl/layers/input_layer.h"
#include "minidl/layers/layer_config.h"
#include "minidl/layers/layer_normalization.h"
#include "minidl/layers/merge.h"
#include "minidl/layers/dot.h"
#include "minidl/layers/multi_head_attention.h"
#include "minidl/layers/normalization.h"
#include "minidl/layers/op_layer.h"
#include "minidl/layers/pooling2d.h"
#include "minidl/layers/rescaling.h"
#include "minidl/layers/resizing.h"
#include "minidl/layers/reshaping.h"
#include "minidl/layers/separable_conv2d.h"
#include "minidl/layers/sequential.h"
#include "minidl/layers/upsampling2d.h"
#include "minidl/layers/simple_rnn.h"
#include "minidl/layers/lstm.h"
#include "minidl/layers/masking.h"
#include "minidl/layers/gru.h"
#include "minidl/layers/bidirectional.h"
#include "minidl/layers/time_distributed.h"
#include "minidl/layers/noise_layers.h"
#include "minidl/layers/pooling1d.h"
#include "minidl/layers/prelu.h"
#include "minidl/layers/reshaping1d.h"

namespace minidl::optim {

namespace {

using nlohmann::json;
namespace cfg = layers::config;

template <class L>
std::shared_ptr<layers::Layer> share(L&& layer) {
  return std::make_shared<std::remove_cvref_t<L>>(std::move(layer));
}

// A list of ints where JSON null means unknown (-1), as Keras writes None.
std::vector<std::int64_t> dims_of(const json& j) {
  std::vector<std::int64_t> d;
  for (const auto& v : j) d.push_back(v.is_null() ? -1 : json_int(v, "shape"));
  return d;
}

std::shared_ptr<layers::Layer> sequential(const json& c) {
  layers::SequentialOptions o;
  cfg::read_common(c, o);
  std::vector<std::shared_ptr<layers::Layer>> stack;
  for (const auto& entry : c.value("layers", json::array())) {
    if (entry.value("class_name", std::string()) == "InputLayer") {
      const json& ic = entry.at("config");
      cfg::check_input_flags(ic);
      const json shape = ic.contains("batch_shape") ? ic["batch_shape"] : ic.at("batch_input_shape");
      auto d = dims_of(shape);
      if (d.empty()) throw_invalid_argument("InputLayer: batch_shape is empty");
      d.erase(d.begin());
      o.input_shape = Shape(d.begin(), d.end());
      continue;
    }
    stack.push_back(layer_from_config(entry));
  }
  auto model = std::make_shared<layers::Sequential>(o);
  for (auto& l : stack) model->add(std::move(l));
  return model;
}

std::shared_ptr<layers::Layer> batch_normalization(const json& c) {
  layers::BatchNormalizationOptions o;
  cfg::read_common(c, o);
  if (c.contains("axis")) {  // Keras writes an int (or a one-element list in older files)
    const json& a = c["axis"];
    if (a.is_array() && a.size() != 1)
      throw_invalid_argument("BatchNormalization: only one axis is supported, received axis={}", a.dump());
    o.axis = json_int(a.is_array() ? a[0] : a, "axis");
  }
  o.momentum = c.value("momentum", o.momentum);
  cfg::read_gamma_beta_args(c, o);
  for (auto [key, target] : {std::pair{"moving_mean_initializer", &o.moving_mean_initializer},
                             std::pair{"moving_variance_initializer", &o.moving_variance_initializer}})
    if (c.contains(key) && !c[key].is_null()) *target = initializers::Initializer::from_config(c[key]);
  return share(layers::BatchNormalization(o));
}

std::shared_ptr<layers::Layer> dropout(const json& c) {
  layers::DropoutOptions o;
  cfg::read_common(c, o);
  o.rate = c.at("rate").get<double>();
  if (c.contains("seed") && !c["seed"].is_null()) o.seed = json_uint(c["seed"], "seed");
  if (c.contains("noise_shape") && !c["noise_shape"].is_null()) {
    const auto d = dims_of(c["noise_shape"]);
    o.noise_shape = Shape(d.begin(), d.end());
  }
  return share(layers::Dropout(o));
}

template <class Pool>
std::shared_ptr<layers::Layer> pooling(const json& c) {
  layers::Pooling2DOptions o;
  cfg::read_common(c, o);
  if (c.contains("pool_size")) o.pool_size = cfg::int_pair(c["pool_size"]);
  if (c.contains("strides") && !c["strides"].is_null()) o.strides = cfg::int_pair(c["strides"]);
  o.padding = c.value("padding", o.padding);
  o.data_format = c.value("data_format", o.data_format);
  return share(Pool(o));
}

template <class Pool>
std::shared_ptr<layers::Layer> global_pooling(const json& c) {
  layers::GlobalPooling2DOptions o;
  cfg::read_common(c, o);
  if (c.contains("data_format") && !c["data_format"].is_null()) o.data_format = c["data_format"].get<std::string>();
  o.keepdims = c.value("keepdims", o.keepdims);
  return share(Pool(o));
}

std::shared_ptr<layers::Layer> flatten(const json& c) {
  layers::FlattenOptions o;
  cfg::read_common(c, o);
  if (c.contains("data_format") && !c["data_format"].is_null()) o.data_format = c["data_format"].get<std::string>();
  return share(layers::Flatten(o));
}

std::shared_ptr<layers::Layer> reshape(const json& c) {
  layers::ReshapeOptions o;
  cfg::read_common(c, o);
  o.target_shape = dims_of(c.at("target_shape"));
  return share(layers::Reshape(o));
}

std::shared_ptr<layers::Layer> zero_padding(const json& c) {
  layers::ZeroPadding2DOptions o;
  cfg::read_common(c, o);
  if (c.contains("padding")) {
    const json& p = c["padding"];
    // Keras accepts an int, a pair (symmetric rows, columns) or ((top, bottom), (left, right)).
    if (p.is_number()) o.padding = {layers::IntPair(json_int(p, "padding")), layers::IntPair(json_int(p, "padding"))};
    else if (p.is_array() && p.size() == 2 && p[0].is_number())
      o.padding = {layers::IntPair(json_int(p[0], "padding")), layers::IntPair(json_int(p[1], "padding"))};
    else if (p.is_array() && p.size() == 2) o.padding = {cfg::int_pair(p[0]), cfg::int_pair(p[1])};
    else throw_invalid_argument("ZeroPadding2D: cannot read padding {}", p.dump());
  }
  o.data_format = c.value("data_format", o.data_format);
  return share(layers::ZeroPadding2D(o));
}

std::shared_ptr<layers::Layer> cropping(const json& c) {
  layers::Cropping2DOptions o;
  cfg::read_common(c, o);
  if (c.contains("cropping")) o.cropping = layers::Cropping2DArg::from_config(c["cropping"]);
  if (c.contains("data_format") && !c["data_format"].is_null()) o.data_format = c["data_format"].get<std::string>();
  return share(layers::Cropping2D(o));
}

std::shared_ptr<layers::Layer> upsampling(const json& c) {
  layers::UpSampling2DOptions o;
  cfg::read_common(c, o);
  if (c.contains("size")) o.size = cfg::int_pair(c["size"]);
  o.data_format = c.value("data_format", o.data_format);
  o.interpolation = c.value("interpolation", o.interpolation);
  return share(layers::UpSampling2D(o));
}

std::shared_ptr<layers::Layer> activation(const json& c) {
  layers::ActivationOptions o;
  cfg::read_common(c, o);
  o.activation = layers::ActivationArg::from_config(c.at("activation"));
  return share(layers::Activation(o));
}

std::shared_ptr<layers::Layer> leaky_relu(const json& c) {
  layers::LeakyReLUOptions o;
  cfg::read_common(c, o);
  o.negative_slope = c.value("negative_slope", c.value("alpha", o.negative_slope));
  return share(layers::LeakyReLU(o));
}

std::shared_ptr<layers::Layer> input_layer(const json& c) {
  cfg::check_input_flags(c);
  const json& shape = c.contains("batch_shape") ? c["batch_shape"] : c.at("batch_input_shape");
  const auto d = dims_of(shape);
  return std::make_shared<layers::InputLayer>(layers::InputOptions{
      .dtype = cfg::input_dtype_name_of(c.value("dtype", json("float32"))), .batch_shape = Shape(d.begin(), d.end()),
      .name = c.value("name", std::string())});
}

template <class M>
std::shared_ptr<layers::Layer> merge(const json& c) {
  layers::MergeOptions o;
  cfg::read_common(c, o);
  return share(M(o));
}

// The wrapped layers are whole serialized layers ({"class_name": "LSTM", "config": {...}}), so any
// registered RNN class (a user's too) can be wrapped.
std::shared_ptr<layers::RNNBase> wrapped_rnn(const json& serialized, const char* key) {
  auto layer = std::dynamic_pointer_cast<layers::RNNBase>(layer_from_config(serialized));
  if (!layer)
    throw_invalid_argument("Bidirectional: `{}` must be a recurrent layer (SimpleRNN, LSTM, GRU), received class '{}'",
                           key, serialized.value("class_name", std::string("?")));
  return layer;
}

std::shared_ptr<layers::Layer> bidirectional(const json& c) {
  const auto forward = wrapped_rnn(c.at("layer"), "layer");
  const bool backward = c.contains("backward_layer") && !c["backward_layer"].is_null();
  return share(layers::Bidirectional::from_config(c, *forward, backward ? wrapped_rnn(c["backward_layer"], "backward_layer") : nullptr));
}

std::shared_ptr<layers::Layer> concatenate(const json& c) {
  layers::ConcatenateOptions o;
  cfg::read_common(c, o);
  if (c.contains("axis")) o.axis = json_int(c["axis"], "axis");
  return share(layers::Concatenate(o));
}

struct Registry {
  std::mutex mutex;
  std::map<std::string, LayerFactory> factories{
      {"Sequential", sequential},
      {"Dense", [](const json& c) { return share(layers::Dense::from_config(c)); }},
      {"Conv2D", [](const json& c) { return share(layers::Conv2D::from_config(c)); }},
      {"Conv2DTranspose", [](const json& c) { return share(layers::Conv2DTranspose::from_config(c)); }},
      {"Conv1D", [](const json& c) { return share(layers::Conv1D::from_config(c)); }},
      {"Conv1DTranspose", [](const json& c) { return share(layers::Conv1DTranspose::from_config(c)); }},
      {"DepthwiseConv2D", [](const json& c) { return share(layers::DepthwiseConv2D::from_config(c)); }},
      {"SeparableConv2D", [](const json& c) { return share(layers::SeparableConv2D::from_config(c)); }},
      {"BatchNormalization", batch_normalization},
      {"LayerNormalization", [](const json& c) { return share(layers::LayerNormalization::from_config(c)); }},
      {"MultiHeadAttention", [](const json& c) { return share(layers::MultiHeadAttention::from_config(c)); }},
      {"GroupNormalization", [](const json& c) { return share(layers::GroupNormalization::from_config(c)); }},
      {"Embedding", [](const json& c) { return share(layers::Embedding::from_config(c)); }},
      {"Dropout", dropout},
      {"MaxPooling2D", pooling<layers::MaxPooling2D>},
      {"AveragePooling2D", pooling<layers::AveragePooling2D>},
      {"GlobalMaxPooling2D", global_pooling<layers::GlobalMaxPooling2D>},
      {"GlobalAveragePooling2D", global_pooling<layers::GlobalAveragePooling2D>},
      {"Flatten", flatten},
      {"Reshape", reshape},
      {"ZeroPadding2D", zero_padding},
      {"Cropping2D", cropping},
      {"Permute", [](const json& c) { return share(layers::Permute::from_config(c)); }},
      {"UpSampling2D", upsampling},
      {"Activation", activation},
      {"LeakyReLU", leaky_relu},
      {"Rescaling", [](const json& c) { return share(layers::Rescaling::from_config(c)); }},
      {"Resizing", [](const json& c) { return share(layers::Resizing::from_config(c)); }},
      {"Normalization", [](const json& c) { return share(layers::Normalization::from_config(c)); }},
      {"Functional", functional_from_config},
      {"InputLayer", input_layer},
      {"Add", merge<layers::Add>},
      {"Subtract", merge<layers::Subtract>},
      {"Multiply", merge<layers::Multiply>},
      {"Average", merge<layers::Average>},
      {"Maximum", merge<layers::Maximum>},
      {"Minimum", merge<layers::Minimum>},
      {"Concatenate", concatenate},
      {"Dot", [](const json& c) { return share(layers::Dot::from_config(c)); }},
      {"SimpleRNN", [](const json& c) { return share(layers::SimpleRNN::from_config(c)); }},
      {"LSTM", [](const json& c) { return share(layers::LSTM::from_config(c)); }},
      {"GRU", [](const json& c) { return share(layers::GRU::from_config(c)); }},
      {"Bidirectional", bidirectional},
      {"TimeDistributed",
       [](const json& c) { return share(layers::TimeDistributed::from_config(c, layer_from_config(c.at("layer")))); }},
      {"Masking", [](const json& c) { return share(layers::Masking::from_config(c)); }},
      {"MaxPooling1D", [](const json& c) { return share(layers::MaxPooling1D::from_config(c)); }},
      {"AveragePooling1D", [](const json& c) { return share(layers::AveragePooling1D::from_config(c)); }},
      {"GlobalMaxPooling1D", global_pooling<layers::GlobalMaxPooling1D>},
      {"GlobalAveragePooling1D", global_pooling<layers::GlobalAveragePooling1D>},
      {"UpSampling1D", [](const json& c) { return share(layers::UpSampling1D::from_config(c)); }},
      {"ZeroPadding1D", [](const json& c) { return share(layers::ZeroPadding1D::from_config(c)); }},
      {"Cropping1D", [](const json& c) { return share(layers::Cropping1D::from_config(c)); }},
      {"RepeatVector", [](const json& c) { return share(layers::RepeatVector::from_config(c)); }},
      {"SpatialDropout1D", [](const json& c) { return share(layers::SpatialDropout1D::from_config(c)); }},
      {"SpatialDropout2D", [](const json& c) { return share(layers::SpatialDropout2D::from_config(c)); }},
      {"GaussianNoise", [](const json& c) { return share(layers::GaussianNoise::from_config(c)); }},
      {"GaussianDropout", [](const json& c) { return share(layers::GaussianDropout::from_config(c)); }},
      {"ReLU", [](const json& c) { return share(layers::ReLU::from_config(c)); }},
      {"ELU", [](const json& c) { return share(layers::ELU::from_config(c)); }},
      {"Softmax", [](const json& c) { return share(layers::Softmax::from_config(c)); }},
      {"PReLU", [](const json& c) { return share(layers::PReLU::from_config(c)); }},
      {"Identity", [](const json& c) { return share(layers::Identity::from_config(c)); }},
  };
};

Registry& registry() {
  static Registry r;
  return r;
}

// The live CustomObjectScopes of this thread, innermost last.
thread_local std::vector<const std::map<std::string, LayerFactory>*> scopes;

LayerFactory scoped_factory(const std::string& class_name) {
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it)
    if (auto f = (*it)->find(class_name); f != (*it)->end()) return f->second;
  return {};
}

}  // namespace

void register_layer(const std::string& class_name, LayerFactory factory) {
  if (class_name.empty() || !factory) throw_invalid_argument("register_layer: needs a class name and a factory");
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.factories[class_name] = std::move(factory);
}

std::vector<std::string> registered_layers() {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> out;
  for (const auto& [k, v] : r.factories) out.push_back(k);
  return out;
}

CustomObjectScope::CustomObjectScope(std::map<std::string, LayerFactory> factories) : factories_(std::move(factories)) {
  for (const auto& [name, factory] : factories_)
    if (name.empty() || !factory)
      throw_invalid_argument("CustomObjectScope: needs class names and factories, received an empty {} for '{}'",
                             name.empty() ? "name" : "factory", name);
  scopes.push_back(&factories_);
}

CustomObjectScope::~CustomObjectScope() {
  // Scopes are objects with automatic lifetime, so the innermost one ends first.
  if (!scopes.empty() && scopes.back() == &factories_) scopes.pop_back();
}

std::shared_ptr<layers::Layer> layer_from_config(const nlohmann::json& serialized) {
  if (!serialized.is_object() || !serialized.contains("class_name") || !serialized["class_name"].is_string())
    throw_invalid_argument("layer_from_config: expected {{\"class_name\": ..., \"config\": {{...}}}}, received {}",
                           serialized.dump().substr(0, 200));
  const std::string cls = serialized["class_name"].get<std::string>();
  if (layers::is_keras_operation(serialized))  // its numbers are in the model's inbound node
    throw_invalid_argument("layer_from_config: '{}' ({}) is a Keras operation, a node of a functional model, not a "
                           "layer: load the model's config",
                           cls, serialized["module"].get<std::string>());
  LayerFactory factory = scoped_factory(cls);
  if (!factory) {
    auto& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.factories.find(cls);
    if (it == r.factories.end()) {
      std::string known;
      for (const auto& [k, v] : r.factories) known += (known.empty() ? "" : ", ") + k;
      throw_invalid_argument(
          "layer_from_config: unknown layer class '{}' (known: {}; add others with register_layer or a "
          "CustomObjectScope)",
          cls, known);
    }
    factory = it->second;
  }
  const json config = serialized.value("config", json::object());
  try {
    return factory(config);
  } catch (const json::exception& e) {
    throw_invalid_argument("layer_from_config: malformed config for layer class '{}': {}", cls, e.what());
  }
}

}  // namespace minidl::optim
