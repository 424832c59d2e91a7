#pragma once
// Keras 3's MultiHeadAttention for sequences (query (B, T, dq), value (B, S, dv), key (B, S, dk)):
// EinsumDense projections query/key/value to (B, *, num_heads, key_dim | value_dim), scores
// (query / sqrt(key_dim)) . key over the sequence axis, a masked softmax, dropout on the
// probabilities, then attention_output projects (B, T, num_heads, value_dim) to output_shape.
// Weights as Keras: query/kernel (dq, N, key_dim) + query/bias (N, key_dim), key/..., [gate/...],
// value/... (value_dim), attention_output/kernel (N, value_dim, *output_shape) + bias (output_shape).
// attention_axes other than the sequence axis and rank > 3 inputs are refused.
#include <optional>
#include <vector>

#include "minidl/layers/layer.h"
#include "minidl/layers/layer_generator.h"

namespace minidl::layers {

struct MultiHeadAttentionOptions {
  std::int64_t num_heads = 0;
  std::int64_t key_dim = 0;
  std::optional<std::int64_t> value_dim{};  // unset: key_dim
  double dropout = 0.0;
  bool use_bias = true;
  std::optional<std::vector<std::int64_t>> output_shape{};  // unset: the query's last dimension
  std::optional<std::vector<std::int64_t>> attention_axes{};  // unset (None) or the sequence axis (1 or -2)
  std::optional<std::int64_t> sliding_window{};  // keys within sliding_window - 1 of the query position
  std::optional<bool> flash_attention{};  // None or false: minidl has no flash kernel
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer kernel_regularizer{};
  regularizers::Regularizer bias_regularizer{};
  regularizers::Regularizer activity_regularizer{};  // on each projection's output, as Keras's sublayers
  constraints::Constraint kernel_constraint{};
  constraints::Constraint bias_constraint{};
  bool use_gate = false;  // sigmoid gate projected from the query, multiplied into the heads' outputs
  std::optional<std::uint64_t> seed{};  // of the attention dropout
  MINIDL_LAYER_COMMON_OPTIONS;
};

// Keras's call arguments besides query and value. Masks: the Keras masks of query (B, T), value and
// key (B, S) (what Embedding(mask_zero) or Masking hand along), 1 = keep; attention_mask (B, T, S)
// (or (T, S), (B|1, N|1, T, S)), nonzero = attend.
struct AttentionCall {
  Tensor key{};
  Tensor attention_mask{};
  Tensor query_mask{}, value_mask{}, key_mask{};
  bool use_causal_mask = false;
  bool return_attention_scores = false;
  bool training = false;
};

struct AttentionResult {
  Tensor output;  // (B, T, *output_shape)
  Tensor scores;  // (B, N, T, S) softmax probabilities before dropout, with return_attention_scores
  Tensor mask;    // the output's Keras mask: the query's
};

// Keras's call options on KerasTensors (MultiHeadAttention::call_graph): the key and the
// attention_mask (B, T, S) are graph tensors; the Keras masks of query, value and key come along
// the graph (Embedding(mask_zero), Masking) and combine with these as in attend().
struct GraphAttentionCall {
  KerasTensor key{};
  KerasTensor attention_mask{};
  bool use_causal_mask = false;
  std::optional<bool> training{};  // unset: the model's call decides, as Keras's training=None
};

class MultiHeadAttention : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(MultiHeadAttention)
  explicit MultiHeadAttention(const MultiHeadAttentionOptions& options);

