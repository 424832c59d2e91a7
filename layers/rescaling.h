#pragma once
// Keras's preprocessing layers that rescale values in the model: Rescaling (x * scale + offset) and
// Normalization ((x - mean) / sqrt(variance), statistics given or learnt by adapt()). Both keep the
// input's shape. Per-feature values broadcast against the last axes as NumPy does.
#include <initializer_list>
#include <optional>
#include <vector>

#include "minidl/layers/layer.h"

namespace minidl::layers {

// One number or a list of numbers (Keras's "float or array"): `.scale = 1.0 / 255`,
// `.scale = {0.5, 2.0, 1.0}`. A single number and a one-element list differ only in get_config.
// Default-constructed it holds nothing (an optional argument left out: Keras's None).
struct ValuesArg {
  std::vector<double> values{};
  bool is_list = false;
  ValuesArg() = default;
  ValuesArg(double v) : values{v} {}
  ValuesArg(std::initializer_list<double> list) : values(list), is_list(true) {}
  explicit ValuesArg(std::vector<double> list) : values(std::move(list)), is_list(true) {}
  bool has_value() const { return !values.empty(); }
  nlohmann::json to_json() const;  // null when it holds nothing
  // A number or a flat list; `who` names the argument in the error for anything else.
  static ValuesArg from_json(const nlohmann::json& j, const char* who);
  // Shape () for a number, (n) for a list.
  Tensor tensor(DType dtype) const;
};

struct RescalingOptions {
  ValuesArg scale = 1.0;
  ValuesArg offset = 0.0;
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Rescaling : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(Rescaling)
  explicit Rescaling(const RescalingOptions& options = {});
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  static Rescaling from_config(const nlohmann::json& config);

 protected:
  void check_input(const Shape& input_shape) const override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  RescalingOptions options_;
};

}  // namespace minidl::layers
