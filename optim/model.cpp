#include "minidl/optim/model.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>

#include <fmt/ranges.h>

#include "minidl/autograd/grad_mode.h"
#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"
#include "minidl/core/io/batching.h"
#include "minidl/layers/functional.h"
#include "minidl/layers/sequential.h"
#include "minidl/optim/compile_outputs.h"
#include "minidl/optim/progbar.h"
#include "minidl/optim/registry.h"

namespace minidl::optim {

namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}


std::vector<std::int64_t> range(std::int64_t begin, std::int64_t end) {
  std::vector<std::int64_t> out;
  for (std::int64_t i = begin; i < end; ++i) out.push_back(i);
  return out;
}

std::int64_t num_batches(std::int64_t n, std::int64_t batch_size) { return (n + batch_size - 1) / batch_size; }

// The shape with its batch extent unknown (-1), as Keras's build_config records it.
Shape any_batch(const Shape& s) {
  std::vector<std::int64_t> d = s.dims();
  if (!d.empty()) d[0] = -1;
  return Shape(d.begin(), d.end());
}

std::string shape_text(const Tensor& t) {
  return t.defined() ? fmt::format("shape {}", t.shape()) : std::string("an undefined tensor");
}

// How errors name input i: "x" for a one-input model, "input i" otherwise.
std::string input_name(const ModelInputs& x, std::size_t i) {
  return x.size() == 1 ? std::string("x") : fmt::format("input {}", i);
}

// Keras's ProgbarLogger: "Epoch i/n" headers and one progress bar per epoch.
class ProgbarLogger : public Callback {
 public:
  ProgbarLogger(int verbose, int epochs, std::int64_t steps, std::ostream& out)
      : verbose_(verbose), epochs_(epochs), steps_(steps), out_(out), dynamic_(is_terminal(out)) {}
  void on_epoch_begin(int epoch, Logs&) override {
    if (epochs_ > 1) out_ << "Epoch " << epoch + 1 << "/" << epochs_ << "\n" << std::flush;
    bar_ = std::make_unique<Progbar>(steps_, verbose_, out_, dynamic_);
  }
  void on_train_batch_end(int batch, Logs& logs) override {
    if (verbose_ == 1) bar_->update(batch + 1, logs);
  }
  void on_epoch_end(int, Logs& logs) override { bar_->update(steps_, logs, true); }

 private:
  int verbose_, epochs_;
  std::int64_t steps_;
  std::ostream& out_;
  bool dynamic_;
  std::unique_ptr<Progbar> bar_;
};

}  // namespace

// A function of (seed, epoch) only, so a run resumed at initial_epoch replays the same batches.
std::uint64_t fit_epoch_seed(std::uint64_t seed, int epoch) {
  return splitmix64(seed ^ splitmix64(static_cast<std::uint64_t>(epoch)));
}

OptimizerArg::OptimizerArg(std::string_view identifier) : ptr_(optim::get(identifier)) {}
OptimizerArg::OptimizerArg(const nlohmann::json& serialized) : ptr_(optim::get(serialized)) {}

Model::Model(std::shared_ptr<layers::Layer> network) : network_(std::move(network)) {
  if (!network_) throw_invalid_argument("Model: received a null layer");
  // Keras's output_names: the layers producing the outputs (a Sequential's last layer).
  if (auto* f = dynamic_cast<layers::Functional*>(network_.get())) {
    output_names_ = f->output_names();
    if (output_names_.size() > 1) functional_ = f;
  } else if (auto* c = dynamic_cast<layers::Sequential*>(network_.get()); c && !c->layers().empty()) {
    output_names_ = {c->layers().back()->name()};
  } else {
    output_names_ = {network_->name()};
  }
  if (auto s = network_->declared_input_shape()) {
    std::vector<std::int64_t> d{-1};
    d.insert(d.end(), s->begin(), s->end());
    input_shapes_.emplace_back(d.begin(), d.end());
  }
}