  // Keras's call(query, value, key=None, attention_mask=None, ...).
  AttentionResult attend(const Tensor& query, const Tensor& value, const AttentionCall& call = {});
  // Keras's mha(query, value, key=..., attention_mask=..., use_causal_mask=...) in a functional graph:
  // records a node and returns its output (B, T, *output_shape).
  KerasTensor call_graph(const KerasTensor& query, const KerasTensor& value, const GraphAttentionCall& call = {}) &;
  KerasTensor call_graph(const KerasTensor& query, const KerasTensor& value, const GraphAttentionCall& call = {}) &&;
  // The same with return_attention_scores=True: {output, scores (B, num_heads, T, S)}.
  std::vector<KerasTensor> call_graph_with_scores(const KerasTensor& query, const KerasTensor& value,
                                                  const GraphAttentionCall& call = {}) &;
  std::vector<KerasTensor> call_graph_with_scores(const KerasTensor& query, const KerasTensor& value,
                                                  const GraphAttentionCall& call = {}) &&;
  // The functional node: inputs query, value (, a positional key), then the keyword tensors key and
  // attention_mask; plain keywords use_causal_mask, return_attention_scores, training.
  std::vector<Shape> build_node(const std::vector<Shape>& input_shapes, const CallArgs& args) override;
  std::vector<Shape> node_output_shapes(const std::vector<Shape>& input_shapes, const CallArgs& args) const override;
  std::vector<Masked> call_node(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                const CallArgs& args, bool training) override;
  std::string several_outputs_hint() const override;
  // The list forms: {query, value} or {query, value, key}, masks in the same order (Keras masks).
  Tensor call_inputs(const std::vector<Tensor>& inputs, bool training) override;
  Masked call_inputs_with_masks(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                bool training) override;
  Shape build_for_inputs(const std::vector<Shape>& input_shapes) override;
  Shape compute_output_shape_for(const std::vector<Shape>& input_shapes) const override;
  // One tensor is not enough (query and value): throws.
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::optional<std::size_t> expected_input_count() const override { return std::nullopt; }
  // Builds the projections for these shapes (Keras's build(query_shape, value_shape, key_shape)).
  void build_for(const Shape& query_shape, const Shape& value_shape, const std::optional<Shape>& key_shape = {});

  nlohmann::json get_config() const override;
  static MultiHeadAttention from_config(const nlohmann::json& config);
  std::map<std::string, std::string> rng_states() const override { return generator_.states(path()); }
  void set_rng_states(const std::map<std::string, std::string>& states) override { generator_.restore(states, path()); }

  std::int64_t num_heads() const { return options_.num_heads; }
  std::int64_t key_dim() const { return options_.key_dim; }
  std::int64_t value_dim() const { return *options_.value_dim; }

 protected:
  // One tensor (operator()(x), build(shape)) is not enough: both throw.
  Tensor call(const Tensor& x, bool training) override;
  void build_impl(const Shape& input_shape) override;

 private:
  [[noreturn]] void refuse_one_tensor() const;
  struct Projection {  // one EinsumDense: kernel (in..., out...), bias (out...)
    VariablePtr kernel, bias;
  };
  Projection add_projection(const std::string& name, const Shape& kernel_shape, std::int64_t input_axes);
  // in (..., d_in) -> (..., out) through kernel reshaped (d_in, out) [+ bias].
  static Tensor project(const Tensor& x, const Projection& p, std::int64_t in_size);
  void check_call_shapes(const Shape& query, const Shape& value, const std::optional<Shape>& key) const;
  // Keras's _compute_attention_mask: the AND of every mask given, (B|1, T, S) or the attention_mask's
  // rank; undefined when there is none. 1/0 in the layer's dtype, no gradient.
  Tensor combined_mask(const Tensor& query, const Tensor& value, const AttentionCall& call) const;
  Tensor masked_softmax(const Tensor& scores, const Tensor& mask, bool zero_masked_rows) const;

  MultiHeadAttentionOptions options_;
  LayerGenerator generator_;
  std::shared_ptr<std::mutex> build_mutex_ = std::make_shared<std::mutex>();
  std::optional<Shape> query_shape_, value_shape_, key_shape_;  // as built (key: value's when not given)
  Projection query_, key_, gate_, value_, output_;
  bool built_axes_ = false;  // attention_axes resolved by build, as Keras's config shows
};

}  // namespace minidl::layers
