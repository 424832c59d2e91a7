#pragma once
// Internal to optim/ (not part of the public API): the elementwise loop every update_step runs,
// argument checks, and reading the base optimizer's keys from a Keras config.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "minidl/core/error.h"
#include "minidl/core/parallel.h"
#include "minidl/optim/optimizer.h"

namespace minidl::optim::detail {

// Optimizer updates are a few flops per element and memory bound: chunks must be large enough that
// the fork-join cost stays negligible.
inline constexpr std::int64_t kUpdateGrain = 1 << 15;

template <class F>
void for_each_element(std::int64_t n, const F& f) {
  parallel_for(0, n, kUpdateGrain, [&f](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) f(i);
  });
}

// low <= value <= high (or < high when !high_inclusive); NaN fails.
inline void require_range(std::string_view optimizer, std::string_view arg, double value, double low, double high,
                          bool high_inclusive = true) {
  const bool ok = value >= low && (high_inclusive ? value <= high : value < high);
  if (!ok)
    throw_invalid_argument("{}: `{}` must be in [{}, {}{}, received {}={}", optimizer, arg, low, high,
                           high_inclusive ? "]" : ")", arg, value);
}

inline void require_non_negative(std::string_view optimizer, std::string_view arg, double value) {
  if (!(value >= 0.0)) throw_invalid_argument("{}: `{}` must be >= 0, received {}={}", optimizer, arg, arg, value);
}

inline std::optional<double> optional_number(const nlohmann::json& c, const char* key) {
  if (!c.contains(key) || c[key].is_null()) return std::nullopt;
  return c[key].get<double>();
}

// Reads learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm and name; refuses the Keras
// features minidl does not implement rather than silently ignoring them.
template <class Options>
void read_common(std::string_view optimizer, const nlohmann::json& c, Options& o) {
  if (!c.is_object())
    throw_invalid_argument("{}.from_config: expected a JSON object, received {}", optimizer, c.dump());
  if (c.contains("learning_rate")) o.learning_rate = LearningRate::from_config(c["learning_rate"]);
  if constexpr (requires { o.weight_decay = std::optional<double>(); })
    o.weight_decay = optional_number(c, "weight_decay");
  o.clipnorm = optional_number(c, "clipnorm");
  o.clipvalue = optional_number(c, "clipvalue");
  o.global_clipnorm = optional_number(c, "global_clipnorm");
  o.name = c.value("name", std::string());
  if (c.value("use_ema", false))
    throw_invalid_argument("{}.from_config: use_ema=True is not supported by minidl", optimizer);
  for (const char* key : {"ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps"})
    if (c.contains(key) && !c[key].is_null())
      throw_invalid_argument("{}.from_config: {}={} is not supported by minidl", optimizer, key, c[key].dump());
}

}  // namespace minidl::optim::detail
