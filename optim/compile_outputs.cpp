#include "minidl/optim/compile_outputs.h"

#include <algorithm>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "minidl/core/error.h"

namespace minidl::optim::detail {

namespace {

using ::minidl::metrics::MetricArg;
using nlohmann::json;

std::string metric_text(const MetricArg& m) {
  return fmt::format("'{}'", m.metric() ? m.metric()->name() : m.identifier());
}

std::string metrics_text(const std::vector<MetricArg>& ms) {
  std::string s = "[";
  for (std::size_t i = 0; i < ms.size(); ++i) s += (i ? ", " : "") + metric_text(ms[i]);
  return s + "]";
}

std::string output_metrics_text(const PerOutput<std::vector<MetricArg>>& o) {
  std::string s = o.is_map() ? "{" : "[";
  std::size_t i = 0;
  if (o.is_map())
    for (const auto& [k, v] : o.map()) s += fmt::format("{}'{}': {}", i++ ? ", " : "", k, metrics_text(v));
  else
    for (const auto& v : o.list()) s += fmt::format("{}{}", i++ ? ", " : "", metrics_text(v));
  return s + (o.is_map() ? "}" : "]");
}

template <class T>
std::vector<std::string> keys_of(const std::map<std::string, T>& m) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : m) keys.push_back(k);
  return keys;
}

// Keras's CompileMetrics error for metrics that match neither the output names nor the outputs.
[[noreturn]] void bad_metrics(std::string_view arg, const std::vector<std::string>& names, const std::string& received) {
  std::vector<std::string> xs(names.size(), "X");
  throw_invalid_argument("Model.compile: Invalid `{0}`. `{0}` should contain metrics objects and either be a "
                         "dict or a list matching the output names of the functional model {1} or match the output "
                         "structure of the model: {2}. Received: {0}={3}",
                         arg, python_list(names), python_list(xs), received);
}

void plan_losses(const CompileOptions& o, std::vector<CompiledOutput>& plan, const std::vector<std::string>& names) {
  const std::size_t n = names.size();
  if (!o.losses.set()) {
    for (auto& p : plan) p.loss = o.loss;
    return;
  }
  if (o.loss)
    throw_invalid_argument("Model.compile: pass either `loss` (one loss, applied to every output) or `losses` (one per "
                           "output), not both");
  if (o.losses.is_map()) {
    const auto keys = keys_of(o.losses.map());
    if (std::set<std::string>(keys.begin(), keys.end()) != std::set<std::string>(names.begin(), names.end()))
      throw_invalid_argument("Model.compile: Expected keys {} in loss dict, but found loss.keys()={}", python_list(names),
                             python_list(keys));
    for (auto& p : plan) p.loss = o.losses.map().at(p.name);
    return;
  }
  const std::size_t k = o.losses.list().size();
  if (k > n)
    throw_invalid_argument("Model.compile: The path: ({},) in the `loss` argument, can't be found in either the model's "
                           "output (`y_pred`) or in the labels (`y_true`). The model has {} output(s) {}, `losses` holds "
                           "{} losses",
                           n, n, python_list(names), k);
  // Keras leaves the outputs past the list without a loss; a short list is more likely a mistake.
  if (k < n)
    throw_invalid_argument("Model.compile: `losses` holds {} losses for a model with {} outputs {}; pass one per output "
                           "in output order (an empty Loss for an output without loss) or a map keyed by output name",
                           k, n, python_list(names));
  for (std::size_t i = 0; i < n; ++i) plan[i].loss = o.losses.list()[i];
}

