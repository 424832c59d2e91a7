#include "minidl/core/random.h"

#include <cmath>
#include <numbers>

namespace minidl {

void Generator::manual_seed(std::uint64_t seed) {
  seed_ = seed;
  engine_.seed(seed);
  has_spare_ = false;
}

double Generator::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double Generator::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = uniform();
  while (u1 <= 0.0) u1 = uniform();
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  spare_ = r * std::sin(theta);
  has_spare_ = true;
  return r * std::cos(theta);
}

double Generator::truncated_normal(double bound) {
  for (;;) {
    const double z = normal();
    if (std::abs(z) <= bound) return z;
  }
}

std::uint64_t Generator::randint(std::uint64_t n) {
  // Rejection sampling removes the modulo bias.
  const std::uint64_t limit = n == 0 ? 0 : (~std::uint64_t{0} / n) * n;
  for (;;) {
    const std::uint64_t r = engine_();
    if (r < limit) return r % n;
  }
}

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

void manual_seed(std::uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace minidl
