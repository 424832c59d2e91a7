#include <cstdio>

#include "minidl/layers/container.h"
#include "minidl/layers/summary.h"
#include "minidl/optim/model.h"

namespace minidl::optim {

namespace {

// Keras's optimizer.variables as count and bytes: "iterations" is an int64, the learning rate and
// global accumulators are float32 scalars, each slot has its variable's dtype.
layers::OptimizerParams optimizer_params(const Optimizer& optimizer) {
  layers::OptimizerParams p;
  for (const auto& [name, t] : optimizer.state()) {
    p.count += t.numel();
    const bool scalar_of_optimizer = name.find('/') == std::string::npos;
    p.bytes += static_cast<double>(t.numel()) *
               (name == "iterations" ? 8.0 : scalar_of_optimizer ? 4.0 : static_cast<double>(dtype_size(t.dtype())));
  }
  return p;
}

}  // namespace

std::string Model::summary_string() const {
  std::optional<layers::OptimizerParams> opt;
  if (compiled() && optimizer().iterations() > 0) opt = optimizer_params(optimizer());
  if (const auto* container = dynamic_cast<const layers::Container*>(network_.get()))
    return container->summary_string(opt);
  // A single layer as the model: one row.
  std::string shape = "?";
  if (input_shapes_.size() == 1) shape = layers::shape_str(network_->compute_output_shape(input_shapes_[0]));
  return layers::render_summary(
      *network_,
      {layers::sequential_summary_columns(),
       {{fmt::format("{} ({})", network_->name(), network_->class_name()), shape, layers::param_count_cell(*network_)}}},
      opt);
}

void Model::summary() const { std::fputs(summary_string().c_str(), stdout); }

}  // namespace minidl::optim
