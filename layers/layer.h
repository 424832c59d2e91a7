#pragma once
// The Layer base: Keras's semantics in C++. A layer is named (auto-numbered like Keras), builds its
// weights lazily from the first input's shape (or an explicit input_shape), owns Variables, reports
// regularization losses, and serialises its config with Keras's keys.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "minidl/autograd/variable.h"
#include "minidl/core/tensor.h"
#include "minidl/layers/constraints.h"
#include "minidl/layers/initializers.h"
#include "minidl/layers/keras_tensor.h"
#include "minidl/layers/options.h"
#include "minidl/layers/regularizers.h"

namespace minidl::layers {

// A layer's output and Keras's mask on it (its `_keras_mask`): a float tensor of 1 (keep) and 0
// (masked) in the layer's dtype, shaped like the output's leading axes ((batch, timesteps) for a
// sequence); undefined when there is none. Masks carry no gradient.
struct Masked {
  Tensor value;
  Tensor mask;
};

// Layers are shared by the functional graphs that call them, hence enable_shared_from_this.
class Layer : public std::enable_shared_from_this<Layer> {
 public:
  Layer(std::string class_name, const CommonOptions& common);
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;
  Layer(Layer&&) = default;
  Layer& operator=(Layer&&) = default;

  // Builds on first use, checks the input against what the layer was built for, runs call(), then
  // records the activity-regularization loss of this call.
  Tensor operator()(const Tensor& x, bool training = false);

  // Functional API (keras_tensor.h): builds the layer for the symbolic inputs' shapes and records
  // a node; nothing is computed. The graph keeps the layer alive: a temporary
  // (`layers::Dense({.units = 8})(x)`) is moved into a std::shared_ptr, a named layer must already
  // be held by one (std::make_shared), which is also how one layer is shared between two calls.
  // A list of real tensors: merge layers and multi-input functional models.
  Tensor operator()(const std::vector<Tensor>& inputs, bool training = false) { return call_inputs(inputs, training); }

  // Keras's masking: `x` arrives with `mask` (undefined: none). The layer's call consumes it if it can
  // (RNNs); the output's mask is compute_mask(x, mask) when supports_masking(), none otherwise (Keras
  // drops it). The mask's shape must be the input's leading axes. operator() is this without a mask.
  Masked call_with_mask(const Tensor& x, const Tensor& mask, bool training = false);
  // The list form (merge layers, multi-input models): one mask per input, or none at all. A layer
  // taking several tensors that does not override it drops the masks (Keras's default).
  virtual Masked call_inputs_with_masks(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                        bool training);
  // Keras's supports_masking: whether the output carries compute_mask's mask. Layers that set it in
  // Keras (Dense, Dropout, activations, normalizations, Rescaling, RNNs, Masking, Embedding with
  // mask_zero) set it in their constructor; user layers may too.
  bool supports_masking() const { return supports_masking_; }
  void set_supports_masking(bool value) { supports_masking_ = value; }
  // Keras's compute_mask(inputs, previous_mask): the mask of the output. Default: the input's, unchanged.
  virtual Tensor compute_mask(const Tensor& inputs, const Tensor& previous_mask) const;

  KerasTensor operator()(const KerasTensor& x) &;
  KerasTensor operator()(const KerasTensor& x) &&;
  KerasTensor operator()(const std::vector<KerasTensor>& inputs) &;
  KerasTensor operator()(const std::vector<KerasTensor>& inputs) &&;

