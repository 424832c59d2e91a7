#pragma once
// Keras's regularisation layers besides Dropout, each active only when called with training=true
// (identity at inference) and drawing from its own seeded generator (layer_generator.h), as Dropout:
//  - SpatialDropout1D / SpatialDropout2D: Dropout of whole channels (Keras's noise shape
//    (batch, 1, channels), (batch, 1, 1, channels), or (batch, channels, 1, 1) channels first);
//  - GaussianNoise: x + N(0, stddev^2) noise;
//  - GaussianDropout: x * N(1, rate / (1 - rate)) noise.
#include "minidl/layers/dropout.h"

namespace minidl::layers {

struct SpatialDropoutOptions {
  double rate = 0.0;
  std::optional<std::uint64_t> seed{};
  std::string data_format = "channels_last";  // SpatialDropout2D only
  MINIDL_LAYER_COMMON_OPTIONS;
};

// Keras's BaseSpatialDropout: its get_config holds rate, seed, name and dtype only (no trainable,
// no noise_shape), and SpatialDropout2D's adds data_format.
class SpatialDropout : public Dropout {
 public:
  nlohmann::json get_config() const override;

 protected:
  SpatialDropout(std::string class_name, const SpatialDropoutOptions& options, int rank);
  static SpatialDropoutOptions options_from_config(const nlohmann::json& config);
  void check_input(const Shape& input_shape) const override { require_rank(input_shape, rank_ + 2); }
  std::optional<Shape> noise_shape_for(const Shape& in) const override;

 private:
  int rank_;
  bool channels_last_;
};

class SpatialDropout1D : public SpatialDropout {
 public:
  MINIDL_SHAREABLE_LAYER(SpatialDropout1D)
  explicit SpatialDropout1D(const SpatialDropoutOptions& options) : SpatialDropout("SpatialDropout1D", options, 1) {}
  static SpatialDropout1D from_config(const nlohmann::json& c) { return SpatialDropout1D(options_from_config(c)); }
};

class SpatialDropout2D : public SpatialDropout {
 public:
  MINIDL_SHAREABLE_LAYER(SpatialDropout2D)
  explicit SpatialDropout2D(const SpatialDropoutOptions& options) : SpatialDropout("SpatialDropout2D", options, 2) {}
  static SpatialDropout2D from_config(const nlohmann::json& c) { return SpatialDropout2D(options_from_config(c)); }
};

// GaussianNoise and GaussianDropout: one normal draw per element; `amount` is stddev or rate.
class GaussianLayer : public Layer {
 public:
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  nlohmann::json get_config() const override;
  std::map<std::string, std::string> rng_states() const override { return generator_.states(path()); }
  void set_rng_states(const std::map<std::string, std::string>& s) override { generator_.restore(s, path()); }

 protected:
  GaussianLayer(std::string class_name, const CommonOptions& common, const char* key, double amount,
                std::optional<std::uint64_t> seed);
  Tensor call(const Tensor& x, bool training) override;

 private:
  const char* key_;  // "stddev" or "rate"
  double amount_;
  std::optional<std::uint64_t> seed_;
  LayerGenerator generator_;
};

struct GaussianNoiseOptions {
  double stddev = 0.0;  // in [0, 1], as Keras
  std::optional<std::uint64_t> seed{};
  MINIDL_LAYER_COMMON_OPTIONS;
};

class GaussianNoise : public GaussianLayer {
 public:
  MINIDL_SHAREABLE_LAYER(GaussianNoise)
  explicit GaussianNoise(const GaussianNoiseOptions& options);
  static GaussianNoise from_config(const nlohmann::json& config);
};

struct GaussianDropoutOptions {
  double rate = 0.0;  // in [0, 1); Keras takes 1 too, then divides by zero when called
  std::optional<std::uint64_t> seed{};
  MINIDL_LAYER_COMMON_OPTIONS;
};

class GaussianDropout : public GaussianLayer {
 public:
  MINIDL_SHAREABLE_LAYER(GaussianDropout)
  explicit GaussianDropout(const GaussianDropoutOptions& options);
  static GaussianDropout from_config(const nlohmann::json& config);
};

}  // namespace minidl::layers
