#include "minidl/optim/metrics.h"

#include <cmath>

#include "minidl/core/error.h"

namespace minidl::metrics {

namespace {

std::int64_t samples_of(const Tensor& t) { return t.ndim() == 0 ? 1 : t.shape()[0]; }

// y_true and y_pred as doubles with the same number of elements: Keras squeezes or expands a trailing
// size-1 axis, which leaves the row-major element order unchanged.
std::pair<std::vector<double>, std::vector<double>> paired_values(std::string_view metric, const Tensor& y_true,
                                                                  const Tensor& y_pred) {
  if (y_true.numel() != y_pred.numel())
    throw_invalid_argument("{}: y_true of shape {} and y_pred of shape {} do not match (only a trailing axis of size 1 "
                           "may differ)",
                           metric, y_true.shape(), y_pred.shape());
  return {y_true.to_vector<double>(), y_pred.to_vector<double>()};
}

std::vector<double> argmax_last(const Tensor& t) {
  const std::int64_t k = t.ndim() == 0 ? 1 : t.shape()[-1];
  const auto v = t.to_vector<double>();
  std::vector<double> out;
  out.reserve(v.size() / static_cast<std::size_t>(k ? k : 1));
  for (std::size_t row = 0; row + static_cast<std::size_t>(k) <= v.size() && k > 0; row += static_cast<std::size_t>(k)) {
    std::int64_t best = 0;
    for (std::int64_t j = 1; j < k; ++j)
      if (v[row + static_cast<std::size_t>(j)] > v[row + static_cast<std::size_t>(best)]) best = j;
    out.push_back(static_cast<double>(best));
  }
  return out;
}

std::string or_default(const std::string& name, const char* fallback) { return name.empty() ? fallback : name; }

}  // namespace

Metric::Metric(std::string class_name, std::string name, std::string direction)
    : class_name_(std::move(class_name)), name_(std::move(name)), direction_(std::move(direction)) {}

Mean::Mean(std::string name) : Mean("Mean", std::move(name), "") {}
Mean::Mean(std::string class_name, std::string name, std::string direction)
    : Metric(std::move(class_name), std::move(name), std::move(direction)) {}

void Mean::update_value(double value, double weight) {
  total_ += value * weight;
  count_ += weight;
}

void Mean::accumulate(const std::vector<double>& values, std::int64_t samples, const Tensor& sample_weight) {
  if (samples <= 0) return;
  const std::size_t per = values.size() / static_cast<std::size_t>(samples);
  if (per * static_cast<std::size_t>(samples) != values.size() || per == 0)
    throw_invalid_argument("{} '{}': {} values cannot be split into {} samples", class_name(), name(), values.size(),
                           samples);
  // Weights: one per sample, or k per sample (a mask (batch, timesteps) merged in by Model) that
  // split each sample's values into k equal blocks. Keras's reduce_to_samplewise_values then adds
  // mean_j(block_j * w_j) to the total and mean_j(w_j) to the count.
  std::vector<double> weights;
  std::size_t k = 1;
  if (sample_weight.defined()) {
    weights = sample_weight.to_vector<double>();
    k = weights.size() / static_cast<std::size_t>(samples);
    if (k == 0 || k * static_cast<std::size_t>(samples) != weights.size() || per % k != 0)
      throw_invalid_argument("{} '{}': sample_weight must hold one weight per sample ({}), received shape {}",
                             class_name(), name(), samples, sample_weight.shape());
  }
  const std::size_t block = per / k;
  for (std::size_t s = 0; s < static_cast<std::size_t>(samples); ++s) {
    double m = 0.0, w = 0.0;
    for (std::size_t j = 0; j < k; ++j) {
      double b = 0.0;
      for (std::size_t e = 0; e < block; ++e) b += values[s * per + j * block + e];
      const double wj = weights.empty() ? 1.0 : weights[s * k + j];
      m += b / static_cast<double>(block) * wj;
      w += wj;
    }
    total_ += m / static_cast<double>(k);
    count_ += w / static_cast<double>(k);
  }
}

void Mean::update_values(const Tensor& values, const Tensor& sample_weight) {
  accumulate(values.to_vector<double>(), samples_of(values), sample_weight);
}

void Mean::update_state(const Tensor&, const Tensor& y_pred, const Tensor& sample_weight) {
  update_values(y_pred, sample_weight);
}

MeanMetricWrapper::MeanMetricWrapper(std::string class_name, std::string name, std::string direction, Fn fn,
                                     nlohmann::json extra_config)
    : Mean(std::move(class_name), std::move(name), std::move(direction)), fn_(std::move(fn)), extra_(std::move(extra_config)) {}

void MeanMetricWrapper::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  std::int64_t samples = samples_of(y_pred);
  const auto values = fn_(y_true, y_pred, samples);
  accumulate(values, samples, sample_weight);
}