Optimizer& Model::optimizer() const {
  require_compiled("optimizer");
  return *optimizer_;
}

void Model::require_compiled(std::string_view who) const {
  if (!optimizer_)
    throw_invalid_argument("Model.{}: you must call `compile()` before calling `{}()`", who, who);
}

void Model::compile(CompileOptions options) {
  if (!options.optimizer.get()) throw_invalid_argument("Model.compile: the optimizer is null");
  auto outputs = detail::plan_outputs(options, output_names_);  // throws before anything changes
  optimizer_ = options.optimizer.get();
  loss_ = std::move(options.loss);
  metric_args_ = std::move(options.metrics);
  losses_ = std::move(options.losses);
  loss_weights_ = std::move(options.loss_weights);
  output_metric_args_ = std::move(options.output_metrics);
  weighted_metric_args_ = std::move(options.weighted_metrics);
  output_weighted_metric_args_ = std::move(options.output_weighted_metrics);
  outputs_ = std::move(outputs);
  metrics_resolved_ = false;
}

std::int64_t Model::check_inputs(std::string_view who, const ModelInputs& x, const Tensor& y) const {
  if (x.size() == 0) throw_invalid_argument("Model.{}: x holds no input tensors", who);
  network_->check_input_count(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!x[i].defined() || x[i].ndim() < 1)
      throw_invalid_argument("Model.{}: {} must be a tensor with a batch axis, received {}", who, input_name(x, i),
                             shape_text(x[i]));
  // Every input holds as many samples as y (as input 0 without y); the message names both.
  const Tensor& ref = y.defined() ? y : x[0];
  const std::string ref_name = y.defined() ? "y" : input_name(x, 0);
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i].shape()[0] != ref.shape()[0])
      throw_invalid_argument("Model.{}: {} and {} must hold the same number of samples, received {} with {} samples "
                             "(shape {}) and {} with {} samples (shape {})",
                             who, input_name(x, i), ref_name, input_name(x, i), x[i].shape()[0], x[i].shape(),
                             ref_name, ref.shape()[0], ref.shape());
  return ref.shape()[0];
}

ModelOutputs Model::in_output_order(std::string_view who, const ModelOutputs& y) const {
  if (y.names().empty()) return y;
  std::vector<std::string> sorted_names = output_names_;
  std::sort(sorted_names.begin(), sorted_names.end());
  if (y.names() != sorted_names) {  // both sorted: the same set
    std::string keys;
    for (const auto& k : y.names()) keys += fmt::format("{}'{}': '*'", keys.empty() ? "" : ", ", k);
    throw_invalid_argument("Model.{}: y_true and y_pred have different structures. y_true: {{{}}} y_pred: {} (the keys "
                           "of y must be the output names {})",
                           who, keys, detail::python_list(std::vector<std::string>(output_names_.size(), "*")),
                           detail::python_list(output_names_));
  }
  std::vector<Tensor> ordered;
  for (const auto& name : output_names_)
    ordered.push_back(y[static_cast<std::size_t>(std::find(y.names().begin(), y.names().end(), name) - y.names().begin())]);
  return ordered;
}

