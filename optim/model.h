#pragma once
// Keras's Model training API over any layer (usually a Sequential): compile, fit, evaluate,
// predict, train_on_batch, test_on_batch, with Keras 3's semantics:
//  - the objective is loss(y, y_pred, sample_weight) + sum of the layer's losses() (regularization);
//  - sample_weight weights the losses and the `weighted_metrics` only: compiled `metrics` ignore
//    it (Keras 3's CompileMetrics);
//  - fit calls the layer with training=true (Dropout, BatchNormalization), evaluate/predict with
//    training=false; predict records no graph (NoGradGuard);
//  - logged "loss" is the running mean of batch losses weighted by batch size (Keras's loss
//    tracker), metrics are running over the epoch; evaluate reports the same over its batches;
//  - x is one tensor per model input (ModelInputs: a Tensor, a vector or {x1, x2}); batches,
//    shuffling and validation_split take the same samples of every input;
//  - a functional model with several outputs takes y as one tensor per output (ModelOutputs,
//    {y1, y2}), one loss per output (CompileOptions::losses, a list or a map by output name, or one
//    `loss` for all), loss_weights and per-output metrics; the total "loss" is the weighted sum,
//    logs add "<output>_loss" (unweighted) and "<output>_<metric>", as Keras 3; predict_outputs
//    returns every output;
//  - validation_split takes the LAST fraction of the samples, before any shuffling;
//  - shuffling draws from a Generator seeded by (seed, epoch), so a run resumed at initial_epoch
//    sees the same batches as an uninterrupted one.
// Saving lives in optim/saving.h (Model::save, save_weights, load_weights, optim::load_model).
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "minidl/layers/layer.h"
#include "minidl/optim/callbacks.h"
#include "minidl/optim/losses.h"
#include "minidl/optim/metrics.h"
#include "minidl/optim/model_inputs.h"
#include "minidl/optim/model_outputs.h"
#include "minidl/optim/optimizer.h"

namespace minidl::layers {
class Functional;
}

namespace minidl::optim {

// compile()'s optimizer: a Keras name ("adam"), a serialized optimizer, a shared optimizer, or an
// optimizer object by value (optim::Adam({.learning_rate = 1e-3})).
class OptimizerArg {
 public:
  OptimizerArg(std::string_view identifier);
  OptimizerArg(const char* identifier) : OptimizerArg(std::string_view(identifier)) {}
  OptimizerArg(const std::string& identifier) : OptimizerArg(std::string_view(identifier)) {}
  OptimizerArg(const nlohmann::json& serialized);
  template <class O>
    requires std::is_base_of_v<Optimizer, O>
  OptimizerArg(std::shared_ptr<O> optimizer) : ptr_(std::move(optimizer)) {}
  template <class O>
    requires std::is_base_of_v<Optimizer, O>
  OptimizerArg(std::unique_ptr<O> optimizer) : ptr_(std::move(optimizer)) {}
  template <class O>
    requires(std::is_base_of_v<Optimizer, std::remove_cvref_t<O>> && !std::is_lvalue_reference_v<O>)
  OptimizerArg(O&& optimizer) : ptr_(std::make_shared<std::remove_cvref_t<O>>(std::move(optimizer))) {}
  const std::shared_ptr<Optimizer>& get() const { return ptr_; }

