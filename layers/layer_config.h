#pragma once
// Reading Keras-style get_config() JSON back into option structs (used by from_config and by
// model loading). Missing keys keep the option's default.
#include <nlohmann/json.hpp>

#include "minidl/core/error.h"
#include "minidl/core/json_number.h"
#include "minidl/layers/activation_arg.h"
#include "minidl/layers/constraints.h"
#include "minidl/layers/initializers.h"
#include "minidl/layers/options.h"
#include "minidl/layers/regularizers.h"

namespace minidl::layers::config {

inline IntPair int_pair(const nlohmann::json& j) {
  if (j.is_number()) return IntPair(json_int(j, "config"));
  if (j.is_array() && j.size() == 2) return IntPair(json_int(j[0], "config"), json_int(j[1], "config"));
  throw_invalid_argument("config: expected an integer or a pair of integers, received {}", j.dump());
}

// A 1-D layer's int argument: Keras writes it as a 1-element list ([3]); a bare int is taken too.
inline std::int64_t int_single(const nlohmann::json& j, const char* name) {
  if (j.is_number()) return json_int(j, name);
  if (j.is_array() && j.size() == 1) return json_int(j[0], name);
  throw_invalid_argument("config: the `{}` argument must be an integer or a tuple of 1 integers, received {}", name,
                         j.dump());
}
inline void read_int_arg(const nlohmann::json& j, const char*, IntPair& out) { out = int_pair(j); }
inline void read_int_arg(const nlohmann::json& j, const char* name, std::int64_t& out) { out = int_single(j, name); }

inline std::string dtype_name_of(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("config")) return j["config"].value("name", "float32");
  return "float32";
}

// Keras InputLayer flags minidl has no tensors for (sparse, ragged) or no calls for (optional: an
// input that may be None) are refused rather than loaded as something else.
inline void check_input_flags(const nlohmann::json& c) {
  for (const char* key : {"sparse", "ragged", "optional"})
    if (c.contains(key) && c[key].is_boolean() && c[key].get<bool>())
      throw_invalid_argument("InputLayer '{}': {}=true is not supported by minidl, received {}", c.value("name", std::string()),
                             key, c.dump().substr(0, 200));
}

// An InputLayer's dtype in a Keras file. Integer and bool inputs (Keras users declare token ids and
// labels as Input(dtype="int32")) load as float32, which is how minidl holds them (whole numbers
// in float tensors); refusing them would refuse most Keras models with an Embedding.
inline std::string input_dtype_name_of(const nlohmann::json& j) {
  const std::string d = dtype_name_of(j);
  return d.find("int") != std::string::npos || d == "bool" ? "float32" : d;
}

template <class Options>
void read_common(const nlohmann::json& c, Options& o) {
  o.name = c.value("name", std::string());
  o.trainable = c.value("trainable", true);
  if (c.contains("dtype")) o.dtype = dtype_name_of(c["dtype"]);
}

// The initializers, regularizers and constraints of a kernel and a bias (no activation, no use_bias).
template <class Options>
void read_kernel_bias_args(const nlohmann::json& c, Options& o) {
  if (c.contains("kernel_initializer")) o.kernel_initializer = initializers::Initializer::from_config(c["kernel_initializer"]);
  if (c.contains("bias_initializer")) o.bias_initializer = initializers::Initializer::from_config(c["bias_initializer"]);
  if (c.contains("kernel_regularizer")) o.kernel_regularizer = regularizers::Regularizer::from_config(c["kernel_regularizer"]);
  if (c.contains("bias_regularizer")) o.bias_regularizer = regularizers::Regularizer::from_config(c["bias_regularizer"]);
  if (c.contains("activity_regularizer"))
    o.activity_regularizer = regularizers::Regularizer::from_config(c["activity_regularizer"]);
  if (c.contains("kernel_constraint")) o.kernel_constraint = constraints::Constraint::from_config(c["kernel_constraint"]);
  if (c.contains("bias_constraint")) o.bias_constraint = constraints::Constraint::from_config(c["bias_constraint"]);
}