  // Several inputs at once: merge layers and functional models override these; a plain layer
  // takes exactly one. build_for_inputs validates the shapes, builds, and returns the output shape.
  virtual Tensor call_inputs(const std::vector<Tensor>& inputs, bool training);
  virtual Shape build_for_inputs(const std::vector<Shape>& input_shapes);
  virtual Shape compute_output_shape_for(const std::vector<Shape>& input_shapes) const;
  // How many tensors one call takes (Keras's len(input_spec)): one for a plain layer, one per
  // Input for a functional model, nullopt for merge layers (any list). A layer whose call_inputs
  // takes several tensors overrides it too (optim::Model checks x against it).
  virtual std::optional<std::size_t> expected_input_count() const { return std::size_t{1}; }
  // Throws Keras's error if a call with `received` tensors cannot work:
  // 'Layer "name" expects 2 input(s), but it received 1 input tensors.'
  void check_input_count(std::size_t received) const;
  // A temporary layer called on KerasTensors moves itself into a shared_ptr of its own class
  // (MINIDL_SHAREABLE_LAYER below); a user layer without it must be made with std::make_shared.
  virtual std::shared_ptr<Layer> moved_to_shared() &&;
  // The layer as a functional graph holds it: the std::shared_ptr already holding it (&), or for a
  // temporary (&&) a new one it is moved into. Throws as operator()(KerasTensor) explains.
  std::shared_ptr<Layer> shared_for_graph() &;
  std::shared_ptr<Layer> shared_for_graph() &&;

  // A functional node of this layer (keras_tensor.h): its last inputs are the keyword tensors of
  // `args` (an RNN's initial_state, MultiHeadAttention's key and attention_mask), `args` also holds
  // the call's plain keywords; a layer refuses any keyword it does not take. build_node builds for
  // the input shapes and returns one shape per output; node_output_shapes only computes them;
  // call_node runs the node on real tensors and their masks (one per input, or none), one Masked
  // per output. The defaults take no keyword and are the one-output build_for_inputs /
  // compute_output_shape_for / call_inputs_with_masks.
  virtual std::vector<Shape> build_node(const std::vector<Shape>& input_shapes, const CallArgs& args);
  virtual std::vector<Shape> node_output_shapes(const std::vector<Shape>& input_shapes, const CallArgs& args) const;
  virtual std::vector<Masked> call_node(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                        const CallArgs& args, bool training);
  // Who a refused keyword names: "layer 'dense' (Dense)" ("model 'encoder'" for a model).
  virtual std::string call_args_owner() const;
  // What to call instead of operator() when a node has several outputs (the error names it).
  virtual std::string several_outputs_hint() const { return "a call returning every output"; }

  const std::string& name() const { return name_; }
  const std::string& class_name() const { return class_name_; }
  DType dtype() const { return dtype_; }
  bool trainable() const { return trainable_; }
  virtual void set_trainable(bool trainable);  // also flips the weights' trainable flags, as Keras
  bool built() const { return built_; }
  // The input shape given at construction (without the batch axis), if any.
  const std::optional<Shape>& declared_input_shape() const { return declared_input_shape_; }

  // Creates the weights for inputs of `input_shape` (batch axis included; -1 = unknown).
  void build(const Shape& input_shape);
  virtual Shape compute_output_shape(const Shape& input_shape) const = 0;

  // Weights in Keras's order (creation order, sublayers in order).
  virtual std::vector<VariablePtr> weights() const;
  std::vector<VariablePtr> trainable_weights() const;
  std::vector<VariablePtr> non_trainable_weights() const;
  std::vector<Tensor> get_weights() const;  // copies
  void set_weights(const std::vector<Tensor>& values);
  std::int64_t count_params() const;

  // Regularization terms: every trainable weight's penalty (evaluated now, differentiable) plus the
  // activity penalty of the last call.
  virtual std::vector<Tensor> losses() const;

  // Random-number state that is not a weight but that a checkpoint must carry for a resumed run to
  // draw what an uninterrupted one would (Dropout's mask generator): layer path -> Generator::state().
  // Containers gather their sublayers'. set_rng_states restores the entries naming this layer (or a
  // sublayer) and ignores the rest.
  virtual std::map<std::string, std::string> rng_states() const { return {}; }
  virtual void set_rng_states(const std::map<std::string, std::string>& /*states*/) {}

  // Keras's get_config(): name, trainable, dtype, then the layer's own arguments.
  virtual nlohmann::json get_config() const;

