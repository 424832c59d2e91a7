#include "minidl/layers/cropping2d.h"

#include <set>

#include "minidl/autograd/ops/conv2d.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"
#include "minidl/core/json_number.h"

namespace minidl::layers {

namespace {

// Python's repr of the normalised value: ((1, 2), (3, 4)).
std::string pairs_str(IntPair h, IntPair w) {
  return fmt::format("(({}, {}), ({}, {}))", h.first, h.second, w.first, w.second);
}

// Keras's standardize_tuple(entry, 2, "<which> entry of cropping", allow_zero=True).
void check_entry(IntPair v, bool from_int, const char* which) {
  std::set<std::int64_t> bad;
  for (auto e : v.array())
    if (e < 0) bad.insert(e);
  if (bad.empty()) return;
  const std::string value = from_int ? fmt::format("{}", v.first) : fmt::format("({}, {})", v.first, v.second);
  throw_invalid_argument(
      "Cropping2D: The `{0} entry of cropping` argument must be a tuple of 2 integers. Received {0} entry of "
      "cropping={1}, including values {{{2}}} that do not satisfy `value >= 0`",
      which, value, fmt::join(bad, ", "));
}

}  // namespace

Cropping2DArg Cropping2DArg::from_config(const nlohmann::json& j) {
  if (j.is_number()) return Cropping2DArg(json_int(j, "cropping"));
  if (!j.is_array())
    throw_invalid_argument(
        "Cropping2D: `cropping` should be either an int, a tuple of 2 ints (symmetric_height_crop, "
        "symmetric_width_crop), or a tuple of 2 tuples of 2 ints ((top_crop, bottom_crop), (left_crop, right_crop)). "
        "Received: cropping={}.",
        j.dump());
  if (j.size() != 2)
    throw_invalid_argument("Cropping2D: `cropping` should have two elements. Received: cropping={}.", j.dump());
  if (j[0].is_number() && j[1].is_number())
    return Cropping2DArg(json_int(j[0], "cropping"), json_int(j[1], "cropping"));
  const char* which[2] = {"1st", "2nd"};
  IntPair entries[2];
  for (int i = 0; i < 2; ++i) {
    const auto& e = j[static_cast<std::size_t>(i)];
    if (e.is_number()) entries[i] = IntPair(json_int(e, "cropping"));
    else if (e.is_array() && e.size() == 2 && e[0].is_number() && e[1].is_number())
      entries[i] = IntPair(json_int(e[0], "cropping"), json_int(e[1], "cropping"));
    else
      throw_invalid_argument(
          "Cropping2D: The `{0} entry of cropping` argument must be a tuple of 2 integers. Received {0} entry of "
          "cropping={1}",
          which[i], e.dump());
  }
  return Cropping2DArg(entries[0], entries[1]);
}

Cropping2D::Cropping2D(const Cropping2DOptions& o)
    : Layer("Cropping2D", common_options(o)),
      rows_(o.cropping.height),
      cols_(o.cropping.width),
      channels_last_(is_channels_last(o.data_format, "Cropping2D")) {
  using Form = Cropping2DArg::Form;
  if (o.cropping.form == Form::Int) {
    if (rows_.first < 0)
      throw_invalid_argument("Cropping2D: `cropping` cannot be negative. Received: cropping={}.", rows_.first);
    return;
  }
  check_entry(rows_, o.cropping.form == Form::Pair, "1st");
  check_entry(cols_, o.cropping.form == Form::Pair, "2nd");
}

// Keras's check: every cropped extent must stay >= 1 (unknown extents pass until called).
void Cropping2D::check_input(const Shape& in) const {
  require_rank(in, 4);
  const int h = channels_last_ ? 1 : 2;
  const bool too_much = (in[h] >= 0 && rows_.first + rows_.second >= in[h]) ||
                        (in[h + 1] >= 0 && cols_.first + cols_.second >= in[h + 1]);
  if (too_much)
    throw_invalid_argument(
        "layer '{}' (Cropping2D): Values in `cropping` argument should be smaller than the corresponding spatial "
        "dimension of the input. Received: input_shape={}, cropping={}",
        name(), shape_str(in), pairs_str(rows_, cols_));
}

Shape Cropping2D::compute_output_shape(const Shape& in) const {
  check_input(in);
  const int h = channels_last_ ? 1 : 2;
  std::vector<std::int64_t> dims = in.dims();
  if (dims[h] >= 0) dims[h] -= rows_.first + rows_.second;
  if (dims[h + 1] >= 0) dims[h + 1] -= cols_.first + cols_.second;
  return Shape(dims.begin(), dims.end());
}

Tensor Cropping2D::call(const Tensor& x, bool) {
  const int h = channels_last_ ? 1 : 2;
  // One slice per axis; the width slice is skipped when it would keep everything (the height slice
  // always runs, so the output never aliases the input).
  Tensor y = slice(x, h, rows_.first, x.shape()[h] - rows_.second);
  if (cols_.first != 0 || cols_.second != 0) y = slice(y, h + 1, cols_.first, x.shape()[h + 1] - cols_.second);
  return y;
}

nlohmann::json Cropping2D::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["cropping"] = {{rows_.first, rows_.second}, {cols_.first, cols_.second}};
  c["data_format"] = channels_last_ ? "channels_last" : "channels_first";
  return c;
}

}  // namespace minidl::layers