nlohmann::json MeanMetricWrapper::get_config() const {
  nlohmann::json c = Metric::get_config();
  for (auto& [k, v] : extra_.items()) c[k] = v;
  return c;
}

MeanAbsoluteError::MeanAbsoluteError(const MetricOptions& o)
    : MeanMetricWrapper("MeanAbsoluteError", or_default(o.name, "mean_absolute_error"), "down",
                        [](const Tensor& t, const Tensor& p, std::int64_t&) {
                          auto [a, b] = paired_values("MeanAbsoluteError", t, p);
                          for (std::size_t i = 0; i < a.size(); ++i) a[i] = std::abs(a[i] - b[i]);
                          return a;
                        }) {}

MeanSquaredError::MeanSquaredError(const MetricOptions& o)
    : MeanMetricWrapper("MeanSquaredError", or_default(o.name, "mean_squared_error"), "down",
                        [](const Tensor& t, const Tensor& p, std::int64_t&) {
                          auto [a, b] = paired_values("MeanSquaredError", t, p);
                          for (std::size_t i = 0; i < a.size(); ++i) a[i] = (a[i] - b[i]) * (a[i] - b[i]);
                          return a;
                        }) {}

Accuracy::Accuracy(const MetricOptions& o)
    : MeanMetricWrapper("Accuracy", or_default(o.name, "accuracy"), "up",
                        [](const Tensor& t, const Tensor& p, std::int64_t&) {
                          auto [a, b] = paired_values("Accuracy", t, p);
                          for (std::size_t i = 0; i < a.size(); ++i) a[i] = a[i] == b[i] ? 1.0 : 0.0;
                          return a;
                        }) {}

BinaryAccuracy::BinaryAccuracy(const BinaryAccuracyOptions& o)
    : MeanMetricWrapper("BinaryAccuracy", or_default(o.name, "binary_accuracy"), "up",
                        [threshold = o.threshold](const Tensor& t, const Tensor& p, std::int64_t&) {
                          auto [a, b] = paired_values("BinaryAccuracy", t, p);
                          for (std::size_t i = 0; i < a.size(); ++i) a[i] = a[i] == (b[i] > threshold ? 1.0 : 0.0);
                          return a;
                        },
                        {{"threshold", o.threshold}}) {}

CategoricalAccuracy::CategoricalAccuracy(const MetricOptions& o)
    : MeanMetricWrapper("CategoricalAccuracy", or_default(o.name, "categorical_accuracy"), "up",
                        [](const Tensor& t, const Tensor& p, std::int64_t&) {
                          if (t.shape() != p.shape())
                            throw_invalid_argument("CategoricalAccuracy: y_true (one-hot) of shape {} must have "
                                                   "y_pred's shape {}",
                                                   t.shape(), p.shape());
                          auto a = argmax_last(t);
                          const auto b = argmax_last(p);
                          for (std::size_t i = 0; i < a.size(); ++i) a[i] = a[i] == b[i] ? 1.0 : 0.0;
                          return a;
                        }) {}

SparseCategoricalAccuracy::SparseCategoricalAccuracy(const MetricOptions& o)
    : MeanMetricWrapper("SparseCategoricalAccuracy", or_default(o.name, "sparse_categorical_accuracy"), "up",
                        [](const Tensor& t, const Tensor& p, std::int64_t&) {
                          const auto b = argmax_last(p);
                          auto a = t.to_vector<double>();
                          if (a.size() != b.size())
                            throw_invalid_argument("SparseCategoricalAccuracy: y_true of shape {} must hold one class "
                                                   "id per row of y_pred (shape {})",
                                                   t.shape(), p.shape());
                          for (std::size_t i = 0; i < a.size(); ++i) a[i] = a[i] == b[i] ? 1.0 : 0.0;
                          return a;
                        }) {}

