#include "minidl/layers/noise_layers.h"

#include <cmath>

#include "minidl/autograd/ops/conv2d.h"
#include "minidl/autograd/ops/elementwise.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

namespace {

std::optional<std::uint64_t> seed_of(const nlohmann::json& c) {
  if (c.contains("seed") && !c["seed"].is_null()) return json_uint(c["seed"], "seed");
  return std::nullopt;
}

nlohmann::json seed_json(const std::optional<std::uint64_t>& seed) {
  return seed ? nlohmann::json(*seed) : nlohmann::json(nullptr);
}

// GaussianNoise's and GaussianDropout's configs: the common keys, `key` (stddev or rate) and seed.
template <class Options>
Options gaussian_options(const nlohmann::json& c, double Options::*amount, const char* key) {
  Options o;
  config::read_common(c, o);
  o.*amount = c.at(key).template get<double>();
  o.seed = seed_of(c);
  return o;
}

}  // namespace

SpatialDropout::SpatialDropout(std::string class_name, const SpatialDropoutOptions& o, int rank)
    : Dropout(std::move(class_name), with_common_options(DropoutOptions{.rate = o.rate, .seed = o.seed}, o)),
      rank_(rank),
      channels_last_(is_channels_last(o.data_format, Layer::class_name())) {}

SpatialDropoutOptions SpatialDropout::options_from_config(const nlohmann::json& c) {
  SpatialDropoutOptions o;
  config::read_common(c, o);
  o.rate = c.at("rate").get<double>();
  o.seed = seed_of(c);
  if (c.contains("data_format") && !c["data_format"].is_null()) o.data_format = c["data_format"].get<std::string>();
  return o;
}

std::optional<Shape> SpatialDropout::noise_shape_for(const Shape& in) const {
  std::vector<std::int64_t> d(static_cast<std::size_t>(in.ndim()), 1);
  d.front() = in[0];
  // SpatialDropout1D has no data_format in Keras: its channels are last.
  if (channels_last_ || rank_ == 1) d.back() = in[-1];
  else d[1] = in[1];
  return Shape(d.begin(), d.end());
}

nlohmann::json SpatialDropout::get_config() const {
  nlohmann::json c = Layer::get_config();
  c.erase("trainable");
  c["dtype"] = std::string(dtype_name(dtype()));  // Keras's self.dtype: the name, not the policy
  c["rate"] = options_.rate;
  c["seed"] = seed_json(options_.seed);
  if (rank_ == 2) c["data_format"] = channels_last_ ? "channels_last" : "channels_first";
  return c;
}

GaussianLayer::GaussianLayer(std::string class_name, const CommonOptions& common, const char* key, double amount,
                             std::optional<std::uint64_t> seed)
    : Layer(std::move(class_name), common), key_(key), amount_(amount), seed_(seed), generator_(seed) {
  set_supports_masking(true);  // as Keras: the mask passes through unchanged
  const bool rate = std::string_view(key) == "rate";
  if (!(amount >= 0 && (rate ? amount < 1 : amount <= 1)))
    throw_invalid_argument(
        "{}: Invalid value received for argument `{}`. Expected a float value between 0 and 1{}. Received: {}={}",
        Layer::class_name(), key, rate ? " (1 excluded: the noise's variance rate / (1 - rate) would be infinite)" : "",
        key, amount);
}

Tensor GaussianLayer::call(const Tensor& x, bool training) {
  if (!training || amount_ == 0.0) return x;
  const bool multiplicative = std::string_view(key_) == "rate";
  const double stddev = multiplicative ? std::sqrt(amount_ / (1.0 - amount_)) : amount_;
  const Tensor noise = generator_.draw(
      [&](Generator& gen) { return Tensor::randn(x.shape(), gen, x.dtype(), multiplicative ? 1.0 : 0.0, stddev); });
  return multiplicative ? x * noise : x + noise;
}

nlohmann::json GaussianLayer::get_config() const {
  nlohmann::json c = Layer::get_config();
  c[key_] = amount_;
  c["seed"] = seed_json(seed_);
  return c;
}

GaussianNoise::GaussianNoise(const GaussianNoiseOptions& o)
    : GaussianLayer("GaussianNoise", common_options(o), "stddev", o.stddev, o.seed) {}

GaussianNoise GaussianNoise::from_config(const nlohmann::json& c) {
  return GaussianNoise(gaussian_options<GaussianNoiseOptions>(c, &GaussianNoiseOptions::stddev, "stddev"));
}

GaussianDropout::GaussianDropout(const GaussianDropoutOptions& o)
    : GaussianLayer("GaussianDropout", common_options(o), "rate", o.rate, o.seed) {}

GaussianDropout GaussianDropout::from_config(const nlohmann::json& c) {
  return GaussianDropout(gaussian_options<GaussianDropoutOptions>(c, &GaussianDropoutOptions::rate, "rate"));
}

}  // namespace minidl::layers
