#pragma once
// Internal to layers/ and optim::load_model (not part of the public API, not in minidl.h).
// A config cannot hold a custom initializer callable, so Initializer::from_config gives it back as
// a stand-in. While a WeightsFromFileScope is alive on this thread (load_model, which overwrites
// every weight from the file right after building) the stand-in makes zeros; anywhere else calling
// it throws, saying why.
namespace minidl::initializers {

class WeightsFromFileScope {
 public:
  WeightsFromFileScope();
  ~WeightsFromFileScope();
  WeightsFromFileScope(const WeightsFromFileScope&) = delete;
  WeightsFromFileScope& operator=(const WeightsFromFileScope&) = delete;
  static bool active();
};

}  // namespace minidl::initializers
