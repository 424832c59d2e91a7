// Max and average pooling, forward and forward+backward, on a (128, 28, 28, 32) NHWC float32 batch
// with pool 2 / stride 2 (the first pooling layer of a small MNIST convnet). Bytes counted are the
// bytes each pass must move: input read + output written (forward); backward adds dy read + dx
// written, and max's argmax (4 bytes per output) written then read.
#include <benchmark/benchmark.h>

#include <minidl/minidl.h>

using namespace minidl;

namespace {

const Shape kInput{128, 28, 28, 32};
const Pool2dOptions kPool{{2, 2}, {2, 2}, "valid", "channels_last"};
constexpr std::int64_t kIn = 128 * 28 * 28 * 32, kOut = kIn / 4;

template <bool Max>
void BM_pool_forward(benchmark::State& state) {
  Tensor x = Tensor::randn(kInput);
  for (auto _ : state) benchmark::DoNotOptimize((Max ? max_pool2d(x, kPool) : avg_pool2d(x, kPool)).raw_data());
  state.SetBytesProcessed(state.iterations() * (kIn + kOut + (Max ? kOut : 0)) * 4);
}

template <bool Max>
void BM_pool_forward_backward(benchmark::State& state) {
  Tensor x = Tensor::randn(kInput).set_requires_grad();
  Tensor seed = Tensor::ones({128, 14, 14, 32});
  for (auto _ : state) {
    x.zero_grad();
    (Max ? max_pool2d(x, kPool) : avg_pool2d(x, kPool)).backward(seed);
    benchmark::DoNotOptimize(x.grad().raw_data());
  }
  // Backward also copies dx into x.grad (AccumulateGrad): one more read and write of the input size.
  state.SetBytesProcessed(state.iterations() * ((kIn + kOut + (Max ? 2 * kOut : 0)) + (kOut + kIn) + 2 * kIn) * 4);
}

// The same shape in NCHW, for comparison of the two layouts' loop orders.
template <bool Max>
void BM_pool_forward_nchw(benchmark::State& state) {
  Tensor x = Tensor::randn({128, 32, 28, 28});
  const Pool2dOptions o{{2, 2}, {2, 2}, "valid", "channels_first"};
  for (auto _ : state) benchmark::DoNotOptimize((Max ? max_pool2d(x, o) : avg_pool2d(x, o)).raw_data());
  state.SetBytesProcessed(state.iterations() * (kIn + kOut + (Max ? kOut : 0)) * 4);
}

}  // namespace

BENCHMARK(BM_pool_forward<true>)->Name("max_pool2d/forward")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_pool_forward_backward<true>)->Name("max_pool2d/forward_backward")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_pool_forward<false>)->Name("avg_pool2d/forward")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_pool_forward_backward<false>)->Name("avg_pool2d/forward_backward")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_pool_forward_nchw<true>)->Name("max_pool2d/forward_nchw")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_pool_forward_nchw<false>)->Name("avg_pool2d/forward_nchw")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
