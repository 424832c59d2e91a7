#include "minidl/layers/container.h"

#include <cstdio>

#include "minidl/core/error.h"

namespace minidl::layers {

std::shared_ptr<Layer> Container::get_layer(const std::string& name) const {
  std::string names;
  for (const auto& l : layers_) {
    if (l->name() == name) return l;
    names += (names.empty() ? "" : ", ") + l->name();
  }
  throw_invalid_argument("No such layer: {}. Existing layers are: [{}].", name, names);
}

std::shared_ptr<Layer> Container::get_layer(std::size_t index) const {
  if (index >= layers_.size())
    throw_invalid_argument("Was asked to retrieve layer at index {} but model '{}' only has {} layers.", index, name(),
                           layers_.size());
  return layers_[index];
}

std::vector<VariablePtr> Container::weights() const {
  std::vector<VariablePtr> out;
  for (const auto& l : layers_) {
    auto w = l->weights();
    out.insert(out.end(), w.begin(), w.end());
  }
  return out;
}

std::vector<Tensor> Container::losses() const {
  // A frozen model still reports its layers' activity terms (as Keras); the layers themselves
  // leave out the penalties of weights that are not trainable.
  std::vector<Tensor> out;
  for (const auto& l : layers_) {
    auto w = l->losses();
    out.insert(out.end(), w.begin(), w.end());
  }
  return out;
}

void Container::set_trainable(bool trainable) {
  Layer::set_trainable(trainable);
  for (auto& l : layers_) l->set_trainable(trainable);
}

void Container::set_path_prefix(std::string prefix) {
  Layer::set_path_prefix(std::move(prefix));
  for (auto& l : layers_) l->set_path_prefix(path() + "/");
}

std::map<std::string, std::string> Container::rng_states() const {
  std::map<std::string, std::string> out;
  for (const auto& l : layers_) out.merge(l->rng_states());
  return out;
}

void Container::set_rng_states(const std::map<std::string, std::string>& states) {
  for (auto& l : layers_) l->set_rng_states(states);
}

std::string Container::summary_string(const std::optional<OptimizerParams>& optimizer) const {
  return render_summary(*this, summary_table(), optimizer);
}

void Container::summary() const { std::fputs(summary_string().c_str(), stdout); }

}  // namespace minidl::layers
