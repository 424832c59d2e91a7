#include "minidl/optim/model_outputs.h"

#include "minidl/core/io/batching.h"

namespace minidl::optim {

ModelOutputs ModelOutputs::rows(const std::vector<std::int64_t>& idx) const {
  std::vector<Tensor> out;
  out.reserve(tensors_.size());
  for (const auto& t : tensors_) out.push_back(io::gather_rows(t, idx));
  return ModelOutputs(std::move(out));
}

}  // namespace minidl::optim
