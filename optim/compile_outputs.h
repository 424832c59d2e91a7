#pragma once
// Internal to optim/ (not part of the public API): Keras 3's CompileLoss / CompileMetrics rules
// that turn compile()'s loss, losses, loss_weights, metrics and output_metrics into one entry per
// model output, and their compile_config form (saved with the model, read back by load_model).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "minidl/optim/model.h"

namespace minidl::optim::detail {

// Throws Keras's errors for arguments that do not fit the outputs (a loss map with unknown or
// missing names, too many losses, loss_weights of another length, metrics of another structure).
std::vector<CompiledOutput> plan_outputs(const CompileOptions& o, const std::vector<std::string>& output_names);

// ['cls', 'reg'], as Python prints a list of names in Keras's messages.
std::string python_list(const std::vector<std::string>& names);

// compile_config's "loss", "loss_weights" and "metrics" as Keras writes them (a list or dict for
// per-output arguments), and back into CompileOptions.
nlohmann::json loss_config(const Loss& loss);
nlohmann::json metric_config(const ::minidl::metrics::MetricArg& metric);
nlohmann::json losses_config(const Loss& loss, const PerOutput<Loss>& losses);
nlohmann::json loss_weights_config(const PerOutput<double>& weights);
nlohmann::json metrics_config(const std::vector<::minidl::metrics::MetricArg>& metrics,
                              const PerOutput<std::vector<::minidl::metrics::MetricArg>>& output_metrics);
void read_compile_outputs(const nlohmann::json& compile_config, CompileOptions& options);

}  // namespace minidl::optim::detail
