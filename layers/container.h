#pragma once
// A layer made of sublayers (Sequential, Functional). Its weights, losses, trainability, weight
// paths and random states are those of its sublayers, each counted once and in order.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "minidl/layers/layer.h"
#include "minidl/layers/summary.h"

namespace minidl::layers {

class Container : public Layer {
 public:
  using Layer::Layer;
  const std::vector<std::shared_ptr<Layer>>& layers() const { return layers_; }
  // Keras's model.get_layer(name) / get_layer(index=...): throws invalid_argument naming the
  // existing layers when there is no such layer.
  std::shared_ptr<Layer> get_layer(const std::string& name) const;
  std::shared_ptr<Layer> get_layer(std::size_t index) const;

  // Keras's model.summary() (layers/summary.h): the table of sublayers, then the totals, and the
  // optimizer's line when optim::Model::summary passes its variables.
  std::string summary_string(const std::optional<OptimizerParams>& optimizer = std::nullopt) const;
  void summary() const;

  std::vector<VariablePtr> weights() const override;
  std::vector<Tensor> losses() const override;
  void set_trainable(bool trainable) override;
  void set_path_prefix(std::string prefix) override;
  std::map<std::string, std::string> rng_states() const override;
  void set_rng_states(const std::map<std::string, std::string>& states) override;

 protected:
  // The summary's columns and one row per sublayer.
  virtual SummaryTable summary_table() const = 0;

  std::vector<std::shared_ptr<Layer>> layers_;
};

}  // namespace minidl::layers
