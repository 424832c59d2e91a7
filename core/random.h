#pragma once
// Seedable random numbers: the same seed gives the same numbers on every machine, because the
// engine (mt19937_64) is fully specified by the C++ standard and the transforms below are ours.
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace minidl {

class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0) { manual_seed(seed); }
  void manual_seed(std::uint64_t seed);
  std::uint64_t seed() const { return seed_; }

  std::uint64_t next_u64() { return engine_(); }
  double uniform();                                  // [0, 1), 53 random bits
  double normal();                                   // standard normal (Box-Muller)
  double truncated_normal(double bound = 2.0);       // standard normal kept within [-bound, bound]
  std::uint64_t randint(std::uint64_t n);            // uniform in [0, n), unbiased

  // The complete state as text (seed, the cached second normal, then the engine in std::mt19937_64's
  // textual form): a generator given it by set_state draws exactly what this one would draw next.
  // Checkpoints store it so a resumed run continues bit-identically.
  std::string state() const;
  // Throws std::invalid_argument, leaving the generator unchanged, when `state` is not state()'s text.
  void set_state(std::string_view state);

 private:
  std::mt19937_64 engine_;
  std::uint64_t seed_ = 0;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

// Process-wide generator used by factories called without an explicit Generator.
Generator& default_generator();
void manual_seed(std::uint64_t seed);

}  // namespace minidl