 private:
  std::shared_ptr<Optimizer> ptr_;
};

struct CompileOptions {
  OptimizerArg optimizer = "rmsprop";  // Keras's default
  Loss loss{};  // a model with several outputs applies it to each (Keras)
  // One output: all apply to it. Several outputs: one metric per output, in output order (Keras's
  // flat list); see output_metrics for several per output.
  std::vector<::minidl::metrics::MetricArg> metrics{};
  // Multi-output models (model_outputs.h), Keras's list-or-dict forms keyed by output name:
  PerOutput<Loss> losses{};        // one loss per output, instead of `loss` (an empty Loss: none)
  PerOutput<double> loss_weights{};  // the total loss is sum(weight * output loss); one weight with `loss`
  PerOutput<std::vector<::minidl::metrics::MetricArg>> output_metrics{};  // instead of `metrics`
  // Metrics that see sample_weight (the plain `metrics` do not), in the same forms as `metrics` /
  // `output_metrics`. A name already logged by `metrics` gets a "weighted_" prefix (Keras).
  std::vector<::minidl::metrics::MetricArg> weighted_metrics{};
  PerOutput<std::vector<::minidl::metrics::MetricArg>> output_weighted_metrics{};
};

struct FitOptions {
  std::int64_t batch_size = 32;
  int epochs = 1;
  int verbose = 1;  // 0 silent, 1 progress bar, 2 one line per epoch
  std::vector<CallbackArg> callbacks{};
  double validation_split = 0.0;
  std::optional<std::pair<ModelInputs, ModelOutputs>> validation_data{};  // (x, y)
  SampleWeights validation_sample_weight{};  // the third entry of Keras's validation_data tuple
  bool shuffle = true;
  SampleWeights sample_weight{};  // one weight per sample; a tensor per output or a map (model_outputs.h)
  int initial_epoch = 0;
  std::optional<std::uint64_t> seed{};  // unset: drawn once from minidl::default_generator()
  std::ostream* output = nullptr;       // progress output; nullptr = std::cout
};

struct EvaluateOptions {
  std::int64_t batch_size = 32;
  int verbose = 1;
  SampleWeights sample_weight{};
  std::ostream* output = nullptr;
};

struct PredictOptions {
  std::int64_t batch_size = 32;
};

// The seed fit() shuffles epoch `epoch` with (Generator(fit_epoch_seed(seed, epoch)) fed to
// io::make_batches): a function of (seed, epoch) only.
std::uint64_t fit_epoch_seed(std::uint64_t seed, int epoch);

class Model {
 public:
  explicit Model(std::shared_ptr<layers::Layer> network);
  // Takes a layer object by value: Model(std::move(sequential)).
  template <class L>
    requires(std::is_base_of_v<layers::Layer, std::remove_cvref_t<L>> && !std::is_lvalue_reference_v<L>)
  explicit Model(L&& layer) : Model(std::shared_ptr<layers::Layer>(std::make_shared<std::remove_cvref_t<L>>(std::move(layer)))) {}
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  Model(Model&&) = default;
  Model& operator=(Model&&) = default;

  void compile(CompileOptions options);
  bool compiled() const { return optimizer_ != nullptr; }

  // x: one tensor per model input, y one per model output, each holding the same number of samples.
  // sample_weight: see SampleWeights (one tensor applies to every output).
  History fit(const ModelInputs& x, const ModelOutputs& y, const FitOptions& options = {});
  // {"loss": ..., metric names...}.
  Logs evaluate(const ModelInputs& x, const ModelOutputs& y, const EvaluateOptions& options = {});
  // The output of a single-output model (throws for several: use predict_outputs).
  Tensor predict(const ModelInputs& x, const PredictOptions& options = {});
  // Every output, in output order (one tensor for a single-output model).
  ModelOutputs predict_outputs(const ModelInputs& x, const PredictOptions& options = {});
  // One optimizer step on one batch; returns that batch's loss and metrics (metrics reset first, as
  // tf.keras's reset_metrics=True).
  Logs train_on_batch(const ModelInputs& x, const ModelOutputs& y, const SampleWeights& sample_weight = {});
  Logs test_on_batch(const ModelInputs& x, const ModelOutputs& y, const SampleWeights& sample_weight = {});
  // Calls the layer (records the graph unless under NoGradGuard); a single-output model only.
  Tensor operator()(const ModelInputs& x, bool training = false);
  // Every output of one call, in output order.
  std::vector<Tensor> call_outputs(const ModelInputs& x, bool training = false);
  // Keras's model.output_names: each output's layer name (one entry for a single-output model).
  const std::vector<std::string>& output_names() const { return output_names_; }
  // What compile() resolved per output: loss, weight, metrics (empty before compile()).
  const std::vector<CompiledOutput>& compiled_outputs() const { return outputs_; }
  // Builds the layer for inputs of these shapes, one per model input (batch axis included, -1 for
  // unknown).
  void build(const Shape& input_shape) { build(std::vector<Shape>{input_shape}); }
  void build(const std::vector<Shape>& input_shapes);

  layers::Layer& network() const { return *network_; }
  const std::shared_ptr<layers::Layer>& network_ptr() const { return network_; }
  Optimizer& optimizer() const;
  const Loss& loss() const { return loss_; }
  // The compiled metrics (an "accuracy" is resolved at the first batch: listed from then on).
  // Every output's, in output order.
  std::vector<::minidl::metrics::MetricPtr> metrics() const;
  std::vector<VariablePtr> weights() const { return network_->weights(); }
  std::vector<VariablePtr> trainable_weights() const { return network_->trainable_weights(); }
  std::vector<Tensor> get_weights() const { return network_->get_weights(); }
  void set_weights(const std::vector<Tensor>& values) { network_->set_weights(values); }
  // The input shapes (batch axis -1), one per model input, the model was built or called with;
  // empty while unknown.
  const std::vector<Shape>& input_shapes() const { return input_shapes_; }
  // The same for a one-input model (nullopt while unknown); throws for a model with several inputs.
  std::optional<Shape> input_shape() const;
  const History& history() const { return history_; }

