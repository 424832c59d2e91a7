#include "minidl/layers/reshaping1d.h"

#include "minidl/autograd/ops/conv2d.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/autograd/ops/upsampling2d.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"
#include "minidl/layers/steps_view.h"
#include "minidl/layers/tuple_arg.h"

namespace minidl::layers {

namespace {

// An (a, b) argument written as Keras's get_config does: [a, b].
nlohmann::json pair_json(IntPair p) { return {p.first, p.second}; }

// Keras's positive-int check of UpSampling1D's size and RepeatVector's n.
void require_positive(const char* op, const char* name, std::int64_t v) {
  if (v <= 0)
    throw_invalid_argument("{}: Argument `{}` should be a positive integer. Received: {}={}", op, name, name, v);
}

// Known extents grow or shrink; unknown (-1) stay unknown.
std::int64_t add_known(std::int64_t n, std::int64_t delta) { return n < 0 ? n : n + delta; }

}  // namespace

UpSampling1D::UpSampling1D(const UpSampling1DOptions& o) : Layer("UpSampling1D", common_options(o)), size_(o.size) {
  require_positive("UpSampling1D", "size", size_);
}

UpSampling1D UpSampling1D::from_config(const nlohmann::json& c) {
  UpSampling1DOptions o;
  config::read_common(c, o);
  if (c.contains("size")) o.size = json_int(c["size"], "size");
  return UpSampling1D(o);
}

Shape UpSampling1D::compute_output_shape(const Shape& in) const {
  require_rank(in, 3);
  return Shape{in[0], in[1] < 0 ? in[1] : in[1] * size_, in[2]};
}

// Nearest 2-D upsampling by (1, size) of the height-1 image is exactly Keras's repeat along steps.
Tensor UpSampling1D::call(const Tensor& x, bool) {
  return image_to_steps(upsampling2d(steps_to_image(x, true), {1, size_}, "channels_last", "nearest"), true);
}

nlohmann::json UpSampling1D::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["size"] = size_;
  return c;
}

ZeroPadding1D::ZeroPadding1D(const ZeroPadding1DOptions& o)
    : Layer("ZeroPadding1D", common_options(o)),
      padding_(o.padding),
      channels_last_(is_channels_last(o.data_format, "ZeroPadding1D")) {
  check_int_tuple("ZeroPadding1D", "padding", {padding_.first, padding_.second}, false, 2, true);
}

ZeroPadding1D ZeroPadding1D::from_config(const nlohmann::json& c) {
  ZeroPadding1DOptions o;
  config::read_common(c, o);
  if (c.contains("padding")) o.padding = config::int_pair(c["padding"]);
  if (c.contains("data_format") && !c["data_format"].is_null()) o.data_format = c["data_format"].get<std::string>();
  return ZeroPadding1D(o);
}

Shape ZeroPadding1D::compute_output_shape(const Shape& in) const {
  require_rank(in, 3);
  std::vector<std::int64_t> d = in.dims();
  const std::size_t steps = channels_last_ ? 1 : 2;
  d[steps] = add_known(d[steps], padding_.first + padding_.second);
  return Shape(d.begin(), d.end());
}

Tensor ZeroPadding1D::call(const Tensor& x, bool) {
  std::vector<std::pair<std::int64_t, std::int64_t>> p(3, {0, 0});
  p[channels_last_ ? 1 : 2] = {padding_.first, padding_.second};
  return pad(x, p);
}

nlohmann::json ZeroPadding1D::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["padding"] = pair_json(padding_);
  c["data_format"] = channels_last_ ? "channels_last" : "channels_first";
  return c;
}

Cropping1D::Cropping1D(const Cropping1DOptions& o) : Layer("Cropping1D", common_options(o)), cropping_(o.cropping) {
  check_int_tuple("Cropping1D", "cropping", {cropping_.first, cropping_.second}, false, 2, true);
}

Cropping1D Cropping1D::from_config(const nlohmann::json& c) {
  Cropping1DOptions o;
  config::read_common(c, o);
  if (c.contains("cropping")) o.cropping = config::int_pair(c["cropping"]);
  return Cropping1D(o);
}

// Keras's check: at least one step must remain (an unknown length passes until called).
void Cropping1D::check_input(const Shape& in) const {
  require_rank(in, 3);
  if (in[1] >= 0 && cropping_.first + cropping_.second >= in[1])
    throw_invalid_argument(
        "Cropping1D: `cropping` parameter of `Cropping1D` layer must be smaller than the input length. Received: "
        "input_shape={}, cropping=({}, {})",
        shape_str(in), cropping_.first, cropping_.second);
}

Shape Cropping1D::compute_output_shape(const Shape& in) const {
  check_input(in);
  return Shape{in[0], add_known(in[1], -cropping_.first - cropping_.second), in[2]};
}

Tensor Cropping1D::call(const Tensor& x, bool) {
  return slice(x, 1, cropping_.first, x.shape()[1] - cropping_.second);
}

nlohmann::json Cropping1D::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["cropping"] = pair_json(cropping_);
  return c;
}

RepeatVector::RepeatVector(const RepeatVectorOptions& o) : Layer("RepeatVector", common_options(o)), n_(o.n) {
  require_positive("RepeatVector", "n", n_);
}

RepeatVector RepeatVector::from_config(const nlohmann::json& c) {
  RepeatVectorOptions o;
  config::read_common(c, o);
  o.n = json_int(c.at("n"), "n");
  return RepeatVector(o);
}

Shape RepeatVector::compute_output_shape(const Shape& in) const {
  require_rank(in, 2);
  return Shape{in[0], n_, in[1]};
}

// A broadcast of (batch, 1, features): the gradient sums over the n copies.
Tensor RepeatVector::call(const Tensor& x, bool) {
  const Shape& s = x.shape();
  return broadcast_to(reshape(x, Shape{s[0], 1, s[1]}), Shape{s[0], n_, s[1]});
}

nlohmann::json RepeatVector::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["n"] = n_;
  return c;
}

}  // namespace minidl::layers
