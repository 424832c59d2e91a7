#pragma once
// Keras's Embedding: integer indices -> rows of the trainable `embeddings` matrix
// (input_dim, output_dim); output shape input_shape + (output_dim,). minidl's tensors are float, so
// the indices arrive as floats holding whole numbers (Keras casts its inputs to int32); like any
// input they are first cast to the layer's dtype, which holds integers exactly up to 2^24 in
// float32. Bad indices throw (see autograd/ops/gather.h).
#include "minidl/layers/layer.h"

namespace minidl::layers {

struct EmbeddingOptions {
  std::int64_t input_dim = 0;   // vocabulary size: indices lie in [0, input_dim)
  std::int64_t output_dim = 0;  // size of each embedding vector
  initializers::Initializer embeddings_initializer = "uniform";  // RandomUniform(-0.05, 0.05)
  regularizers::Regularizer embeddings_regularizer{};
  constraints::Constraint embeddings_constraint{};
  // Keras's padding mask: the output's mask is inputs != 0, so later layers that support masking pass
  // it on, RNNs skip those timesteps and Model's loss leaves those positions out (Embedding ->
  // Dense with mse over [[0, 1, 2], [3, 0, 0]] averages 3 positions, not 6). Index 0 is still looked
  // up like any other, so input_dim counts it (vocabulary size + 1).
  bool mask_zero = false;
  regularizers::Regularizer activity_regularizer{};  // a base-Layer keyword argument in Keras 3
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Embedding : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(Embedding)
  explicit Embedding(const EmbeddingOptions& options);
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  static Embedding from_config(const nlohmann::json& config);
  const VariablePtr& embeddings() const { return embeddings_; }
  // inputs != 0 with mask_zero (the previous mask is ignored, as Keras), none otherwise.
  Tensor compute_mask(const Tensor& inputs, const Tensor& previous_mask) const override;
  // A call on KerasTensors. With mask_zero, Keras's symbolic call computes the mask with ops.not_equal,
  // an operation named from the shared counter: the name is taken here too, so a user's own
  // ops::not_equal gets Keras's name ("not_equal_1") and Keras loads our config without a clash.
  std::vector<Shape> build_node(const std::vector<Shape>& input_shapes, const CallArgs& args) override;

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  EmbeddingOptions options_;
  VariablePtr embeddings_;
};

}  // namespace minidl::layers
