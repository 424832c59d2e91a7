#include "minidl/layers/reshaping.h"

#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"

namespace minidl::layers {

// ---- Flatten ----

Flatten::Flatten(const FlattenOptions& o)
    : Layer("Flatten", common_options(o)), channels_last_(is_channels_last(o.data_format, "Flatten")) {}

Shape Flatten::compute_output_shape(const Shape& in) const {
  std::int64_t n = 1;
  for (std::int64_t d = 1; d < in.ndim(); ++d) n = (n < 0 || in[d] < 0) ? -1 : n * in[d];
  return in.ndim() == 0 ? Shape{1} : Shape{in[0], n};
}

Tensor Flatten::call(const Tensor& x, bool) {
  if (x.ndim() < 2) return reshape(x, {x.ndim() == 0 ? 1 : x.shape()[0], 1});
  Tensor t = x;
  if (!channels_last_ && x.ndim() > 2) {  // channels to the end first, so both layouts flatten alike
    std::vector<std::int64_t> order{0};
    for (std::int64_t d = 2; d < x.ndim(); ++d) order.push_back(d);
    order.push_back(1);
    t = permute(x, order);
  }
  return reshape(t, {x.shape()[0], -1});
}

nlohmann::json Flatten::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["data_format"] = channels_last_ ? "channels_last" : "channels_first";
  return c;
}

// ---- Reshape ----

Reshape::Reshape(const ReshapeOptions& o) : Layer("Reshape", common_options(o)), target_(o.target_shape) {
  int unknown = 0;
  for (auto d : target_) {
    if (d == -1) ++unknown;
    else if (d <= 0)
      throw_invalid_argument("Reshape: target_shape extents must be positive (or one -1), received target_shape=({})",
                             fmt::join(target_, ", "));
  }
  if (unknown > 1)
    throw_invalid_argument("Reshape: at most one extent of target_shape may be -1, received target_shape=({})",
                           fmt::join(target_, ", "));
}

Shape Reshape::compute_output_shape(const Shape& in) const {
  std::vector<std::int64_t> dims{in.ndim() > 0 ? in[0] : -1};
  std::int64_t known = 1, total = 1;
  bool total_known = true;
  for (std::int64_t d = 1; d < in.ndim(); ++d) {
    if (in[d] < 0) total_known = false;
    else total *= in[d];
  }
  for (auto d : target_)
    if (d > 0) known *= d;
  for (auto d : target_) dims.push_back(d == -1 ? (total_known ? total / known : -1) : d);
  return Shape(dims.begin(), dims.end());
}

void Reshape::check_input(const Shape& in) const {
  std::int64_t total = 1, known = 1;
  for (std::int64_t d = 1; d < in.ndim(); ++d) {
    if (in[d] < 0) return;  // unknown until called
    total *= in[d];
  }
  bool has_unknown = false;
  for (auto d : target_) (d == -1 ? has_unknown = true : known *= d);
  if (has_unknown ? (total % known != 0) : (total != known))
    throw_invalid_argument(
        "layer '{}' (Reshape): total size of the input (excluding the batch axis) must equal that of the "
        "target_shape: input shape {} has {} elements per sample, target_shape=({})",
        name(), shape_str(in), total, fmt::join(target_, ", "));
}

Tensor Reshape::call(const Tensor& x, bool) {
  std::vector<std::int64_t> dims{x.shape()[0]};
  dims.insert(dims.end(), target_.begin(), target_.end());
  return reshape(x, Shape(dims.begin(), dims.end()));
}

nlohmann::json Reshape::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["target_shape"] = target_;
  return c;
}

// ---- ZeroPadding2D ----

ZeroPadding2D::ZeroPadding2D(const ZeroPadding2DOptions& o)
    : Layer("ZeroPadding2D", common_options(o)), options_(o), channels_last_(is_channels_last(o.data_format, "ZeroPadding2D")) {
  for (auto v : pads())
    if (v < 0)
      throw_invalid_argument("ZeroPadding2D: padding must be >= 0, received (({}, {}), ({}, {}))", o.padding[0].first,
                             o.padding[0].second, o.padding[1].first, o.padding[1].second);
}

ZeroPadding2D ZeroPadding2D::symmetric(IntPair rows_columns, const ZeroPadding2DOptions& rest) {
  ZeroPadding2DOptions o = rest;
  o.padding = {IntPair(rows_columns.first), IntPair(rows_columns.second)};
  return ZeroPadding2D(o);
}

Padding4 ZeroPadding2D::pads() const {
  return {options_.padding[0].first, options_.padding[0].second, options_.padding[1].first, options_.padding[1].second};
}

Shape ZeroPadding2D::compute_output_shape(const Shape& in) const {
  require_rank(in, 4);
  const int h = channels_last_ ? 1 : 2;
  const Padding4 p = pads();
  std::vector<std::int64_t> dims = in.dims();
  if (dims[h] >= 0) dims[h] += p[0] + p[1];
  if (dims[h + 1] >= 0) dims[h + 1] += p[2] + p[3];
  return Shape(dims.begin(), dims.end());
}

Tensor ZeroPadding2D::call(const Tensor& x, bool) {
  const Padding4 p = pads();
  std::vector<std::pair<std::int64_t, std::int64_t>> pads(4, {0, 0});
  const int h = channels_last_ ? 1 : 2;
  pads[h] = {p[0], p[1]};
  pads[h + 1] = {p[2], p[3]};
  return pad(x, pads);
}

nlohmann::json ZeroPadding2D::get_config() const {
  nlohmann::json c = Layer::get_config();
  const Padding4 p = pads();
  c["padding"] = {{p[0], p[1]}, {p[2], p[3]}};
  c["data_format"] = channels_last_ ? "channels_last" : "channels_first";
  return c;
}

}  // namespace minidl::layers
