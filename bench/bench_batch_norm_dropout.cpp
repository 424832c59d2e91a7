// batch_norm and dropout, forward and forward+backward, float32, on a decoder-sized activation
// (128, 14, 14, 64): batch norm in training (batch statistics, moving averages updated) and in
// inference, channels last (axis -1) and channels first (axis 1); dropout with rate 0.3.
#include <benchmark/benchmark.h>

#include <minidl/minidl.h>

using namespace minidl;

namespace {

const Shape kNHWC{128, 14, 14, 64}, kNCHW{128, 64, 14, 14};

void BM_batch_norm(benchmark::State& state, bool channels_first, bool training, bool backward) {
  Tensor x = Tensor::randn(channels_first ? kNCHW : kNHWC).set_requires_grad(backward);
  Tensor gamma = Tensor::ones({64}).set_requires_grad(backward), beta = Tensor::zeros({64}).set_requires_grad(backward);
  Tensor moving_mean = Tensor::zeros({64}), moving_var = Tensor::ones({64});
  Tensor seed = Tensor::randn(x.shape());
  const std::int64_t axis = channels_first ? 1 : -1;
  for (auto _ : state) {
    Tensor y = batch_norm(x, gamma, beta, moving_mean, moving_var, axis, 0.99, 1e-3, training);
    if (backward) {
      x.zero_grad(), gamma.zero_grad(), beta.zero_grad();
      y.backward(seed);
      benchmark::DoNotOptimize(x.grad().raw_data());
    }
    benchmark::DoNotOptimize(y.raw_data());
  }
}

void BM_dropout(benchmark::State& state, bool backward) {
  Tensor x = Tensor::randn(kNHWC).set_requires_grad(backward);
  Tensor seed = Tensor::randn(x.shape());
  Generator gen(7);
  for (auto _ : state) {
    Tensor y = dropout(x, 0.3, gen, true);
    if (backward) {
      x.zero_grad();
      y.backward(seed);
      benchmark::DoNotOptimize(x.grad().raw_data());
    }
    benchmark::DoNotOptimize(y.raw_data());
  }
}

}  // namespace

BENCHMARK_CAPTURE(BM_batch_norm, train_forward_nhwc, false, true, false)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_batch_norm, train_forward_backward_nhwc, false, true, true)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_batch_norm, inference_nhwc, false, false, false)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_batch_norm, train_forward_nchw, true, true, false)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_batch_norm, train_forward_backward_nchw, true, true, true)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_batch_norm, inference_nchw, true, false, false)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_dropout, forward, false)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_dropout, forward_backward, true)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
