#pragma once
// Keras's Bidirectional wrapper: one RNN reads the sequence forwards, a second (by default a copy with
// go_backwards flipped) reads it backwards, and their outputs are merged:
//
//   auto y = layers::Bidirectional(layers::LSTM({.units = 16, .return_sequences = true}))(x);  // (batch, steps, 32)
//
// As Keras 3 (keras/src/layers/rnn/bidirectional.py): both directions are rebuilt from the given
// layers' configs, named "forward_<name>" and (for the default copy) "backward_<name>", with
// zero_output_for_mask set to return_sequences; with return_sequences the backward output is flipped
// back into time order before merging ("concat" on the last axis, "sum", "mul", "ave", or
// std::nullopt for Keras's merge_mode=None: both outputs). With return_state the call also gives the
// forward then the backward states (use call_with_state); initial_state is the forward states then
// the backward ones. The output's mask is the input's with return_sequences. Weights are the forward
// layer's then the backward layer's ("bidirectional/forward_lstm/lstm_cell/kernel").
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "minidl/layers/container.h"
#include "minidl/layers/rnn_base.h"

namespace minidl::layers {

struct BidirectionalOptions {
  std::optional<std::string> merge_mode = "concat";  // "concat", "sum", "mul", "ave"; nullopt: both outputs
  std::shared_ptr<RNNBase> backward_layer{};          // null: the layer's copy with go_backwards flipped
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Bidirectional : public Container {
 public:
  MINIDL_SHAREABLE_LAYER(Bidirectional)
  explicit Bidirectional(const RNNBase& layer, const BidirectionalOptions& options = {});
  // The wrapper's own keys; `layer` and `backward_layer` come deserialized (optim's registry does it).
  static Bidirectional from_config(const nlohmann::json& config, const RNNBase& layer,
                                   std::shared_ptr<RNNBase> backward_layer);
  nlohmann::json get_config() const override;

  // Every output in Keras's order: the merged output (or both with merge_mode nullopt), then with
  // return_state the forward layer's states and the backward layer's.
  std::vector<Tensor> call_with_state(const Tensor& x, bool training = false,
                                      const std::vector<Tensor>& initial_state = {}, const Tensor& mask = Tensor());
  // The same in a functional graph (one node, one KerasTensor per output).
  std::vector<KerasTensor> call_with_state(const KerasTensor& x, const std::vector<KerasTensor>& initial_state = {}) &;
  std::vector<KerasTensor> call_with_state(const KerasTensor& x, const std::vector<KerasTensor>& initial_state = {}) &&;

  std::vector<Shape> build_node(const std::vector<Shape>& input_shapes, const CallArgs& args) override;
  std::vector<Shape> node_output_shapes(const std::vector<Shape>& input_shapes, const CallArgs& args) const override;
  std::vector<Masked> call_node(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                const CallArgs& args, bool training) override;
  std::string several_outputs_hint() const override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  Tensor compute_mask(const Tensor& inputs, const Tensor& previous_mask) const override;

  const std::shared_ptr<RNNBase>& forward_layer() const { return forward_; }
  const std::shared_ptr<RNNBase>& backward_layer() const { return backward_; }
  const std::optional<std::string>& merge_mode() const { return merge_mode_; }
  // stateful=true: both directions' states are zeroed (Keras's reset_state / reset_states).
  void reset_state();
  void reset_states() { reset_state(); }

 protected:
  void check_input(const Shape& input_shape) const override;
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  Masked call_masked(const Tensor& x, const Tensor& mask, bool training) override;
  SummaryTable summary_table() const override;

 private:
  // The outputs with their masks (states: none).
  std::vector<Masked> run(const Tensor& x, bool training, const std::vector<Tensor>& initial_state, const Tensor& mask);
  std::size_t output_count() const;

  std::shared_ptr<RNNBase> forward_, backward_;
  std::optional<std::string> merge_mode_;
};

}  // namespace minidl::layers
