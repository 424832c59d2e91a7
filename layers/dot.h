#pragma once
// Keras's Dot merge layer: the batchwise dot product of two tensors along one axis of each. `axes`
// is one axis for both inputs or a pair (the first input's, the second's), never the batch axis;
// with `normalize` each input is first L2-normalised along its axis (Keras's
// x * min(rsqrt(sum(x^2)), 1e7)), so the output is the cosine similarity. The output's shape is the
// first input's without its axis, then the second's without its batch axis and its axis, and
// (batch, 1) when only the batch axis is left. Masks stop here, as in Keras.
#include <array>
#include <optional>

#include "minidl/layers/axis_arg.h"
#include "minidl/layers/list_layer.h"

namespace minidl::layers {

struct DotOptions {
  AxisArg axes = -1;  // Keras's Dot requires it; -1 is keras.layers.dot()'s default
  bool normalize = false;
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Dot : public ListLayer {
 public:
  MINIDL_SHAREABLE_LAYER(Dot)
  explicit Dot(const DotOptions& options = {});
  static Dot from_config(const nlohmann::json& config);
  std::optional<std::size_t> expected_input_count() const override { return std::size_t{2}; }
  Tensor call_inputs(const std::vector<Tensor>& inputs, bool training) override;
  Shape compute_output_shape_for(const std::vector<Shape>& input_shapes) const override;
  nlohmann::json get_config() const override;

 protected:
  std::string expected_list() const override { return "a list of 2 inputs"; }

 private:
  // The two axes, non-negative, for inputs of these shapes (validated).
  std::array<std::int64_t, 2> resolved_axes(const Shape& a, const Shape& b) const;
  AxisArg axes_;
  bool normalize_;
};

}  // namespace minidl::layers
