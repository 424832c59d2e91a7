#pragma once
// Keras's Cropping2D: drops rows from the top and bottom and columns from the left and right.
// The output is a slice of the input, so the gradient flows to the kept window only.
#include <nlohmann/json.hpp>

#include "minidl/layers/layer.h"

namespace minidl::layers {

// Keras's three spellings of `cropping`:
//   .cropping = 2                 -> ((2, 2), (2, 2))
//   .cropping = {1, 2}            -> ((1, 1), (2, 2))  (symmetric_height_crop, symmetric_width_crop)
//   .cropping = {{1, 2}, {3, 4}}  -> ((top, bottom), (left, right))
// The spelling is remembered so that the errors quote the value as Keras does.
struct Cropping2DArg {
  enum class Form { Int, Pair, Pairs };
  IntPair height{0}, width{0};  // (top, bottom), (left, right)
  Form form = Form::Pairs;

  Cropping2DArg() = default;
  Cropping2DArg(std::int64_t all) : height(all), width(all), form(Form::Int) {}
  Cropping2DArg(std::int64_t h, std::int64_t w) : height(h), width(w), form(Form::Pair) {}
  Cropping2DArg(IntPair h, IntPair w) : height(h), width(w), form(Form::Pairs) {}
  // Reads an int, [h, w] or [[top, bottom], [left, right]] (Keras's get_config writes the last).
  static Cropping2DArg from_config(const nlohmann::json& j);
};

struct Cropping2DOptions {
  Cropping2DArg cropping{};  // ((0, 0), (0, 0)), as Keras
  std::string data_format = "channels_last";
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Cropping2D : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(Cropping2D)
  explicit Cropping2D(const Cropping2DOptions& options = {});
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 protected:
  void check_input(const Shape& input_shape) const override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  IntPair rows_, cols_;  // (top, bottom), (left, right)
  bool channels_last_;
};

}  // namespace minidl::layers
