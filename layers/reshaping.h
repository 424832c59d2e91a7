#pragma once
// Keras's reshaping layers: Flatten, Reshape, ZeroPadding2D. No weights.
#include <vector>

#include "minidl/autograd/ops/conv2d.h"
#include "minidl/layers/layer.h"

namespace minidl::layers {

struct FlattenOptions {
  std::string data_format = "channels_last";  // channels_first inputs are flattened in channels_last order, as Keras
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Flatten : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(Flatten)
  explicit Flatten(const FlattenOptions& options = {});
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  bool channels_last_;
};

struct ReshapeOptions {
  std::vector<std::int64_t> target_shape{};  // without the batch axis; one extent may be -1
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Reshape : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(Reshape)
  explicit Reshape(const ReshapeOptions& options);
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 protected:
  void check_input(const Shape& input_shape) const override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::vector<std::int64_t> target_;
};

struct ZeroPadding2DOptions {
  // ((top, bottom), (left, right)); one int or a pair gives symmetric padding, as Keras.
  std::array<IntPair, 2> padding = {IntPair(1), IntPair(1)};
  std::string data_format = "channels_last";
  MINIDL_LAYER_COMMON_OPTIONS;
};

class ZeroPadding2D : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(ZeroPadding2D)
  explicit ZeroPadding2D(const ZeroPadding2DOptions& options = {});
  // Keras's shorthands: ZeroPadding2D(2) and ZeroPadding2D({1, 2}) (symmetric rows, columns).
  static ZeroPadding2D symmetric(IntPair rows_columns, const ZeroPadding2DOptions& rest = {});
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 protected:
  void check_input(const Shape& input_shape) const override { require_rank(input_shape, 4); }
  Tensor call(const Tensor& x, bool training) override;

 private:
  Padding4 pads() const;
  ZeroPadding2DOptions options_;
  bool channels_last_;
};

}  // namespace minidl::layers
