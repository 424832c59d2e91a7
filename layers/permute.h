#pragma once
// Keras's Permute: reorders the non-batch axes. dims lists them 1-based in their new order,
// e.g. {2, 1} swaps the two axes of (batch, steps, features); {3, 1, 2} turns channels_last images
// into channels_first. The input's rank must be dims.size() + 1. No weights.
#include <vector>

#include "minidl/layers/layer.h"

namespace minidl::layers {

struct PermuteOptions {
  std::vector<std::int64_t> dims{};  // a permutation of 1..dims.size()
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Permute : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(Permute)
  explicit Permute(const PermuteOptions& options);
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  static Permute from_config(const nlohmann::json& config);

 protected:
  void check_input(const Shape& input_shape) const override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::vector<std::int64_t> dims_;
};

}  // namespace minidl::layers