MetricPtr metric_from_config(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("class_name") || !j["class_name"].is_string())
    throw_invalid_argument("metric_from_config: expected {{\"class_name\", \"config\"}}, received {}", j.dump());
  const std::string cls = j["class_name"].get<std::string>();
  const nlohmann::json c = j.value("config", nlohmann::json::object());
  const std::string name = c.value("name", std::string());
  if (cls == "Mean") return std::make_shared<Mean>(name.empty() ? "mean" : name);
  if (cls == "MeanAbsoluteError") return std::make_shared<MeanAbsoluteError>(MetricOptions{.name = name});
  if (cls == "MeanSquaredError") return std::make_shared<MeanSquaredError>(MetricOptions{.name = name});
  if (cls == "Accuracy") return std::make_shared<Accuracy>(MetricOptions{.name = name});
  if (cls == "BinaryAccuracy")
    return std::make_shared<BinaryAccuracy>(BinaryAccuracyOptions{.threshold = c.value("threshold", 0.5), .name = name});
  if (cls == "CategoricalAccuracy") return std::make_shared<CategoricalAccuracy>(MetricOptions{.name = name});
  if (cls == "SparseCategoricalAccuracy") return std::make_shared<SparseCategoricalAccuracy>(MetricOptions{.name = name});
  throw_invalid_argument("metric_from_config: unknown metric class '{}'", cls);
}

bool is_accuracy_identifier(std::string_view id) { return id == "accuracy" || id == "acc"; }

MetricPtr get_metric(std::string_view id) {
  const std::string name(id);
  if (id == "mae" || id == "mean_absolute_error" || id == "MeanAbsoluteError")
    return std::make_shared<MeanAbsoluteError>(MetricOptions{.name = name});
  if (id == "mse" || id == "mean_squared_error" || id == "MeanSquaredError")
    return std::make_shared<MeanSquaredError>(MetricOptions{.name = name});
  if (id == "binary_accuracy" || id == "BinaryAccuracy")
    return std::make_shared<BinaryAccuracy>(BinaryAccuracyOptions{.name = name});
  if (id == "categorical_accuracy" || id == "CategoricalAccuracy")
    return std::make_shared<CategoricalAccuracy>(MetricOptions{.name = name});
  if (id == "sparse_categorical_accuracy" || id == "SparseCategoricalAccuracy")
    return std::make_shared<SparseCategoricalAccuracy>(MetricOptions{.name = name});
  if (id == "Accuracy") return std::make_shared<Accuracy>();
  throw_invalid_argument(
      "Could not interpret metric identifier: '{}'. Known: accuracy, acc, mae, mean_absolute_error, mse, "
      "mean_squared_error, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy",
      id);
}

MetricPtr resolve_accuracy(std::string_view id, const std::string& loss_name, const Shape& t, const Shape& p) {
  const std::string name(id);
  if (loss_name == "binary_crossentropy") return std::make_shared<BinaryAccuracy>(BinaryAccuracyOptions{.name = name});
  if (loss_name == "sparse_categorical_crossentropy")
    return std::make_shared<SparseCategoricalAccuracy>(MetricOptions{.name = name});
  if (loss_name == "categorical_crossentropy")
    return std::make_shared<CategoricalAccuracy>(MetricOptions{.name = name});
  const std::int64_t t_last = t.ndim() ? t[-1] : 1, p_last = p.ndim() ? p[-1] : 1;
  if (p_last == 1) return std::make_shared<BinaryAccuracy>(BinaryAccuracyOptions{.name = name});
  if (t.ndim() < p.ndim() || (t_last == 1 && p_last > 1))
    return std::make_shared<SparseCategoricalAccuracy>(MetricOptions{.name = name});
  return std::make_shared<CategoricalAccuracy>(MetricOptions{.name = name});
}

}  // namespace minidl::metrics