void Model::check_targets(std::string_view who, const ModelInputs& x, const ModelOutputs& y) const {
  const std::size_t n = output_names_.size();
  if (y.size() != n) {
    auto stars = [](std::size_t k) { return detail::python_list(std::vector<std::string>(k, "*")); };
    throw_invalid_argument("Model.{}: y_true and y_pred have different structures. y_true: {} y_pred: {} (the model "
                           "has {} output(s) {}, y holds {} tensor(s))",
                           who, stars(y.size()), stars(n), n, detail::python_list(output_names_), y.size());
  }
  for (std::size_t i = 0; i < n; ++i)
    if (!y[i].defined() || y[i].ndim() < 1)
      throw_invalid_argument("Model.{}: {} must be a tensor with a batch axis, received {}", who,
                             n == 1 ? std::string("y") : fmt::format("y {} (output '{}')", i, output_names_[i]),
                             shape_text(y[i]));
  // Keras's data adapter: every array of x and y holds the same number of samples.
  for (std::size_t i = 1; i < n; ++i)
    if (y[i].shape()[0] != y[0].shape()[0]) {
      std::vector<std::string> xs, ys;
      for (const auto& t : x) xs.push_back(t.defined() && t.ndim() ? std::to_string(t.shape()[0]) : "?");
      for (const auto& t : y) ys.push_back(std::to_string(t.shape()[0]));
      throw_invalid_argument("Model.{}: Data cardinality is ambiguous. Make sure all arrays contain the same number of "
                             "samples. 'x' sizes: {} 'y' sizes: {}",
                             who, fmt::join(xs, ", "), fmt::join(ys, ", "));
    }
}

ModelOutputs Model::check_data(std::string_view who, const ModelInputs& x, const ModelOutputs& y,
                               const SampleWeights& sample_weight, std::int64_t batch_size) const {
  check_targets(who, x, y);
  const std::int64_t n = check_inputs(who, x, y[0]);
  if (batch_size < 1) throw_invalid_argument("Model.{}: batch_size must be >= 1, received batch_size={}", who, batch_size);
  return resolve_sample_weights(who, sample_weight, n);
}

ModelOutputs Model::resolve_sample_weights(std::string_view who, const SampleWeights& sw, std::int64_t n) const {
  const std::size_t outputs = output_names_.size();
  std::vector<Tensor> per_output(outputs);
  if (!sw.names().empty()) {
    for (std::size_t k = 0; k < sw.size(); ++k) {
      const auto it = std::find(output_names_.begin(), output_names_.end(), sw.names()[k]);
      if (it == output_names_.end())
        throw_invalid_argument("Model.{}: sample_weight has the key '{}', which is not an output name; the outputs are {}",
                               who, sw.names()[k], detail::python_list(output_names_));
      per_output[static_cast<std::size_t>(it - output_names_.begin())] = sw[k];
    }
  } else if (sw.size() == 1) {
    std::fill(per_output.begin(), per_output.end(), sw[0]);  // Keras repeats one weight for every output
  } else if (sw.size() == outputs) {
    per_output = sw.tensors();
  } else if (sw.size() > 0) {
    throw_invalid_argument("Model.{}: sample_weight holds {} tensors for a model with {} outputs {}; pass one tensor "
                           "(used for every output), one per output in output order, or a map keyed by output name",
                           who, sw.size(), outputs, detail::python_list(output_names_));
  }
  for (std::size_t i = 0; i < outputs; ++i) {
    const Tensor& w = per_output[i];
    if (w.defined() && (w.ndim() < 1 || w.shape()[0] != n))
      throw_invalid_argument("Model.{}: sample_weight{} must hold one weight per sample ({}), received shape {}", who,
                             outputs > 1 ? fmt::format(" for output '{}'", output_names_[i]) : std::string(), n,
                             w.shape());
  }
  return per_output;
}

void Model::note_input(const ModelInputs& x) {
  if (!input_shapes_.empty()) return;
  for (const auto& t : x) input_shapes_.push_back(any_batch(t.shape()));
}

void Model::build(const std::vector<Shape>& input_shapes) {
  network_->check_input_count(input_shapes.size());
  // A one-input network builds through Layer::build (weights created); a multi-input functional
  // model is built already and checks the shapes.
  if (functional_) functional_->compute_output_shapes_for(input_shapes);  // built already: checks the shapes
  else if (input_shapes.size() == 1) network_->build(input_shapes[0]);
  else network_->build_for_inputs(input_shapes);
  input_shapes_.clear();
  for (const auto& s : input_shapes) input_shapes_.push_back(any_batch(s));
}

