#pragma once
// Keras's stateful metrics (keras.metrics.*): update_state() accumulates over batches, result()
// reads the running value, reset_state() starts over (fit resets at each epoch, evaluate at its
// start). Metrics read tensors' values directly: they are never differentiated.
//
// Mean-based metrics follow Keras's Mean: each batch's values are first reduced to one value per
// sample (mean over the non-batch axes), then total += sum(value * weight) and count += sum(weight)
// (weight 1 per sample without sample_weight); result() = total / count (0 before any update).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "minidl/core/tensor.h"

namespace minidl::metrics {

class Metric {
 public:
  Metric(std::string class_name, std::string name, std::string direction);
  virtual ~Metric() = default;

  virtual void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) = 0;
  virtual double result() const = 0;
  virtual void reset_state() = 0;

  const std::string& name() const { return name_; }
  const std::string& class_name() const { return class_name_; }
  // "up" (accuracy: bigger is better), "down" (errors) or "" (unknown), as Keras's _direction.
  const std::string& direction() const { return direction_; }
  virtual nlohmann::json get_config() const { return {{"name", name_}, {"dtype", "float32"}}; }

 private:
  std::string class_name_, name_, direction_;
};

using MetricPtr = std::shared_ptr<Metric>;

// keras.metrics.Mean: the weighted running mean of the values given to update_state(values).
class Mean : public Metric {
 public:
  explicit Mean(std::string name = "mean");
  // Values of any shape with the batch on axis 0; sample_weight holds one weight per sample.
  void update_values(const Tensor& values, const Tensor& sample_weight = Tensor());
  // One scalar observation with a weight (fit's loss tracker: the batch loss weighted by batch size).
  void update_value(double value, double weight = 1.0);
  // Metric interface: the mean of y_pred's values (y_true ignored), as Mean.update_state(values).
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  double result() const override { return count_ == 0.0 ? 0.0 : total_ / count_; }
  void reset_state() override { total_ = count_ = 0.0; }
  double total() const { return total_; }
  double count() const { return count_; }

 protected:
  Mean(std::string class_name, std::string name, std::string direction);
  // Adds per-element values laid out as `samples` contiguous equal blocks.
  void accumulate(const std::vector<double>& values, std::int64_t samples, const Tensor& sample_weight);

 private:
  double total_ = 0.0, count_ = 0.0;
};

// keras.metrics.MeanMetricWrapper: fn(y_true, y_pred) gives per-element values, then Mean.
class MeanMetricWrapper : public Mean {
 public:
  // Per-element values (as doubles) and the number of samples they cover.
  using Fn = std::function<std::vector<double>(const Tensor& y_true, const Tensor& y_pred, std::int64_t& samples)>;
  MeanMetricWrapper(std::string class_name, std::string name, std::string direction, Fn fn,
                    nlohmann::json extra_config = nlohmann::json::object());
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  nlohmann::json get_config() const override;

 private:
  Fn fn_;
  nlohmann::json extra_;
};

struct MetricOptions {
  std::string name{};  // "" = Keras's default name
};

class MeanAbsoluteError : public MeanMetricWrapper {
 public:
  explicit MeanAbsoluteError(const MetricOptions& options = {});
};
class MeanSquaredError : public MeanMetricWrapper {
 public:
  explicit MeanSquaredError(const MetricOptions& options = {});
};
// 1 where y_pred == y_true exactly.
class Accuracy : public MeanMetricWrapper {
 public:
  explicit Accuracy(const MetricOptions& options = {});
};
struct BinaryAccuracyOptions {
  double threshold = 0.5;
  std::string name{};
};
// 1 where (y_pred > threshold) == y_true.
class BinaryAccuracy : public MeanMetricWrapper {
 public:
  explicit BinaryAccuracy(const BinaryAccuracyOptions& options = {});
};
// 1 where argmax(y_true, -1) == argmax(y_pred, -1) (first maximum on ties).
class CategoricalAccuracy : public MeanMetricWrapper {
 public:
  explicit CategoricalAccuracy(const MetricOptions& options = {});
};
// 1 where y_true (class ids, a trailing size-1 axis allowed) == argmax(y_pred, -1).
class SparseCategoricalAccuracy : public MeanMetricWrapper {
 public:
  explicit SparseCategoricalAccuracy(const MetricOptions& options = {});
};

// A metric argument of compile(): an identifier ("mae", "accuracy", ...), a shared metric object, or
// a metric object by value.
class MetricArg {
 public:
  MetricArg(std::string_view identifier) : identifier_(identifier) {}
  MetricArg(const char* identifier) : identifier_(identifier) {}
  MetricArg(const std::string& identifier) : identifier_(identifier) {}
  template <class M>
    requires std::is_base_of_v<Metric, M>
  MetricArg(std::shared_ptr<M> metric) : metric_(std::move(metric)) {}
  template <class M>
    requires(std::is_base_of_v<Metric, std::remove_cvref_t<M>> && !std::is_lvalue_reference_v<M>)
  MetricArg(M&& metric) : metric_(std::make_shared<std::remove_cvref_t<M>>(std::move(metric))) {}

  const std::string& identifier() const { return identifier_; }
  const MetricPtr& metric() const { return metric_; }

 private:
  std::string identifier_;
  MetricPtr metric_;
};

// keras.metrics.get for identifiers other than "accuracy"/"acc": "mae", "mean_absolute_error",
// "mse", "mean_squared_error", "binary_accuracy", "categorical_accuracy",
// "sparse_categorical_accuracy" (and the class names). The metric is named by the identifier, as
// Keras names compiled metrics ("mae" logs as "mae").
MetricPtr get_metric(std::string_view identifier);
// "accuracy"/"acc" resolved like Keras: by the loss when it is a known one (binary_crossentropy ->
// BinaryAccuracy, sparse_categorical_crossentropy -> SparseCategoricalAccuracy,
// categorical_crossentropy -> CategoricalAccuracy), otherwise by shapes as Keras 3
// (y_pred's last axis 1 -> binary; y_true of lower rank, or last axis 1 with y_pred's > 1 -> sparse;
// else categorical). `loss_name` is canonical_loss_name() of the compiled loss.
MetricPtr resolve_accuracy(std::string_view identifier, const std::string& loss_name, const Shape& y_true_shape,
                           const Shape& y_pred_shape);
// Rebuilds a metric object from {"class_name", "config"} (what Model's compile_config writes).
MetricPtr metric_from_config(const nlohmann::json& serialized);
// Whether `identifier` is "accuracy" or "acc" (resolved once shapes are known).
bool is_accuracy_identifier(std::string_view identifier);

}  // namespace minidl::metrics
