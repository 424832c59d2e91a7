#pragma once
// Keras's Dropout: active only when called with training=true; inverted scaling 1 / (1 - rate).
// SpatialDropout1D / 2D (noise_layers.h) are Dropout with a noise shape that drops whole channels.
#include "minidl/layers/layer.h"
#include "minidl/layers/layer_generator.h"

namespace minidl::layers {

struct DropoutOptions {
  double rate = 0.0;
  std::optional<Shape> noise_shape{};  // -1 extents take the input's
  std::optional<std::uint64_t> seed{};  // unset: seeded from minidl::default_generator() at construction
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Dropout : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(Dropout)
  explicit Dropout(const DropoutOptions& options) : Dropout("Dropout", options) {}
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  nlohmann::json get_config() const override;
  // The mask generator's state, under path(), so a checkpoint resumes the same masks.
  std::map<std::string, std::string> rng_states() const override;
  void set_rng_states(const std::map<std::string, std::string>& states) override;

 protected:
  Dropout(std::string class_name, const DropoutOptions& options);
  Tensor call(const Tensor& x, bool training) override;
  // The mask's shape for an input of shape `in` (unset: one draw per element).
  virtual std::optional<Shape> noise_shape_for(const Shape& in) const;

 protected:
  DropoutOptions options_;

 private:
  LayerGenerator generator_;
};

}  // namespace minidl::layers
