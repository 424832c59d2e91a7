#include "minidl/layers/embedding.h"

#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/gather.h"
#include "minidl/core/error.h"
#include "minidl/layers/layer_config.h"

namespace minidl::layers {

Embedding::Embedding(const EmbeddingOptions& o) : Layer("Embedding", common_options(o)), options_(o) {
  if (o.input_dim <= 0 || o.output_dim <= 0)
    throw_invalid_argument(
        "Embedding: both `input_dim` and `output_dim` must be positive integers, received input_dim={} and "
        "output_dim={}",
        o.input_dim, o.output_dim);
  set_activity_regularizer(o.activity_regularizer);
  set_supports_masking(o.mask_zero);  // Keras: an input mask is dropped without mask_zero
}

Tensor Embedding::compute_mask(const Tensor& inputs, const Tensor&) const {
  if (!options_.mask_zero) return Tensor();
  return not_equal(inputs.detach(), Tensor::zeros(inputs.shape(), inputs.dtype()));
}

std::vector<Shape> Embedding::build_node(const std::vector<Shape>& input_shapes, const CallArgs& args) {
  auto shapes = Layer::build_node(input_shapes, args);
  if (options_.mask_zero) unique_name("not_equal");
  return shapes;
}

Shape Embedding::compute_output_shape(const Shape& in) const {
  auto dims = in.dims();
  dims.push_back(options_.output_dim);
  return Shape(dims);
}

// The matrix does not depend on the input's shape (Keras builds it without one).
void Embedding::build_impl(const Shape&) {
  embeddings_ = add_weight("embeddings", {options_.input_dim, options_.output_dim}, options_.embeddings_initializer,
                           options_.embeddings_regularizer, options_.embeddings_constraint);
}

Tensor Embedding::call(const Tensor& x, bool) {
  const std::string who = fmt::format("layer '{}' (Embedding)", name());
  return gather(embeddings_->value, x, {.op = who, .indices = "inputs", .limit = "input_dim"});
}

nlohmann::json Embedding::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["input_dim"] = options_.input_dim;
  c["output_dim"] = options_.output_dim;
  c["embeddings_initializer"] = options_.embeddings_initializer.serialize();
  c["embeddings_regularizer"] = options_.embeddings_regularizer.serialize();
  c["activity_regularizer"] = options_.activity_regularizer.serialize();
  c["embeddings_constraint"] = options_.embeddings_constraint.serialize();
  c["mask_zero"] = options_.mask_zero;
  return c;
}

Embedding Embedding::from_config(const nlohmann::json& c) {
  EmbeddingOptions o;
  config::read_common(c, o);
  o.input_dim = json_int(c.at("input_dim"), "input_dim");
  o.output_dim = json_int(c.at("output_dim"), "output_dim");
  if (c.contains("embeddings_initializer") && !c["embeddings_initializer"].is_null())
    o.embeddings_initializer = initializers::Initializer::from_config(c["embeddings_initializer"]);
  if (c.contains("embeddings_regularizer"))
    o.embeddings_regularizer = regularizers::Regularizer::from_config(c["embeddings_regularizer"]);
  if (c.contains("embeddings_constraint"))
    o.embeddings_constraint = constraints::Constraint::from_config(c["embeddings_constraint"]);
  if (c.contains("activity_regularizer"))
    o.activity_regularizer = regularizers::Regularizer::from_config(c["activity_regularizer"]);
  o.mask_zero = c.value("mask_zero", o.mask_zero);
  // Keras 2's input_length is ignored, as Keras 3 does. LoRA and quantization would add weights
  // minidl does not have: refused rather than loaded wrong.
  for (const char* key : {"lora_rank", "quantization_config"})
    if (c.contains(key) && !c[key].is_null())
      throw_invalid_argument("Embedding: {} is not supported by minidl, received {}={}", key, key, c[key].dump());
  return Embedding(o);
}

}  // namespace minidl::layers
