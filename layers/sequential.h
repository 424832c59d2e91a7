#pragma once
// Sequential: a stack of layers called in order; itself a Layer, so it nests and composes.
// Training (compile/fit) is added by optim::Model on top of any layer.
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "minidl/layers/container.h"

namespace minidl::layers {

struct SequentialOptions {
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Sequential : public Container {
 public:
  MINIDL_SHAREABLE_LAYER(Sequential)
  explicit Sequential(const SequentialOptions& options = {});
  explicit Sequential(std::vector<std::shared_ptr<Layer>> layers, const SequentialOptions& options = {});

  // Takes ownership of a layer object; returns a reference to the stored layer.
  template <class L>
    requires(std::is_base_of_v<Layer, std::remove_cvref_t<L>> && !std::is_lvalue_reference_v<L>)
  std::remove_cvref_t<L>& add(L&& layer) {
    auto ptr = std::make_shared<std::remove_cvref_t<L>>(std::move(layer));
    add(std::shared_ptr<Layer>(ptr));
    return *ptr;
  }
  void add(std::shared_ptr<Layer> layer);

  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 protected:
  // Keras's summary columns: layer (type), output shape, parameter count.
  SummaryTable summary_table() const override;
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  Masked call_masked(const Tensor& x, const Tensor& mask, bool training) override;

 private:
  // The model's input shape: given to the Sequential, or declared by its first layer.
  std::optional<Shape> input_shape_without_batch() const;
  // The input's shape after Keras 3's rank adjustment against the declared (or first built) shape.
  Shape adjusted(const Shape& shape) const;
};

}  // namespace minidl::layers
