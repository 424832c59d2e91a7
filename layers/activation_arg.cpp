#include "minidl/layers/activation_arg.h"

#include "minidl/core/error.h"
#include "minidl/core/json_number.h"

namespace minidl::layers {

namespace A = minidl::activations;

namespace {
// The name Keras's activations.serialize writes: the function's own name, which for the aliases
// "swish" and "hard_swish" is "silu" and "hard_silu".
std::string keras_name(std::string_view identifier) {
  if (identifier.empty()) return "linear";
  if (identifier == "swish") return "silu";
  if (identifier == "hard_swish") return "hard_silu";
  return std::string(identifier);
}
}  // namespace

ActivationArg::ActivationArg(std::string_view identifier)
    : KerasObject("keras.activations", keras_name(identifier), nlohmann::json::object(),
                  A::get(keras_name(identifier))) {}

ActivationArg::ActivationArg(const A::ReLU& a)
    : KerasObject("keras.activations", "relu",
                  {{"negative_slope", a.negative_slope},
                   {"max_value", a.max_value ? nlohmann::json(*a.max_value) : nlohmann::json(nullptr)},
                   {"threshold", a.threshold}},
                  [a](const Tensor& x) { return A::relu(x, a.negative_slope, a.max_value, a.threshold); }) {}
ActivationArg::ActivationArg(const A::LeakyReLU& a)
    : KerasObject("keras.activations", "leaky_relu", {{"negative_slope", a.negative_slope}},
                  [a](const Tensor& x) { return A::leaky_relu(x, a.negative_slope); }) {}
ActivationArg::ActivationArg(const A::ELU& a)
    : KerasObject("keras.activations", "elu", {{"alpha", a.alpha}}, [a](const Tensor& x) { return A::elu(x, a.alpha); }) {}
ActivationArg::ActivationArg(const A::CELU& a)
    : KerasObject("keras.activations", "celu", {{"alpha", a.alpha}},
                  [a](const Tensor& x) { return A::celu(x, a.alpha); }) {}
ActivationArg::ActivationArg(const A::GELU& a)
    : KerasObject("keras.activations", "gelu", {{"approximate", a.approximate}},
                  [a](const Tensor& x) { return A::gelu(x, a.approximate); }) {}
ActivationArg::ActivationArg(const A::Softmax& a)
    : KerasObject("keras.activations", "softmax", {{"axis", a.axis}},
                  [a](const Tensor& x) { return A::softmax(x, a.axis); }) {}
ActivationArg::ActivationArg(const A::LogSoftmax& a)
    : KerasObject("keras.activations", "log_softmax", {{"axis", a.axis}},
                  [a](const Tensor& x) { return A::log_softmax(x, a.axis); }) {}

nlohmann::json ActivationArg::config_value() const {
  if (config().empty()) return class_name();
  return {{"module", "keras.activations"}, {"class_name", class_name()}, {"config", config()}, {"registered_name", nullptr}};
}

ActivationArg ActivationArg::from_config(const nlohmann::json& j) {
  if (j.is_null()) return ActivationArg("linear");
  if (j.is_string()) return ActivationArg(j.get<std::string>());
  if (!j.is_object() || !j.contains("class_name"))
    throw_invalid_argument("activation: cannot interpret the config {}", j.dump());
  const std::string name = j["class_name"];
  const nlohmann::json c = j.value("config", nlohmann::json::object());
  if (name == "relu") {
    A::ReLU a;
    a.negative_slope = c.value("negative_slope", 0.0);
    if (c.contains("max_value") && !c["max_value"].is_null()) a.max_value = c["max_value"].get<double>();
    a.threshold = c.value("threshold", 0.0);
    return a;
  }
  if (name == "leaky_relu") return A::LeakyReLU{c.value("negative_slope", 0.2)};
  if (name == "elu") return A::ELU{c.value("alpha", 1.0)};
  if (name == "celu") return A::CELU{c.value("alpha", 1.0)};
  if (name == "gelu") return A::GELU{c.value("approximate", false)};
  if (name == "softmax") return A::Softmax{json_int_or(c, "axis", -1)};
  if (name == "log_softmax") return A::LogSoftmax{json_int_or(c, "axis", -1)};
  if (name == "custom")
    throw_invalid_argument("activation: a custom (user callable) activation cannot be rebuilt from a config; pass the "
                           "callable again");
  return ActivationArg(name);
}

}  // namespace minidl::layers