  // Prefix for weight paths ("sequential/"), set by containers so checkpoints name weights uniquely.
  virtual void set_path_prefix(std::string prefix);
  std::string path() const { return path_prefix_ + name_; }

 protected:
  virtual void build_impl(const Shape& input_shape);
  virtual Tensor call(const Tensor& x, bool training) = 0;
  // The call with the input's mask (already checked). Default: call() and the output mask as Keras
  // (compute_mask when supports_masking(), else none). Layers that use the mask (RNNs) or compute the
  // output's mask along the way (containers) override it.
  virtual Masked call_masked(const Tensor& x, const Tensor& mask, bool training);
  // Validates an input before build/call (rank, channel count once built). Throw invalid_argument.
  virtual void check_input(const Shape& input_shape) const;

  // A folder between the layer's path and its weights' names: Keras's RNN layers keep their weights
  // in their cell ("lstm/lstm_cell/kernel"). Empty for most layers ("dense/kernel").
  virtual std::string weight_scope() const { return {}; }
  VariablePtr add_weight(const std::string& name, const Shape& shape, const initializers::Initializer& initializer,
                         const regularizers::Regularizer& regularizer = {},
                         const constraints::Constraint& constraint = {}, bool trainable = true);
  void set_activity_regularizer(regularizers::Regularizer r) { activity_regularizer_ = std::move(r); }
  // Keeps the activity-regularization loss of this call (losses()): Keras's sum over the call's outputs
  // of regularizer(output) / batch. Nothing without an activity regularizer.
  void record_activity_loss(const std::vector<Tensor>& outputs);
  const regularizers::Regularizer& activity_regularizer() const { return activity_regularizer_; }
  // Builds once for `input_shape`, under the layer's lock (concurrent first calls build once).
  void ensure_built(const Shape& input_shape);
  // A layer of several inputs built by other means (a functional model's layers are built with its
  // graph): counts as built without one input shape.
  void mark_built() { built_ = true; }
  // Checks the input rank, with Keras's wording.
  void require_rank(const Shape& input_shape, std::int64_t rank) const;
  std::optional<Shape> built_input_shape_;

 private:
  std::string weight_path(const std::string& weight_name) const;
  std::string class_name_;
  std::string name_;
  std::string path_prefix_;
  DType dtype_;
  bool trainable_;
  bool built_ = false;
  bool supports_masking_ = false;
  std::optional<Shape> declared_input_shape_;
  std::vector<VariablePtr> variables_;
  regularizers::Regularizer activity_regularizer_;
  Tensor activity_loss_;  // of the last call (Keras's semantics), guarded by state_mutex_
  std::shared_ptr<std::mutex> state_mutex_ = std::make_shared<std::mutex>();  // by pointer: layers are movable
};

// Declares moved_to_shared() for a concrete layer class, inside its public section.
#define MINIDL_SHAREABLE_LAYER(Class)                                        \
  std::shared_ptr<::minidl::layers::Layer> moved_to_shared() && override { \
    return std::make_shared<Class>(std::move(*this));                       \
  }

// Keras's automatic names: "conv2d_transpose", "conv2d_transpose_1", ...
std::string unique_name(const std::string& base);
std::string snake_case(const std::string& class_name);
// Resets the automatic name counters (keras.backend.clear_session()).
void clear_session();

// A layer as Keras serializes one inside another's config (a Sequential's layers, a wrapper's
// "layer"): {"module": "keras.layers", "class_name", "config", "registered_name": null}.
nlohmann::json serialize_layer(const Layer& layer);
// Keras's serialized dtype policy {"module": "keras", "class_name": "DTypePolicy", ...}.
nlohmann::json dtype_config(DType dtype);
// A mask checked against the input `x` of `layer` (its shape must be x's leading axes) and made 1/0
// in x's dtype, detached; undefined stays undefined.
Tensor as_mask(const Tensor& mask, const Tensor& x, const Layer& layer);
// "(None, 28, 28, 1)"-style text for shapes with unknown (-1) extents.
std::string shape_str(const Shape& shape);

}  // namespace minidl::layers
