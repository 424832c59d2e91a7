// MultiHeadAttention's computation, as Keras 3's call / _compute_attention_mask / _compute_attention.
#include <cmath>

#include "minidl/autograd/ops/activations.h"
#include "minidl/autograd/ops/dropout.h"
#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/matmul.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"
#include "minidl/layers/multi_head_attention.h"

namespace minidl::layers {

namespace {

// (B, L, N * H) -> (B, N, L, H)
Tensor split_heads(const Tensor& x, std::int64_t heads) {
  const Shape& s = x.shape();
  return permute(reshape(x, {s[0], s[1], heads, s[2] / heads}), {0, 2, 1, 3});
}

// Keras's causal mask (row >= column) and sliding window (|row - column| < window), (1, T, S) 1/0.
Tensor band_mask(std::int64_t t, std::int64_t s, bool causal, std::optional<std::int64_t> window, DType dtype) {
  std::vector<double> m(static_cast<std::size_t>(t * s), 1.0);
  for (std::int64_t i = 0; i < t; ++i)
    for (std::int64_t j = 0; j < s; ++j) {
      const bool keep = (!causal || i >= j) && (!window || std::abs(i - j) < *window);
      m[static_cast<std::size_t>(i * s + j)] = keep ? 1.0 : 0.0;
    }
  return Tensor::from_vector(m, Shape{1, t, s}).to(dtype);
}

Tensor and_mask(const Tensor& a, const Tensor& b) { return a.defined() ? a * b : b; }

}  // namespace

Tensor MultiHeadAttention::project(const Tensor& x, const Projection& p, std::int64_t in_size) {
  const Tensor& k = p.kernel->value;
  const std::int64_t out_size = k.numel() / in_size;
  Tensor y = matmul(x, reshape(k, {in_size, out_size}));
  return p.bias ? y + reshape(p.bias->value, {out_size}) : y;
}

Tensor MultiHeadAttention::combined_mask(const Tensor& query, const Tensor& value, const AttentionCall& call) const {
  const std::int64_t b = query.shape()[0], t = query.shape()[1], s = value.shape()[1];
  auto keras_mask = [&](const Tensor& m, const char* which, std::int64_t len, const Shape& as) {
    if (!m.defined()) return Tensor();
    if (m.shape() != Shape{b, len})
      throw_invalid_argument("layer '{}' (MultiHeadAttention): the {} mask must have shape {}, received {}", name(),
                             which, shape_str(Shape{b, len}), shape_str(m.shape()));
    return reshape(not_equal(m.detach().to(dtype()), Tensor::scalar(0.0, dtype())), as);
  };
  Tensor mask = keras_mask(call.query_mask, "query", t, {b, t, 1});
  if (Tensor m = keras_mask(call.value_mask, "value", s, {b, 1, s}); m.defined()) mask = and_mask(mask, m);
  if (Tensor m = keras_mask(call.key_mask, "key", s, {b, 1, s}); m.defined()) mask = and_mask(mask, m);
  if (call.use_causal_mask || options_.sliding_window)
    mask = and_mask(mask, band_mask(t, s, call.use_causal_mask, options_.sliding_window, dtype()));
  if (call.attention_mask.defined()) {
    const Tensor a = not_equal(call.attention_mask.detach().to(dtype()), Tensor::scalar(0.0, dtype()));
    mask = mask.defined() ? a * mask : a;
  }
  return mask;
}

Tensor MultiHeadAttention::masked_softmax(const Tensor& scores, const Tensor& mask, bool zero_masked_rows) const {
  if (!mask.defined()) return activations::softmax(scores, -1);
  // Keras inserts the heads axis (before the query axis) until the mask has the scores' rank.
  Tensor m = mask;
  while (m.ndim() < scores.ndim()) {
    auto d = m.shape().dims();
    d.insert(d.end() - 2, 1);
    m = reshape(m, Shape(d.begin(), d.end()));
  }
  bool ok = m.ndim() == scores.ndim();
  for (std::int64_t i = 0; ok && i < m.ndim(); ++i) ok = m.shape()[i] == 1 || m.shape()[i] == scores.shape()[i];
  if (!ok)
    throw_invalid_argument("layer '{}' (MultiHeadAttention): the `mask` must be broadcastable to `inputs`. Each mask "
                           "dimension must be 1 or match the corresponding input dimension. Received: "
                           "inputs.shape={}, mask.shape={} (the attention_mask combined with the Keras masks, "
                           "expected (batch, query length, value length))",
                           name(), shape_str(scores.shape()), shape_str(m.shape()));
  // Keras's large negative for float32/float64 scores.
  Tensor p = activations::softmax(where(m, scores, Tensor::scalar(-1e9, scores.dtype())), -1);
  // Keras's explicit path (dropout or returned scores) zeroes masked positions, so a fully masked row
  // is all zeros; its fused dot_product_attention path leaves such a row uniform.
  return zero_masked_rows ? p * m : p;
}

AttentionResult MultiHeadAttention::attend(const Tensor& query_in, const Tensor& value_in, const AttentionCall& call) {
  for (const auto& [t, which] : {std::pair{&query_in, "query"}, {&value_in, "value"}})
    if (!t->defined())
      throw_invalid_argument("layer '{}' (MultiHeadAttention) was called with an undefined `{}`", name(), which);
  auto cast = [&](const Tensor& x) { return x.dtype() == dtype() ? x : x.to(dtype()); };
  const Tensor query = cast(query_in), value = cast(value_in);
  const Tensor key = call.key.defined() ? cast(call.key) : value;
  build_for(query.shape(), value.shape(), call.key.defined() ? std::optional<Shape>(key.shape()) : std::nullopt);
  const Tensor mask = combined_mask(query, value, call);

  const std::int64_t n = options_.num_heads, kd = options_.key_dim, vd = *options_.value_dim;
  const Tensor q = project(query, query_, query.shape()[-1]);
  const Tensor k = project(key, key_, key.shape()[-1]);
  const Tensor v = project(value, value_, value.shape()[-1]);
  std::vector<Tensor> projections{q, k, v};
  Tensor gate;
  if (options_.use_gate) projections.push_back(gate = activations::sigmoid(project(query, gate_, query.shape()[-1])));

  // Keras scales the projected query by 1 / sqrt(key_dim) before the dot product.
  const Tensor scores = matmul(split_heads(q, n) * (1.0 / std::sqrt(static_cast<double>(kd))), split_heads(k, n), false, true);
  const Tensor probs = masked_softmax(scores, mask, options_.dropout > 0.0 || call.return_attention_scores);
  const Tensor dropped = call.training && options_.dropout > 0.0
                             ? generator_.draw([&](Generator& g) { return dropout(probs, options_.dropout, g, true); })
                             : probs;
  const Shape& qs = query.shape();
  Tensor context = reshape(permute(matmul(dropped, split_heads(v, n)), {0, 2, 1, 3}), {qs[0], qs[1], n * vd});
  if (gate.defined()) context = context * gate;
  Tensor out = project(context, output_, n * vd);
  const std::vector<std::int64_t> out_dims = options_.output_shape.value_or(std::vector<std::int64_t>{qs[-1]});
  std::vector<std::int64_t> shape{qs[0], qs[1]};
  shape.insert(shape.end(), out_dims.begin(), out_dims.end());
  out = reshape(out, Shape(shape.begin(), shape.end()));
  projections.push_back(out);
  record_activity_loss(projections);  // Keras regularizes every projection sublayer's output
  return {out, call.return_attention_scores ? probs : Tensor(),
          call.query_mask.defined() ? call.query_mask.detach() : Tensor()};
}

Masked MultiHeadAttention::call_inputs_with_masks(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                                  bool training) {
  if (inputs.size() != 2 && inputs.size() != 3)
    throw_invalid_argument("layer '{}' (MultiHeadAttention) takes [query, value] or [query, value, key], received {} "
                           "tensor(s)",
                           name(), inputs.size());
  if (!masks.empty() && masks.size() != inputs.size())
    throw_invalid_argument("layer '{}' (MultiHeadAttention): received {} input tensors but {} masks; give one mask per "
                           "input (or none)",
                           name(), inputs.size(), masks.size());
  auto mask = [&](std::size_t i) { return i < masks.size() ? masks[i] : Tensor(); };
  AttentionResult r = attend(inputs[0], inputs[1],
                             {.key = inputs.size() == 3 ? inputs[2] : Tensor(),
                              .query_mask = mask(0),
                              .value_mask = mask(1),
                              .key_mask = mask(2),
                              .training = training});
  return {std::move(r.output), std::move(r.mask)};
}

Tensor MultiHeadAttention::call_inputs(const std::vector<Tensor>& inputs, bool training) {
  return call_inputs_with_masks(inputs, {}, training).value;
}

}  // namespace minidl::layers
