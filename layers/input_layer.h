#pragma once
// keras.Input: the functional API's entry point. Input() makes an InputLayer and returns its
// symbolic output; the InputLayer passes a real tensor through unchanged.
#include <initializer_list>
#include <optional>
#include <string>

#include "minidl/layers/layer.h"

namespace minidl::layers {

struct InputOptions {
  std::optional<Shape> shape{};             // without the batch axis; -1 = unknown extent
  std::optional<std::int64_t> batch_size{};  // unknown (None) unless given
  std::string dtype = "float32";
  std::optional<Shape> batch_shape{};  // instead of shape + batch_size
  std::string name{};                  // "" = automatic ("input_layer", "input_layer_1", ...)
};

class InputLayer : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(InputLayer)
  explicit InputLayer(const InputOptions& options);
  const Shape& batch_shape() const { return batch_shape_; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  nlohmann::json get_config() const override;

 protected:
  void check_input(const Shape& input_shape) const override;
  Tensor call(const Tensor& x, bool) override { return x; }

 private:
  Shape batch_shape_;
};

// Keras 3's Functional._adjust_input_rank, which Sequential shares: a tensor one axis longer than the
// model's input shape `reference` with a last extent 1 is squeezed; one axis shorter is expanded when
// the reference's last extent is 1 (images of shape (n, 28, 28) into Input({28, 28, 1}), labels of
// shape (n,) into Input({1})). Any other shape is returned unchanged for the layers to check.
Shape adjust_input_rank(const Shape& reference, const Shape& shape);

KerasTensor Input(const InputOptions& options);
// keras.Input(shape=...) in one argument: layers::Input({28, 28, 1}).
KerasTensor Input(std::initializer_list<std::int64_t> shape);

}  // namespace minidl::layers
