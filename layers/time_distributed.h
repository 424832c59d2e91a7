#pragma once
// Keras's TimeDistributed wrapper: applies one layer to every timestep of a (batch, time, ...) input,
// with the same weights at every step:
//
//   auto y = layers::TimeDistributed(layers::Conv2D({.filters = 8, .kernel_size = 3}))(frames);  // (b, t, h, w, c)
//
// Keras calls the layer once per timestep on (batch, ...) slices. Where the layer treats samples
// independently that is the same as one call on the (batch * time, ...) fold, which minidl makes
// (one large GEMM instead of `time` small ones); a layer holding batch statistics
// (BatchNormalization while training, also inside a Sequential) is still called step by step, so its
// statistics and moving averages follow Keras's. The input's mask (batch, time) passes through to the
// output, as Keras's; the wrapped layer sees none. The wrapped layer is shared, not copied (Keras's).
#include <memory>
#include <type_traits>

#include "minidl/layers/container.h"

namespace minidl::layers {

struct TimeDistributedOptions {
  MINIDL_LAYER_COMMON_OPTIONS;
};

class TimeDistributed : public Container {
 public:
  MINIDL_SHAREABLE_LAYER(TimeDistributed)
  explicit TimeDistributed(std::shared_ptr<Layer> layer, const TimeDistributedOptions& options = {});
  // A temporary layer moves into the wrapper: TimeDistributed(Dense({.units = 8})).
  template <class L>
    requires std::is_base_of_v<Layer, std::remove_cvref_t<L>> && (!std::is_lvalue_reference_v<L>)
  explicit TimeDistributed(L&& layer, const TimeDistributedOptions& options = {})
      : TimeDistributed(std::shared_ptr<Layer>(std::move(layer).moved_to_shared()), options) {}
  static TimeDistributed from_config(const nlohmann::json& config, std::shared_ptr<Layer> layer);
  nlohmann::json get_config() const override;

  Shape compute_output_shape(const Shape& input_shape) const override;
  const std::shared_ptr<Layer>& layer() const { return layers_[0]; }

 protected:
  void check_input(const Shape& input_shape) const override;
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  Masked call_masked(const Tensor& x, const Tensor& mask, bool training) override;
  SummaryTable summary_table() const override;
};

}  // namespace minidl::layers