void plan_weights(const CompileOptions& o, std::vector<CompiledOutput>& plan, const std::vector<std::string>& names) {
  if (!o.loss_weights.set()) return;
  if (o.loss_weights.is_map()) {
    for (const auto& [k, w] : o.loss_weights.map())
      if (std::find(names.begin(), names.end(), k) == names.end())
        throw_invalid_argument("Model.compile: Expected keys {} in loss_weights dict, but found loss_weights.keys()={}",
                               python_list(names), python_list(keys_of(o.loss_weights.map())));
    for (auto& p : plan)
      if (auto it = o.loss_weights.map().find(p.name); it != o.loss_weights.map().end()) p.weight = it->second;
    return;
  }
  const std::size_t num_losses = o.losses.set() ? plan.size() : 1;  // one `loss` is one loss (Keras)
  const auto& w = o.loss_weights.list();
  if (w.size() != num_losses)
    throw_invalid_argument("Model.compile: `loss_weights` must match the number of losses, got {} losses and {} weights.",
                           num_losses, w.size());
  for (std::size_t i = 0; i < plan.size(); ++i) plan[i].weight = w[num_losses == 1 ? 0 : i];
}

// `metrics` / `output_metrics` (arg "metrics") or their weighted twins into each output's `slot`.
void plan_metrics(const std::vector<MetricArg>& metrics, const PerOutput<std::vector<MetricArg>>& om,
                  std::string_view arg, std::vector<MetricArg> CompiledOutput::*slot, std::vector<CompiledOutput>& plan,
                  const std::vector<std::string>& names) {
  const std::size_t n = names.size();
  if (!metrics.empty() && om.set())
    throw_invalid_argument("Model.compile: pass either `{0}` or `output_{0}`, not both", arg);
  if (!om.set()) {
    if (metrics.empty()) return;
    if (n == 1) plan[0].*slot = metrics;  // Keras: a single output takes every metric
    else if (metrics.size() == n)
      for (std::size_t i = 0; i < n; ++i) plan[i].*slot = {metrics[i]};
    else bad_metrics(arg, names, metrics_text(metrics));
    return;
  }
  if (om.is_map()) {
    for (const auto& [k, v] : om.map())
      if (std::find(names.begin(), names.end(), k) == names.end()) bad_metrics(arg, names, output_metrics_text(om));
    for (auto& p : plan)
      if (auto it = om.map().find(p.name); it != om.map().end()) p.*slot = it->second;
  } else {
    if (om.list().size() != n) bad_metrics(arg, names, output_metrics_text(om));
    for (std::size_t i = 0; i < n; ++i) plan[i].*slot = om.list()[i];
  }
}

}  // namespace

std::string python_list(const std::vector<std::string>& names) {
  std::string s = "[";
  for (std::size_t i = 0; i < names.size(); ++i) s += fmt::format("{}'{}'", i ? ", " : "", names[i]);
  return s + "]";
}

std::vector<CompiledOutput> plan_outputs(const CompileOptions& o, const std::vector<std::string>& names) {
  std::vector<CompiledOutput> plan(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) plan[i].name = names[i];
  plan_losses(o, plan, names);
  plan_weights(o, plan, names);
  plan_metrics(o.metrics, o.output_metrics, "metrics", &CompiledOutput::metric_args, plan, names);
  plan_metrics(o.weighted_metrics, o.output_weighted_metrics, "weighted_metrics", &CompiledOutput::weighted_metric_args,
               plan, names);
  // Keras tracks each output's loss when there are several.
  if (std::count_if(plan.begin(), plan.end(), [](const auto& p) { return static_cast<bool>(p.loss); }) > 1)
    for (auto& p : plan)
      if (p.loss) p.loss_tracker = std::make_shared<::minidl::metrics::Mean>(p.name + "_loss");
  for (const auto& p : plan)
    for (const auto* args : {&p.metric_args, &p.weighted_metric_args})
      for (const auto& m : *args)  // unknown names fail now, not at the first batch
        if (!m.metric() && !::minidl::metrics::is_accuracy_identifier(m.identifier()))
          ::minidl::metrics::get_metric(m.identifier());
  return plan;
}

json loss_config(const Loss& loss) {
  if (!loss) return nullptr;
  return loss.identifier().empty() ? loss.serialize() : json(loss.identifier());
}

