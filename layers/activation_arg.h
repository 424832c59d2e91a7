#pragma once
// The `activation` argument of layers: a Keras identifier ("relu", "swish", ...; "" or "linear" for
// none), a typed object with parameters (activations::ReLU{.max_value = 6}), or any callable
// Tensor(const Tensor&).
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "minidl/autograd/ops/activations.h"
#include "minidl/layers/keras_object.h"

namespace minidl::activations {

// Parameterised activations as objects (Keras's functions with their keyword arguments).
struct ReLU { double negative_slope = 0.0; std::optional<double> max_value; double threshold = 0.0; };
struct LeakyReLU { double negative_slope = 0.2; };
struct ELU { double alpha = 1.0; };
struct CELU { double alpha = 1.0; };
struct GELU { bool approximate = false; };
struct Softmax { std::int64_t axis = -1; };
struct LogSoftmax { std::int64_t axis = -1; };

}  // namespace minidl::activations

namespace minidl::layers {

class ActivationArg : public KerasObject<Tensor(const Tensor&)> {
 public:
  ActivationArg() : ActivationArg(std::string_view("linear")) {}
  ActivationArg(std::string_view identifier);
  ActivationArg(const char* identifier) : ActivationArg(std::string_view(identifier)) {}
  ActivationArg(const std::string& identifier) : ActivationArg(std::string_view(identifier)) {}
  ActivationArg(std::nullptr_t) : ActivationArg(std::string_view("linear")) {}
  ActivationArg(const activations::ReLU& a);
  ActivationArg(const activations::LeakyReLU& a);
  ActivationArg(const activations::ELU& a);
  ActivationArg(const activations::CELU& a);
  ActivationArg(const activations::GELU& a);
  ActivationArg(const activations::Softmax& a);
  ActivationArg(const activations::LogSoftmax& a);
  template <class F>
    requires(std::is_invocable_r_v<Tensor, const F&, const Tensor&> && !std::is_convertible_v<F, std::string_view> &&
             !std::is_same_v<std::remove_cvref_t<F>, ActivationArg>)
  ActivationArg(F fn) : KerasObject("custom", "custom", nlohmann::json::object(), std::move(fn)) {}

  bool is_linear() const { return class_name() == "linear"; }
  // Keras's get_config value: the plain name for built-ins, the serialized object otherwise.
  nlohmann::json config_value() const;
  static ActivationArg from_config(const nlohmann::json& j);
};

}  // namespace minidl::layers
