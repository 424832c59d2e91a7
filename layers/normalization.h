#pragma once
// Keras's Normalization preprocessing layer: y = (x - mean) / max(sqrt(variance), 1e-7), or with
// invert=true x * max(sqrt(variance), 1e-7) + mean. `axis` lists the axes that keep their own
// statistics (default the last; an empty list: one mean and variance for everything). The
// statistics are given (mean and variance: a number or one value per entry of the last kept axis)
// or learnt by adapt() from data, as Keras: over every other axis, population variance; adapt on a
// list of batches merges the batches' means and variances with Keras's running formula.
// Learnt statistics are Keras's non-trainable weights mean, variance and count (count stays 0, as in
// Keras 3, and is float32 here: minidl has no integer tensors).
#include <optional>
#include <vector>

#include "minidl/layers/layer_normalization.h"
#include "minidl/layers/rescaling.h"

namespace minidl::layers {

struct NormalizationOptions {
  AxisArg axis = -1;  // AxisArg(std::vector<std::int64_t>{}) for Keras's axis=None
  ValuesArg mean{};      // unset: learnt by adapt()
  ValuesArg variance{};
  bool invert = false;
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Normalization : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(Normalization)
  explicit Normalization(const NormalizationOptions& options = {});
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  static Normalization from_config(const nlohmann::json& config);

  // Learns mean and variance from `data` (batch first), or from a list of batches. Builds the layer
  // for the data's shape if needed; throws if it was built for another extent on a kept axis, or if
  // mean and variance were given.
  void adapt(const Tensor& data);
  void adapt(const std::vector<Tensor>& batches);

 protected:
  void check_input(const Shape& input_shape) const override;
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  // The kept axes as sorted indices into a rank-`ndim` shape (Keras's range check and wording).
  std::vector<std::int64_t> kept_axes(std::int64_t ndim) const;
  Shape broadcast_shape(const Shape& input_shape) const;
  // Per-entry (mean, population variance, count) of one batch over the reduced axes.
  void batch_moments(const Tensor& batch, std::vector<double>& mean, std::vector<double>& var, double& count) const;
  NormalizationOptions options_;
  VariablePtr mean_, variance_, count_;
  Tensor given_mean_, given_variance_;  // broadcast to the input (mean and variance given)
};

}  // namespace minidl::layers
