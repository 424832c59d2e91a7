#pragma once
// Keras's merging layers, called on a list of tensors: Add, Subtract, Multiply, Average, Maximum,
// Minimum (elementwise; inputs of lower rank get axes inserted after the batch axis, then NumPy
// broadcasting, as Keras) and Concatenate (along one axis, other extents equal).
#include <optional>
#include <vector>

#include "minidl/layers/list_layer.h"

namespace minidl::layers {

struct MergeOptions {
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Merge : public ListLayer {
 public:
  Tensor call_inputs(const std::vector<Tensor>& inputs, bool training) override;
  Shape compute_output_shape_for(const std::vector<Shape>& input_shapes) const override;
  // Keras's masks on merge inputs (merge_masking.cpp): the output's mask is the OR of the inputs'
  // when every input has one, none otherwise; Multiply, Maximum and Minimum also let masked
  // positions leave the others' values alone, as Keras.
  Masked call_inputs_with_masks(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                bool training) override;

 protected:
  Merge(std::string class_name, const CommonOptions& common) : ListLayer(std::move(class_name), common) {}
  // The merge with the inputs' masks (each expanded to its input's rank, undefined where none).
  virtual Tensor merge_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>&) const {
    return merge(inputs);
  }
  // The elementwise fold over inputs of equal rank.
  virtual Tensor merge(const std::vector<Tensor>& inputs) const = 0;
  // Checks the number of inputs (Subtract takes exactly two).
  virtual void check_count(std::size_t count, const std::vector<Shape>& input_shapes) const;
};

class Add : public Merge {
 public:
  MINIDL_SHAREABLE_LAYER(Add)
  explicit Add(const MergeOptions& options = {}) : Merge("Add", common_options(options)) {}

 protected:
  Tensor merge(const std::vector<Tensor>& inputs) const override;
};

class Subtract : public Merge {
 public:
  MINIDL_SHAREABLE_LAYER(Subtract)
  explicit Subtract(const MergeOptions& options = {}) : Merge("Subtract", common_options(options)) {}

 protected:
  Tensor merge(const std::vector<Tensor>& inputs) const override;
  void check_count(std::size_t count, const std::vector<Shape>& input_shapes) const override;
};

class Multiply : public Merge {
 public:
  MINIDL_SHAREABLE_LAYER(Multiply)
  explicit Multiply(const MergeOptions& options = {}) : Merge("Multiply", common_options(options)) {}

 protected:
  Tensor merge(const std::vector<Tensor>& inputs) const override;
  Tensor merge_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;
};

class Average : public Merge {
 public:
  MINIDL_SHAREABLE_LAYER(Average)
  explicit Average(const MergeOptions& options = {}) : Merge("Average", common_options(options)) {}

 protected:
  Tensor merge(const std::vector<Tensor>& inputs) const override;
};

class Maximum : public Merge {
 public:
  MINIDL_SHAREABLE_LAYER(Maximum)
  explicit Maximum(const MergeOptions& options = {}) : Merge("Maximum", common_options(options)) {}

 protected:
  Tensor merge(const std::vector<Tensor>& inputs) const override;
  Tensor merge_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;
};

class Minimum : public Merge {
 public:
  MINIDL_SHAREABLE_LAYER(Minimum)
  explicit Minimum(const MergeOptions& options = {}) : Merge("Minimum", common_options(options)) {}

 protected:
  Tensor merge(const std::vector<Tensor>& inputs) const override;
  Tensor merge_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;
};

struct ConcatenateOptions {
  std::int64_t axis = -1;
  MINIDL_LAYER_COMMON_OPTIONS;
};

class Concatenate : public ListLayer {
 public:
  MINIDL_SHAREABLE_LAYER(Concatenate)
  explicit Concatenate(const ConcatenateOptions& options = {});
  Tensor call_inputs(const std::vector<Tensor>& inputs, bool training) override;
  // Keras's Concatenate.compute_mask: each input's mask broadcast to its shape (all ones for an
  // unmasked input), concatenated on `axis`, then any() over the last axis.
  Masked call_inputs_with_masks(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                bool training) override;
  Shape compute_output_shape_for(const std::vector<Shape>& input_shapes) const override;
  nlohmann::json get_config() const override;

 private:
  std::int64_t axis_;
};

}  // namespace minidl::layers
