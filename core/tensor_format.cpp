// Printable form of a tensor, like PyTorch's repr: nested brackets, long axes summarised.
#include <string>

#include "minidl/core/tensor.h"

namespace minidl {

namespace {

constexpr std::int64_t kSummariseAbove = 1000;  // elements
constexpr std::int64_t kEdgeItems = 3;

void append_axis(std::string& out, const Tensor& t, const std::vector<double>& values, std::int64_t axis,
                 std::int64_t offset, bool summarise, std::size_t indent) {
  const auto& dims = t.shape().dims();
  const std::int64_t n = dims[static_cast<std::size_t>(axis)];
  std::int64_t stride = 1;
  for (std::size_t i = static_cast<std::size_t>(axis) + 1; i < dims.size(); ++i) stride *= dims[i];
  const bool last = axis + 1 == t.ndim();
  out += '[';
  for (std::int64_t i = 0; i < n; ++i) {
    if (summarise && n > 2 * kEdgeItems && i == kEdgeItems) {
      out += last ? "..., " : fmt::format("...,\n{}", std::string(indent + 1, ' '));
      i = n - kEdgeItems;
    }
    if (last) {
      out += fmt::format("{:.6g}", values[static_cast<std::size_t>(offset + i)]);
    } else {
      append_axis(out, t, values, axis + 1, offset + i * stride, summarise, indent + 1);
    }
    if (i + 1 < n) {
      if (last) {
        out += ", ";
      } else {
        out += ',';
        out += std::string(static_cast<std::size_t>(t.ndim() - axis - 1), '\n');
        out += std::string(indent + 1, ' ');
      }
    }
  }
  out += ']';
}

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  const std::vector<double> values = to_vector<double>();
  std::string body;
  if (ndim() == 0) {
    body = fmt::format("{:.6g}", values[0]);
  } else if (numel() == 0) {
    body = "[]";
  } else {
    append_axis(body, *this, values, 0, 0, numel() > kSummariseAbove, 7);
  }
  std::string out = fmt::format("tensor({}, shape={}, dtype={}", body, shape(), dtype());
  if (requires_grad()) out += ", requires_grad=true";
  out += ')';
  return out;
}

}  // namespace minidl