  // Keras's model.summary() (model_summary.cpp): the network's table and totals, plus the
  // " Optimizer params" line once the compiled optimizer has created its variables (after the first
  // training step), which Keras also counts in the total.
  std::string summary_string() const;
  void summary() const;

  // Keras's get_config() of the network wrapped as {"module", "class_name", "config", ...} plus
  // "build_config" and "compile_config" (optimizer serialized, loss, metrics).
  nlohmann::json to_json() const;
  nlohmann::json compile_config() const;

  // In saving.cpp: weights as safetensors named by weight path; the whole model (architecture JSON,
  // weights, optimizer state) as one atomic safetensors file, or a folder holding it.
  void save_weights(const std::filesystem::path& path) const;
  void load_weights(const std::filesystem::path& path);
  void save(const std::filesystem::path& path) const;

  // Set by callbacks to end fit() after the current batch (TerminateOnNaN) or epoch.
  bool stop_training = false;

 private:
  // The weighted sum of the outputs' losses plus regularization; `per_output` receives each
  // output's unweighted loss (for the "<output>_loss" trackers).
  // sample_weight: one entry per output (undefined: unweighted), as resolve_sample_weights gives.
  // y_pred: each output with its Keras mask, which the output's loss weights by.
  Tensor total_loss(const ModelOutputs& y, const std::vector<layers::Masked>& y_pred, const ModelOutputs& sample_weight,
                    std::vector<double>* per_output = nullptr) const;
  // The outputs with their masks (call_outputs keeps the values only).
  std::vector<layers::Masked> call_outputs_masked(const ModelInputs& x, bool training);
  void track_losses(double total, const std::vector<double>& per_output, double batch_size);
  void resolve_metrics(const ModelOutputs& y, const std::vector<Tensor>& y_pred);
  void update_metrics(const ModelOutputs& y, const std::vector<layers::Masked>& outputs, const ModelOutputs& sample_weight);
  void reset_metrics();
  Logs metric_logs() const;
  void require_compiled(std::string_view who) const;
  void note_input(const ModelInputs& x);
  // x checked against the network's input count and every input against y's number of samples
  // (input 0's without y); returns that number.
  std::int64_t check_inputs(std::string_view who, const ModelInputs& x, const Tensor& y) const;
  // y in output order: a map keyed by output name is reordered (its keys must be the names).
  ModelOutputs in_output_order(std::string_view who, const ModelOutputs& y) const;
  // y: one tensor per output, each with a batch axis and the same number of samples.
  void check_targets(std::string_view who, const ModelInputs& x, const ModelOutputs& y) const;
  // Checks x, y and batch_size; returns sample_weight as one entry per output (undefined where an
  // output is unweighted), each holding one weight per sample.
  ModelOutputs check_data(std::string_view who, const ModelInputs& x, const ModelOutputs& y,
                          const SampleWeights& sample_weight, std::int64_t batch_size) const;
  ModelOutputs resolve_sample_weights(std::string_view who, const SampleWeights& sample_weight, std::int64_t n) const;
  Logs run_evaluation(const ModelInputs& x, const ModelOutputs& y, const ModelOutputs& sample_weight,
                      std::int64_t batch_size, int verbose, std::ostream* out);
  Logs train_step(const ModelInputs& x, const ModelOutputs& y, const ModelOutputs& sample_weight);

  std::shared_ptr<layers::Layer> network_;
  std::shared_ptr<Optimizer> optimizer_;
  Loss loss_;
  std::vector<::minidl::metrics::MetricArg> metric_args_;
  PerOutput<Loss> losses_;  // compile()'s per-output arguments, as given (compile_config)
  PerOutput<double> loss_weights_;
  PerOutput<std::vector<::minidl::metrics::MetricArg>> output_metric_args_;
  std::vector<::minidl::metrics::MetricArg> weighted_metric_args_;
  PerOutput<std::vector<::minidl::metrics::MetricArg>> output_weighted_metric_args_;
  std::vector<std::string> output_names_;
  layers::Functional* functional_ = nullptr;  // network_ when it is a multi-output Functional
  std::vector<CompiledOutput> outputs_;
  bool metrics_resolved_ = false;
  ::minidl::metrics::Mean loss_tracker_{"loss"};
  std::vector<Shape> input_shapes_;
  History history_;
};

}  // namespace minidl::optim