std::optional<Shape> Model::input_shape() const {
  if (input_shapes_.size() > 1)
    throw_invalid_argument("Model.input_shape: the model has {} inputs; use input_shapes()", input_shapes_.size());
  if (input_shapes_.empty()) return std::nullopt;
  return input_shapes_[0];
}

// One tensor goes through Layer::operator()(Tensor) (build, autocast, activity loss), a list
// through the list overload.
Tensor Model::operator()(const ModelInputs& x, bool training) {
  if (functional_)
    throw_invalid_argument("Model: the model has {} outputs {}; call call_outputs(x), which returns one tensor per output",
                           output_names_.size(), detail::python_list(output_names_));
  Tensor y = x.size() == 1 ? (*network_)(x[0], training) : (*network_)(x.tensors(), training);
  note_input(x);  // after the call: shapes the network rejected are not remembered
  return y;
}

std::vector<Tensor> Model::call_outputs(const ModelInputs& x, bool training) {
  if (!functional_) return {(*this)(x, training)};
  if (x.size() == 0) throw_invalid_argument("Model: x holds no input tensors");
  auto ys = functional_->call_outputs(x.tensors(), training);
  note_input(x);
  return ys;
}

std::vector<layers::Masked> Model::call_outputs_masked(const ModelInputs& x, bool training) {
  if (x.size() == 0) throw_invalid_argument("Model: x holds no input tensors");
  std::vector<layers::Masked> ys;
  if (functional_) ys = functional_->call_outputs_masked(x.tensors(), {}, training);
  else if (x.size() == 1) ys = {network_->call_with_mask(x[0], Tensor(), training)};
  else ys = {network_->call_inputs_with_masks(x.tensors(), {}, training)};
  note_input(x);
  return ys;
}

Tensor Model::total_loss(const ModelOutputs& y, const std::vector<layers::Masked>& y_pred,
                         const ModelOutputs& sample_weight, std::vector<double>* per_output) const {
  // Keras's CompileLoss: sum of weight * loss over the outputs that have one.
  Tensor total;
  for (std::size_t i = 0; i < outputs_.size(); ++i) {
    const Loss& fn = outputs_[i].loss;
    if (!fn) continue;
    // Keras's Loss leaves out the positions masked on the output (Embedding(mask_zero) -> ... -> Dense).
    Tensor loss = fn(y[i], y_pred[i].value, sample_weight[i], y_pred[i].mask);
    if (loss.numel() != 1)
      throw_invalid_argument("Model: the loss '{}' returned shape {} with reduction='{}'; training needs a scalar "
                             "(use 'sum_over_batch_size' or 'sum')",
                             fn.name(), loss.shape(), fn.reduction());
    if (loss.ndim() != 0) loss = loss.reshape(Shape{});
    if (per_output) per_output->push_back(loss.item());
    if (outputs_[i].weight) loss = loss * *outputs_[i].weight;
    total = total.defined() ? total + loss : loss;
  }
  if (!total.defined())
    throw_invalid_argument("Model: no loss to optimize; pass `loss` to compile(), e.g. compile({{.loss = \"mse\"}})");
  // Keras: total = compiled loss + sum(model.losses).
  Tensor reg;
  for (const Tensor& r : network_->losses()) {
    const Tensor rr = r.dtype() == total.dtype() ? r : r.to(total.dtype());
    reg = reg.defined() ? reg + rr : rr;
  }
  return reg.defined() ? total + reg.reshape(Shape{}) : total;
}

void Model::track_losses(double total, const std::vector<double>& per_output, double batch_size) {
  loss_tracker_.update_value(total, batch_size);
  std::size_t k = 0;
  for (auto& o : outputs_)
    if (o.loss) {
      if (o.loss_tracker) o.loss_tracker->update_value(per_output[k], batch_size);  // unweighted, as Keras
      ++k;
    }
}

