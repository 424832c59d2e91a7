#include "minidl/optim/model_outputs.h"

#include "minidl/core/io/batching.h"

namespace minidl::optim {

ModelOutputs::ModelOutputs(const std::map<std::string, Tensor>& named) {
  for (const auto& [name, t] : named) {
    names_.push_back(name);
    tensors_.push_back(t);
  }
}

ModelOutputs ModelOutputs::rows(const std::vector<std::int64_t>& idx) const {
  ModelOutputs out;
  out.tensors_.reserve(tensors_.size());
  for (const auto& t : tensors_) out.tensors_.push_back(t.defined() ? io::gather_rows(t, idx) : Tensor());
  out.names_ = names_;
  return out;
}

}  // namespace minidl::optim
