#pragma once
// A Keras-style configurable callable (initializer, regularizer, constraint, activation): a class
// name, its config, and the function itself. Serialises to Keras's
// {"module", "class_name", "config", "registered_name"} form so get_config() reads like Keras's.
#include <functional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace minidl {

template <class Signature>
class KerasObject {
 public:
  using Function = std::function<Signature>;

  KerasObject() = default;
  KerasObject(std::string module, std::string class_name, nlohmann::json config, Function fn)
      : module_(std::move(module)), class_name_(std::move(class_name)), config_(std::move(config)), fn_(std::move(fn)) {}

  bool empty() const { return !fn_; }
  explicit operator bool() const { return static_cast<bool>(fn_); }
  template <class... Args>
  decltype(auto) operator()(Args&&... args) const {
    return fn_(std::forward<Args>(args)...);
  }
  const Function& function() const { return fn_; }
  const std::string& class_name() const { return class_name_; }
  const nlohmann::json& config() const { return config_; }
  // Keras's serialize(): null when empty.
  nlohmann::json serialize() const {
    if (empty()) return nullptr;
    return {{"module", module_}, {"class_name", class_name_}, {"config", config_}, {"registered_name", nullptr}};
  }

 private:
  std::string module_, class_name_;
  nlohmann::json config_ = nlohmann::json::object();
  Function fn_;
};

}  // namespace minidl