void Model::resolve_metrics(const ModelOutputs& y, const std::vector<Tensor>& y_pred) {
  if (metrics_resolved_) return;
  for (std::size_t i = 0; i < outputs_.size(); ++i) {
    auto& o = outputs_[i];
    const std::string loss_name = canonical_loss_name(o.loss.identifier().empty() ? o.loss.class_name() : o.loss.identifier());
    auto resolve = [&](const std::vector<::minidl::metrics::MetricArg>& args) {
      std::vector<::minidl::metrics::MetricPtr> out;
      for (const auto& m : args) {
        if (m.metric()) out.push_back(m.metric());
        else if (::minidl::metrics::is_accuracy_identifier(m.identifier()))
          out.push_back(::minidl::metrics::resolve_accuracy(m.identifier(), loss_name, y[i].shape(), y_pred[i].shape()));
        else out.push_back(::minidl::metrics::get_metric(m.identifier()));
      }
      return out;
    };
    o.metrics = resolve(o.metric_args);
    o.weighted_metrics = resolve(o.weighted_metric_args);
  }
  metrics_resolved_ = true;
}

void Model::update_metrics(const ModelOutputs& y, const std::vector<layers::Masked>& outputs,
                           const ModelOutputs& sample_weight) {
  std::vector<Tensor> y_pred;
  for (const auto& o : outputs) y_pred.push_back(o.value.detach());
  resolve_metrics(y, y_pred);
  for (std::size_t i = 0; i < outputs_.size(); ++i) {
    // Keras's MeanMetricWrapper: the output's mask becomes (or multiplies) the sample weights.
    const Tensor& mask = outputs[i].mask;
    for (auto& m : outputs_[i].metrics) m->update_state(y[i], y_pred[i], mask);
    for (auto& m : outputs_[i].weighted_metrics) m->update_state(y[i], y_pred[i], apply_mask(sample_weight[i], mask));
  }
}

void Model::reset_metrics() {
  loss_tracker_.reset_state();
  for (auto& o : outputs_) {
    if (o.loss_tracker) o.loss_tracker->reset_state();
    for (auto& m : o.metrics) m->reset_state();
    for (auto& m : o.weighted_metrics) m->reset_state();
  }
}

std::vector<::minidl::metrics::MetricPtr> Model::metrics() const {
  std::vector<::minidl::metrics::MetricPtr> out;
  for (const auto& o : outputs_) out.insert(out.end(), o.metrics.begin(), o.metrics.end());
  for (const auto& o : outputs_) out.insert(out.end(), o.weighted_metrics.begin(), o.weighted_metrics.end());
  return out;
}

Logs Model::metric_logs() const {
  Logs logs{{"loss", loss_tracker_.result()}};
  for (const auto& o : outputs_)
    if (o.loss_tracker) logs[o.loss_tracker->name()] = o.loss_tracker->result();
  // Keras's CompileMetrics: "<output>_<metric>" with several outputs; a repeated name gets "_1", "_2".
  // A weighted metric whose name is taken becomes "<output>_weighted_<metric>" (then numbered).
  std::map<std::string, int> seen;
  auto prefix = [&](const CompiledOutput& o) { return outputs_.size() > 1 ? o.name + "_" : std::string(); };
  auto numbered = [&](std::string key) {
    if (const int k = seen[key]++; k > 0) key = fmt::format("{}_{}", key, k);
    return key;
  };
  for (const auto& o : outputs_)
    for (const auto& m : o.metrics) logs[numbered(prefix(o) + m->name())] = m->result();
  for (const auto& o : outputs_)
    for (const auto& m : o.weighted_metrics) {
      const std::string key = prefix(o) + m->name();
      logs[seen.count(key) ? numbered(prefix(o) + "weighted_" + m->name()) : numbered(key)] = m->result();
    }
  return logs;
}

