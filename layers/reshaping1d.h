#pragma once
// Keras's 1-D reshaping layers over (batch, steps, features): UpSampling1D (each step repeated
// `size` times), ZeroPadding1D (zeros before and after the steps; channels_first too), Cropping1D
// (steps dropped at both ends), and RepeatVector ((batch, features) -> (batch, n, features)).
// No weights. Padding, cropping and repeating are slices, pads and broadcasts of the autograd ops.
#include <nlohmann/json.hpp>

#include "minidl/layers/layer.h"

namespace minidl::layers {

struct UpSampling1DOptions {
  std::int64_t size = 2;
  MINIDL_LAYER_COMMON_OPTIONS;
};

class UpSampling1D : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(UpSampling1D)
  explicit UpSampling1D(const UpSampling1DOptions& options = {});
  static UpSampling1D from_config(const nlohmann::json& config);
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 protected:
  void check_input(const Shape& input_shape) const override { require_rank(input_shape, 3); }
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::int64_t size_;
};

struct ZeroPadding1DOptions {
  IntPair padding = 1;  // (before, after); one int pads both ends alike
  std::string data_format = "channels_last";
  MINIDL_LAYER_COMMON_OPTIONS;
};

class ZeroPadding1D : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(ZeroPadding1D)
  explicit ZeroPadding1D(const ZeroPadding1DOptions& options = {});
  static ZeroPadding1D from_config(const nlohmann::json& config);
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 protected:
  void check_input(const Shape& input_shape) const override { require_rank(input_shape, 3); }
  Tensor call(const Tensor& x, bool training) override;

 private:
  IntPair padding_;
  bool channels_last_;
};

struct Cropping1DOptions {
  IntPair cropping = 1;  // (start, end); one int crops both ends alike. Keras's default (1, 1)
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Cropping1D : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(Cropping1D)
  explicit Cropping1D(const Cropping1DOptions& options = {});
  static Cropping1D from_config(const nlohmann::json& config);
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 protected:
  void check_input(const Shape& input_shape) const override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  IntPair cropping_;
};

struct RepeatVectorOptions {
  std::int64_t n = 0;  // required, >= 1
  MINIDL_LAYER_COMMON_OPTIONS;
};

class RepeatVector : public Layer {
 public:
  MINIDL_SHAREABLE_LAYER(RepeatVector)
  explicit RepeatVector(const RepeatVectorOptions& options);
  static RepeatVector from_config(const nlohmann::json& config);
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 protected:
  void check_input(const Shape& input_shape) const override { require_rank(input_shape, 2); }
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::int64_t n_;
};

}  // namespace minidl::layers
