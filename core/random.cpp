#include "minidl/core/random.h"

#include <bit>
#include <cmath>
#include <numbers>
#include <sstream>

#include "minidl/core/error.h"

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

namespace {
constexpr std::string_view kStateTag = "minidl.Generator.v1";
}

std::string Generator::state() const {
  // The spare normal as its bit pattern: decimal text of a double would not round-trip exactly.
  std::ostringstream out;
  out << kStateTag << ' ' << seed_ << ' ' << (has_spare_ ? 1 : 0) << ' ' << std::bit_cast<std::uint64_t>(spare_) << ' '
      << engine_;
  return out.str();
}

void Generator::set_state(std::string_view state) {
  std::istringstream in{std::string(state)};
  std::string tag;
  std::uint64_t seed = 0, spare_bits = 0;
  int has_spare = -1;
  std::mt19937_64 engine;
  in >> tag >> seed >> has_spare >> spare_bits >> engine;
  if (tag != kStateTag)
    throw_invalid_argument("Generator.set_state: expected a state beginning with '{}' (from Generator.state()), "
                           "received one beginning with '{}'",
                           kStateTag, tag.substr(0, 40));
  const bool read = !in.fail();
  std::string rest;  // anything after the engine is garbage
  if (read) in >> rest;
  if (!read || !rest.empty() || (has_spare != 0 && has_spare != 1))
    throw_invalid_argument("Generator.set_state: malformed state of {} characters: expected the tag, the seed, the "
                           "spare flag (0 or 1), the spare's bits and the mt19937_64 engine's state",
                           state.size());
  seed_ = seed;
  has_spare_ = has_spare == 1;
  spare_ = std::bit_cast<double>(spare_bits);
  engine_ = engine;
}

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

void manual_seed(std::uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace minidl