json metric_config(const MetricArg& m) {
  if (!m.metric()) return m.identifier();
  return {{"module", "keras.metrics"},
          {"class_name", m.metric()->class_name()},
          {"config", m.metric()->get_config()},
          {"registered_name", nullptr}};
}

json losses_config(const Loss& loss, const PerOutput<Loss>& losses) {
  if (!losses.set()) return loss_config(loss);
  json out = losses.is_map() ? json::object() : json::array();
  if (losses.is_map())
    for (const auto& [k, l] : losses.map()) out[k] = loss_config(l);
  else
    for (const auto& l : losses.list()) out.push_back(loss_config(l));
  return out;
}

json loss_weights_config(const PerOutput<double>& weights) {
  if (!weights.set()) return nullptr;
  if (weights.is_map()) return json(weights.map());
  return json(weights.list());
}

json metrics_config(const std::vector<MetricArg>& metrics, const PerOutput<std::vector<MetricArg>>& output_metrics) {
  auto list = [](const std::vector<MetricArg>& ms) {
    json a = json::array();
    for (const auto& m : ms) a.push_back(metric_config(m));
    return a;
  };
  if (!output_metrics.set()) return list(metrics);
  json out = output_metrics.is_map() ? json::object() : json::array();
  if (output_metrics.is_map())
    for (const auto& [k, ms] : output_metrics.map()) out[k] = list(ms);
  else
    for (const auto& ms : output_metrics.list()) out.push_back(list(ms));
  return out;
}

namespace {

// A serialized object ({"class_name": ...}) is one loss or metric; another object is a dict keyed
// by output name.
bool is_keyed(const json& j) { return j.is_object() && !j.contains("class_name"); }

Loss read_loss(const json& j) { return j.is_null() ? Loss() : Loss::from_config(j); }

MetricArg read_metric(const json& j) {
  if (j.is_string()) return MetricArg(j.get<std::string>());
  return MetricArg(::minidl::metrics::metric_from_config(j));
}

std::vector<MetricArg> read_metric_list(const json& j) {
  std::vector<MetricArg> out;
  for (const auto& m : j) out.push_back(read_metric(m));
  return out;
}

// A metrics entry of compile_config: a flat list, a list of lists (per output) or a dict by output.
void read_metrics(const json& metrics, std::vector<MetricArg>& flat, PerOutput<std::vector<MetricArg>>& per_output) {
  if (is_keyed(metrics)) {
    std::map<std::string, std::vector<MetricArg>> ms;
    for (const auto& [k, v] : metrics.items()) ms.emplace(k, read_metric_list(v));
    per_output = std::move(ms);
  } else if (metrics.is_array() && !metrics.empty() && metrics[0].is_array()) {
    std::vector<std::vector<MetricArg>> ms;
    for (const auto& v : metrics) ms.push_back(read_metric_list(v));
    per_output = std::move(ms);
  } else if (metrics.is_array()) flat = read_metric_list(metrics);
}

}  // namespace

void read_compile_outputs(const json& cc, CompileOptions& co) {
  const json loss = cc.value("loss", json());
  if (loss.is_array()) {
    std::vector<Loss> ls;
    for (const auto& l : loss) ls.push_back(read_loss(l));
    co.losses = std::move(ls);
  } else if (is_keyed(loss)) {
    std::map<std::string, Loss> ls;
    for (const auto& [k, l] : loss.items()) ls[k] = read_loss(l);
    co.losses = std::move(ls);
  } else co.loss = read_loss(loss);

  const json weights = cc.value("loss_weights", json());
  if (weights.is_number()) co.loss_weights = std::vector<double>{weights.get<double>()};
  else if (weights.is_array()) co.loss_weights = weights.get<std::vector<double>>();
  else if (weights.is_object()) co.loss_weights = weights.get<std::map<std::string, double>>();

  read_metrics(cc.value("metrics", json()), co.metrics, co.output_metrics);
  read_metrics(cc.value("weighted_metrics", json()), co.weighted_metrics, co.output_weighted_metrics);
}

}  // namespace minidl::optim::detail