Logs Model::train_step(const ModelInputs& x, const ModelOutputs& y, const ModelOutputs& sample_weight) {
  std::vector<layers::Masked> outputs = call_outputs_masked(x, true);
  // Gathered after the call: an unbuilt network creates its weights in it.
  const auto variables = network_->trainable_weights();
  for (const auto& v : variables) v->value.zero_grad();
  std::vector<double> per_output;
  Tensor loss = total_loss(y, outputs, sample_weight, &per_output);
  if (loss.requires_grad()) {
    loss.backward();
    optimizer_->step(variables);
  }
  {
    NoGradGuard no_grad;
    track_losses(loss.item(), per_output, static_cast<double>(y[0].shape()[0]));
    update_metrics(y, outputs, sample_weight);
  }
  return metric_logs();
}

Logs Model::train_on_batch(const ModelInputs& x, const ModelOutputs& y_in, const SampleWeights& sample_weight) {
  const ModelOutputs y = in_output_order("train_on_batch", y_in);
  require_compiled("train_on_batch");
  const ModelOutputs w = check_data("train_on_batch", x, y, sample_weight, 1);
  reset_metrics();
  return train_step(x, y, w);
}

Logs Model::test_on_batch(const ModelInputs& x, const ModelOutputs& y_in, const SampleWeights& sample_weight) {
  const ModelOutputs y = in_output_order("test_on_batch", y_in);
  require_compiled("test_on_batch");
  const ModelOutputs w = check_data("test_on_batch", x, y, sample_weight, 1);
  return run_evaluation(x, y, w, std::max<std::int64_t>(y[0].shape()[0], 1), 0, nullptr);
}

Logs Model::run_evaluation(const ModelInputs& x, const ModelOutputs& y, const ModelOutputs& sample_weight,
                           std::int64_t batch_size, int verbose, std::ostream* out) {
  NoGradGuard no_grad;
  reset_metrics();
  const std::int64_t n = y[0].shape()[0];
  const std::int64_t steps = num_batches(n, batch_size);
  std::ostream& stream = out ? *out : std::cout;
  Progbar bar(steps, verbose, stream, is_terminal(stream));
  for (std::int64_t b = 0; b < steps; ++b) {
    const auto idx = range(b * batch_size, std::min(n, (b + 1) * batch_size));
    const ModelInputs xb = x.rows(idx);
    const ModelOutputs yb = y.rows(idx);
    const ModelOutputs wb = sample_weight.rows(idx);
    const std::vector<layers::Masked> outputs = call_outputs_masked(xb, false);
    std::vector<double> per_output;
    const double loss = total_loss(yb, outputs, wb, &per_output).item();
    track_losses(loss, per_output, static_cast<double>(idx.size()));
    update_metrics(yb, outputs, wb);
    if (verbose == 1) bar.update(b + 1, metric_logs());
  }
  const Logs logs = metric_logs();
  if (verbose) bar.update(steps, logs, true);
  return logs;
}

Logs Model::evaluate(const ModelInputs& x, const ModelOutputs& y_in, const EvaluateOptions& o) {
  const ModelOutputs y = in_output_order("evaluate", y_in);
  require_compiled("evaluate");
  const ModelOutputs w = check_data("evaluate", x, y, o.sample_weight, o.batch_size);
  return run_evaluation(x, y, w, o.batch_size, o.verbose, o.output);
}

Tensor Model::predict(const ModelInputs& x, const PredictOptions& o) {
  if (functional_)
    throw_invalid_argument("Model.predict: the model has {} outputs {}; use predict_outputs(), which returns one "
                           "tensor per output",
                           output_names_.size(), detail::python_list(output_names_));
  return predict_outputs(x, o)[0];
}

