#pragma once
// Multi-output models in optim::Model (Keras 3's semantics):
//  - ModelOutputs: the y of fit / evaluate / train_on_batch / test_on_batch, one tensor per model
//    output in output order (model.fit(x, {y_cls, y_reg})), and what predict_outputs returns. It
//    converts implicitly from one Tensor, so single-output code is unchanged, and may be a map
//    keyed by output name (Keras's y={"cls": ..., "reg": ...}), which Model puts in output order.
//  - PerOutput<T>: compile()'s per-output arguments, a list in output order or a map keyed by
//    output name (the name of the layer producing the output), as Keras's loss=[...] / loss={...}.
//  - SampleWeights: fit / evaluate's sample_weight, in the same forms: one tensor (every output
//    uses it, as Keras repeats a single weight), one per output in output order, or a map keyed by
//    output name (an output left out is unweighted). Each holds one weight per sample.
//  - CompiledOutput: what compile() resolved for one output (Model::compiled_outputs()).
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "minidl/core/tensor.h"
#include "minidl/optim/losses.h"
#include "minidl/optim/metrics.h"

namespace minidl::optim {

class ModelOutputs {
 public:
  ModelOutputs() = default;
  ModelOutputs(const Tensor& y) : tensors_{y} {}
  ModelOutputs(std::vector<Tensor> ys) : tensors_(std::move(ys)) {}
  ModelOutputs(std::initializer_list<Tensor> ys) : tensors_(ys) {}
  ModelOutputs(const std::map<std::string, Tensor>& named);
  ModelOutputs(std::initializer_list<std::pair<const std::string, Tensor>> named)
      : ModelOutputs(std::map<std::string, Tensor>(named)) {}

  std::size_t size() const { return tensors_.size(); }
  const Tensor& operator[](std::size_t i) const { return tensors_[i]; }
  const std::vector<Tensor>& tensors() const { return tensors_; }
  std::vector<Tensor>::const_iterator begin() const { return tensors_.begin(); }
  std::vector<Tensor>::const_iterator end() const { return tensors_.end(); }
  // The output names of a map (sorted, one per tensor); empty for a list.
  const std::vector<std::string>& names() const { return names_; }

  // The samples `idx` of every tensor (the same rows of each), as new contiguous tensors; an
  // undefined entry stays undefined.
  ModelOutputs rows(const std::vector<std::int64_t>& idx) const;

 private:
  std::vector<Tensor> tensors_;
  std::vector<std::string> names_;
};

// fit / evaluate's sample_weight (see above); empty: no weights.
using SampleWeights = ModelOutputs;

// Unset, a list (one entry per output, in output order) or a map (output name -> entry).
template <class T>
class PerOutput {
 public:
  PerOutput() = default;
  PerOutput(std::vector<T> list) : list_(std::move(list)), set_(true) {}
  PerOutput(std::initializer_list<T> list) : list_(list), set_(true) {}
  PerOutput(std::map<std::string, T> map) : map_(std::move(map)), is_map_(true), set_(true) {}
  PerOutput(std::initializer_list<std::pair<const std::string, T>> map) : map_(map), is_map_(true), set_(true) {}

  bool set() const { return set_; }
  bool is_map() const { return is_map_; }
  const std::vector<T>& list() const { return list_; }
  const std::map<std::string, T>& map() const { return map_; }
  std::size_t size() const { return is_map_ ? map_.size() : list_.size(); }

 private:
  std::vector<T> list_;
  std::map<std::string, T> map_;
  bool is_map_ = false;
  bool set_ = false;
};

struct CompiledOutput {
  std::string name;  // the output's name (the layer producing it)
  Loss loss;         // empty: the output adds nothing to the loss (Keras's None)
  std::optional<double> weight;  // unset: 1
  std::vector<::minidl::metrics::MetricArg> metric_args;
  std::vector<::minidl::metrics::MetricPtr> metrics;  // resolved at the first batch ("accuracy")
  // compile()'s weighted_metrics: the only metrics that see sample_weight (Keras 3).
  std::vector<::minidl::metrics::MetricArg> weighted_metric_args;
  std::vector<::minidl::metrics::MetricPtr> weighted_metrics;
  // Keras's "<name>_loss" tracker of the unweighted loss, when two or more outputs have a loss.
  std::shared_ptr<::minidl::metrics::Mean> loss_tracker;
};

}  // namespace minidl::optim
