// LayerNormalization's op and Embedding's gather, forward and forward+backward, on the shapes of a
// small transformer block: layer_norm over the last axis of (64 * 128, 512) float32 tokens;
// gather of 64 * 128 indices from a (32000, 512) table (the backward scatter-adds into a table
// of that size). GroupNormalization (32 groups) on a decoder's (32, 32, 32, 128) activations, both
// layouts. bench/norm_embed_vs_torch.py puts PyTorch's times beside these.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>

#include <minidl/minidl.h>

using namespace minidl;

namespace {

constexpr std::int64_t kRows = 64 * 128, kWidth = 512, kVocab = 32000;

void BM_layer_norm_forward(benchmark::State& state) {
  Tensor x = Tensor::randn({kRows, kWidth}), gamma = Tensor::ones({kWidth}), beta = Tensor::zeros({kWidth});
  for (auto _ : state) benchmark::DoNotOptimize(layer_norm(x, gamma, beta).raw_data());
  state.SetBytesProcessed(state.iterations() * 2 * kRows * kWidth * 4);
}

void BM_layer_norm_forward_backward(benchmark::State& state) {
  Tensor x = Tensor::randn({kRows, kWidth}).set_requires_grad();
  Tensor gamma = Tensor::ones({kWidth}).set_requires_grad(), beta = Tensor::zeros({kWidth}).set_requires_grad();
  Tensor seed = Tensor::randn({kRows, kWidth});
  for (auto _ : state) {
    x.zero_grad();
    gamma.zero_grad();
    beta.zero_grad();
    layer_norm(x, gamma, beta).backward(seed);
    benchmark::DoNotOptimize(x.grad().raw_data());
  }
}

// 64 x 128 token ids, uniform over the table.
Tensor token_ids() {
  Generator gen(1);
  auto v = Tensor::rand({64, 128}, gen, DType::Float32, 0.0, static_cast<double>(kVocab)).to_vector<float>();
  for (auto& e : v) e = std::min(std::floor(e), static_cast<float>(kVocab - 1));
  return Tensor::from_vector(v, {64, 128});
}

void BM_gather_forward(benchmark::State& state) {
  Tensor table = Tensor::randn({kVocab, kWidth}), ids = token_ids();
  for (auto _ : state) benchmark::DoNotOptimize(gather(table, ids).raw_data());
  state.SetBytesProcessed(state.iterations() * 2 * 64 * 128 * kWidth * 4);
}

void BM_gather_forward_backward(benchmark::State& state) {
  Tensor table = Tensor::randn({kVocab, kWidth}).set_requires_grad(), ids = token_ids();
  Tensor seed = Tensor::randn({64, 128, kWidth});
  for (auto _ : state) {
    table.zero_grad();
    gather(table, ids).backward(seed);
    benchmark::DoNotOptimize(table.grad().raw_data());
  }
}

}  // namespace

// GroupNormalization(groups=32) on 32 images of 32 x 32 x 128, channels_last (axis -1) or
// channels_first (axis 1).
void BM_group_norm(benchmark::State& state, std::int64_t axis, bool backward) {
  layers::GroupNormalization gn({.groups = 32, .axis = axis});
  const Shape shape = axis == 1 ? Shape{32, 128, 32, 32} : Shape{32, 32, 32, 128};
  Tensor x = Tensor::randn(shape).set_requires_grad(backward);
  Tensor seed = Tensor::randn(shape);
  gn.build(shape);
  for (auto _ : state) {
    if (!backward) {
      NoGradGuard no_grad;
      benchmark::DoNotOptimize(gn(x).raw_data());
      continue;
    }
    x.zero_grad();
    for (const auto& v : gn.trainable_weights()) v->value.zero_grad();
    gn(x, true).backward(seed);
    benchmark::DoNotOptimize(x.grad().raw_data());
  }
}

BENCHMARK(BM_layer_norm_forward)->Name("layer_norm/forward")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_layer_norm_forward_backward)->Name("layer_norm/forward_backward")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_gather_forward)->Name("gather/forward")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_gather_forward_backward)->Name("gather/forward_backward")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_group_norm, nhwc_fwd, -1, false)->Name("group_norm_nhwc/forward")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_group_norm, nhwc_fwd_bwd, -1, true)->Name("group_norm_nhwc/forward_backward")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_group_norm, nchw_fwd, 1, false)->Name("group_norm_nchw/forward")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_group_norm, nchw_fwd_bwd, 1, true)->Name("group_norm_nchw/forward_backward")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