ModelOutputs Model::predict_outputs(const ModelInputs& x, const PredictOptions& o) {
  const std::int64_t n = check_inputs("predict", x, Tensor());
  if (o.batch_size < 1)
    throw_invalid_argument("Model.predict: batch_size must be >= 1, received batch_size={}", o.batch_size);
  NoGradGuard no_grad;
  std::vector<std::vector<Tensor>> batches;  // per output, per batch
  for (std::int64_t b = 0; b < num_batches(n, o.batch_size); ++b) {
    const auto ys = call_outputs(x.rows(range(b * o.batch_size, std::min(n, (b + 1) * o.batch_size))), false);
    batches.resize(ys.size());
    for (std::size_t i = 0; i < ys.size(); ++i) batches[i].push_back(ys[i]);
  }
  if (batches.empty()) throw_invalid_argument("Model.predict: x holds no samples (shape {})", x[0].shape());
  std::vector<Tensor> out;
  for (const auto& parts : batches) out.push_back(parts.size() == 1 ? parts.front() : concat(parts, 0));
  return out;
}

History Model::fit(const ModelInputs& x_all, const ModelOutputs& y_in, const FitOptions& o) {
  const ModelOutputs y_all = in_output_order("fit", y_in);
  require_compiled("fit");
  const ModelOutputs w_all = check_data("fit", x_all, y_all, o.sample_weight, o.batch_size);
  if (o.validation_sample_weight.size() > 0 && !o.validation_data)
    throw_invalid_argument("Model.fit: validation_sample_weight is given without validation_data; it weights the "
                           "samples of validation_data");
  if (o.epochs < 0) throw_invalid_argument("Model.fit: epochs must be >= 0, received epochs={}", o.epochs);
  if (o.initial_epoch < 0)
    throw_invalid_argument("Model.fit: initial_epoch must be >= 0, received initial_epoch={}", o.initial_epoch);
  if (o.verbose < 0 || o.verbose > 2)
    throw_invalid_argument("Model.fit: verbose must be 0, 1 or 2, received verbose={}", o.verbose);
  if (!(o.validation_split >= 0.0 && o.validation_split < 1.0))
    throw_invalid_argument("Model.fit: validation_split must be in [0, 1), received validation_split={}",
                           o.validation_split);

  // Keras's train_validation_split: the last fraction, before shuffling; validation_data wins.
  ModelInputs x = x_all, vx = std::vector<Tensor>{};
  ModelOutputs y = y_all, vy, w = w_all, vw;
  const std::int64_t total = y_all[0].shape()[0];
  if (o.validation_data) {
    vx = o.validation_data->first;
    vy = in_output_order("fit (validation_data)", o.validation_data->second);
    vw = check_data("fit (validation_data)", vx, vy, o.validation_sample_weight, o.batch_size);
  } else if (o.validation_split > 0.0) {
    const auto split_at = static_cast<std::int64_t>(std::floor(static_cast<double>(total) * (1.0 - o.validation_split)));
    if (split_at <= 0 || split_at >= total)
      throw_invalid_argument("Model.fit: validation_split={} leaves {} training and {} validation samples out of {}; "
                             "both must be non-empty",
                             o.validation_split, split_at, total - split_at, total);
    const auto train_idx = range(0, split_at), val_idx = range(split_at, total);
    x = x_all.rows(train_idx), y = y_all.rows(train_idx), w = w_all.rows(train_idx);
    vx = x_all.rows(val_idx), vy = y_all.rows(val_idx), vw = w_all.rows(val_idx);
  }
  const std::int64_t n = y[0].shape()[0];
  if (n == 0) throw_invalid_argument("Model.fit: x holds no samples");
  const std::int64_t steps = num_batches(n, o.batch_size);
  const std::uint64_t seed = o.seed ? *o.seed : default_generator().next_u64();

  std::vector<CallbackPtr> callbacks;
  for (const auto& c : o.callbacks) callbacks.push_back(c.get());
  auto history = std::make_shared<History>();
  callbacks.push_back(history);
  std::ostream& out = o.output ? *o.output : std::cout;
  if (o.verbose) callbacks.push_back(std::make_shared<ProgbarLogger>(o.verbose, o.epochs, steps, out));
  for (auto& c : callbacks) c->set_model(this);
  struct Detach {  // callbacks must not keep a pointer to the model after fit
    std::vector<CallbackPtr>& list;
    ~Detach() {
      for (auto& c : list) c->set_model(nullptr);
    }
  } detach{callbacks};

  stop_training = false;
  Logs train_logs;
  for (auto& c : callbacks) c->on_train_begin(train_logs);
  for (int epoch = o.initial_epoch; epoch < o.epochs; ++epoch) {
    reset_metrics();
    Logs begin_logs;
    for (auto& c : callbacks) c->on_epoch_begin(epoch, begin_logs);
    Generator gen(fit_epoch_seed(seed, epoch));
    const auto batches = io::make_batches(n, o.batch_size, o.shuffle, gen);
    Logs epoch_logs;
    for (std::size_t b = 0; b < batches.size(); ++b) {
      Logs batch_logs;
      for (auto& c : callbacks) c->on_train_batch_begin(static_cast<int>(b), batch_logs);
      batch_logs = train_step(x.rows(batches[b]), y.rows(batches[b]), w.rows(batches[b]));
      for (auto& c : callbacks) c->on_train_batch_end(static_cast<int>(b), batch_logs);
      epoch_logs = batch_logs;
      if (stop_training) break;
    }
    if (vy.size() > 0) {
      const Logs val = run_evaluation(vx, vy, vw, o.batch_size, 0, nullptr);
      for (const auto& [k, v] : val) epoch_logs["val_" + k] = v;
    }
    for (auto& c : callbacks) c->on_epoch_end(epoch, epoch_logs);
    train_logs = epoch_logs;
    if (stop_training) break;
  }
  for (auto& c : callbacks) c->on_train_end(train_logs);
  history->set_model(nullptr);
  history_ = *history;
  return *history;
}

