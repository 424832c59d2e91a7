#pragma once
// A layer's own random generator, for masks (Dropout, the recurrent layers' dropout): seeded from the
// layer's `seed` or else from minidl::default_generator(), drawn from under a lock (concurrent training
// calls share the layer), and saved under the layer's path so a checkpoint resumes the same masks.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "minidl/core/random.h"

namespace minidl::layers {

class LayerGenerator {
 public:
  explicit LayerGenerator(std::optional<std::uint64_t> seed)
      : generator_(seed ? *seed : default_generator().next_u64()) {}

  // Runs f(generator) under the lock and returns what it returns.
  template <class F>
  auto draw(F&& f) {
    std::lock_guard<std::mutex> lock(*mutex_);
    return f(generator_);
  }
  // For Layer::rng_states: {path: Generator::state()}.
  std::map<std::string, std::string> states(const std::string& path) const {
    std::lock_guard<std::mutex> lock(*mutex_);
    return {{path, generator_.state()}};
  }
  // For Layer::set_rng_states: restores the entry named `path`, if any.
  void restore(const std::map<std::string, std::string>& states, const std::string& path) {
    auto it = states.find(path);
    if (it == states.end()) return;
    std::lock_guard<std::mutex> lock(*mutex_);
    generator_.set_state(it->second);
  }

 private:
  Generator generator_;
  std::shared_ptr<std::mutex> mutex_ = std::make_shared<std::mutex>();  // by pointer: layers are movable
};

}  // namespace minidl::layers