template <class Options>
void write_kernel_bias_args(nlohmann::json& c, const Options& o) {
  c["kernel_initializer"] = o.kernel_initializer.serialize();
  c["bias_initializer"] = o.bias_initializer.serialize();
  c["kernel_regularizer"] = o.kernel_regularizer.serialize();
  c["bias_regularizer"] = o.bias_regularizer.serialize();
  c["activity_regularizer"] = o.activity_regularizer.serialize();
  c["kernel_constraint"] = o.kernel_constraint.serialize();
  c["bias_constraint"] = o.bias_constraint.serialize();
}

// The fields Dense, Conv2D and Conv2DTranspose share.
template <class Options>
void read_weight_args(const nlohmann::json& c, Options& o) {
  read_common(c, o);
  if (c.contains("activation")) o.activation = ActivationArg::from_config(c["activation"]);
  o.use_bias = c.value("use_bias", true);
  read_kernel_bias_args(c, o);
}

// Writes the same fields in Keras's get_config() form.
template <class Options>
void write_weight_args(nlohmann::json& c, const Options& o) {
  c["activation"] = o.activation.config_value();
  c["use_bias"] = o.use_bias;
  write_kernel_bias_args(c, o);
}

template <class Options>
void read_conv_args(const nlohmann::json& c, Options& o) {
  read_weight_args(c, o);
  o.filters = json_int(c.at("filters"), "filters");
  read_int_arg(c.at("kernel_size"), "kernel_size", o.kernel_size);
  if (c.contains("strides")) read_int_arg(c["strides"], "strides", o.strides);
  o.padding = c.value("padding", std::string("valid"));
  o.data_format = c.value("data_format", std::string("channels_last"));
  if (c.contains("dilation_rate")) read_int_arg(c["dilation_rate"], "dilation_rate", o.dilation_rate);
  if constexpr (requires { o.groups; }) o.groups = json_int_or(c, "groups", 1);  // the forward convolutions
}

// The fields BatchNormalization, LayerNormalization and GroupNormalization share: epsilon, center,
// scale and gamma's and beta's initializers, regularizers and constraints.
template <class Options>
void read_gamma_beta_args(const nlohmann::json& c, Options& o) {
  o.epsilon = c.value("epsilon", o.epsilon);
  o.center = c.value("center", o.center);
  o.scale = c.value("scale", o.scale);
  if (c.contains("beta_initializer") && !c["beta_initializer"].is_null())
    o.beta_initializer = initializers::Initializer::from_config(c["beta_initializer"]);
  if (c.contains("gamma_initializer") && !c["gamma_initializer"].is_null())
    o.gamma_initializer = initializers::Initializer::from_config(c["gamma_initializer"]);
  if (c.contains("beta_regularizer")) o.beta_regularizer = regularizers::Regularizer::from_config(c["beta_regularizer"]);
  if (c.contains("gamma_regularizer")) o.gamma_regularizer = regularizers::Regularizer::from_config(c["gamma_regularizer"]);
  if (c.contains("beta_constraint")) o.beta_constraint = constraints::Constraint::from_config(c["beta_constraint"]);
  if (c.contains("gamma_constraint")) o.gamma_constraint = constraints::Constraint::from_config(c["gamma_constraint"]);
}

template <class Options>
void write_gamma_beta_args(nlohmann::json& c, const Options& o) {
  c["epsilon"] = o.epsilon;
  c["center"] = o.center;
  c["scale"] = o.scale;
  c["beta_initializer"] = o.beta_initializer.serialize();
  c["gamma_initializer"] = o.gamma_initializer.serialize();
  c["beta_regularizer"] = o.beta_regularizer.serialize();
  c["gamma_regularizer"] = o.gamma_regularizer.serialize();
  c["beta_constraint"] = o.beta_constraint.serialize();
  c["gamma_constraint"] = o.gamma_constraint.serialize();
}

}  // namespace minidl::layers::config