nlohmann::json Model::compile_config() const {
  if (!optimizer_) return nullptr;
  return {{"optimizer", optimizer_->serialize()},
          {"loss", detail::losses_config(loss_, losses_)},
          {"loss_weights", detail::loss_weights_config(loss_weights_)},
          {"metrics", detail::metrics_config(metric_args_, output_metric_args_)},
          {"weighted_metrics", weighted_metric_args_.empty() && !output_weighted_metric_args_.set()
                                   ? nlohmann::json(nullptr)
                                   : detail::metrics_config(weighted_metric_args_, output_weighted_metric_args_)},
          {"run_eagerly", false},
          {"steps_per_execution", 1},
          {"jit_compile", false}};
}

nlohmann::json Model::to_json() const {
  nlohmann::json build = nullptr;
  if (!input_shapes_.empty()) {
    // Keras 3: one shape for one input, a list of shapes for several.
    nlohmann::json shapes = nlohmann::json::array();
    for (const auto& s : input_shapes_) {
      nlohmann::json shape = nlohmann::json::array();
      for (auto d : s.dims()) shape.push_back(d < 0 ? nlohmann::json(nullptr) : nlohmann::json(d));
      shapes.push_back(shape);
    }
    build = {{"input_shape", shapes.size() == 1 ? shapes[0] : shapes}};
  }
  // Keras 3 writes a functional model as keras.src.models.functional / "Functional" and refuses
  // module "keras" for it ("not a KerasSaveable subclass"); a Sequential is plain "keras".
  const bool functional = network_->class_name() == "Functional";
  return {{"module", functional ? "keras.src.models.functional" : "keras"},
          {"class_name", network_->class_name()},
          {"config", network_->get_config()},
          {"registered_name", functional ? nlohmann::json("Functional") : nlohmann::json(nullptr)},
          {"build_config", build},
          {"compile_config", compile_config()}};
}

}  // namespace minidl::optim
