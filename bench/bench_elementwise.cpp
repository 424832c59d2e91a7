// Elementwise ops and reductions against memcpy, the memory-bandwidth ceiling. Bytes counted are
// the bytes each op must move (inputs read + output written).
#include <benchmark/benchmark.h>

#include <cstring>

#include <minidl/minidl.h>

using namespace minidl;

namespace {

void set_bytes(benchmark::State& state, std::int64_t bytes_per_iter) {
  state.SetBytesProcessed(state.iterations() * bytes_per_iter);
}

void BM_memcpy(benchmark::State& state) {
  const auto n = state.range(0);
  Tensor a = Tensor::randn({n}), b = Tensor::empty({n});
  for (auto _ : state) {
    std::memcpy(b.raw_data(), a.raw_data(), static_cast<std::size_t>(n) * 4);
    benchmark::DoNotOptimize(b.raw_data());
  }
  set_bytes(state, 2 * n * 4);
}

void BM_add(benchmark::State& state) {
  const auto n = state.range(0);
  Tensor a = Tensor::randn({n}), b = Tensor::randn({n});
  for (auto _ : state) benchmark::DoNotOptimize((a + b).raw_data());
  set_bytes(state, 3 * n * 4);
}

void BM_mul_broadcast_row(benchmark::State& state) {  // (n/256, 256) * (256,): a bias-like broadcast
  const auto n = state.range(0);
  Tensor a = Tensor::randn({n / 256, 256}), b = Tensor::randn({256});
  for (auto _ : state) benchmark::DoNotOptimize((a * b).raw_data());
  set_bytes(state, 2 * n * 4);
}

void BM_exp(benchmark::State& state) {
  const auto n = state.range(0);
  Tensor a = Tensor::randn({n});
  for (auto _ : state) benchmark::DoNotOptimize(exp(a).raw_data());
  set_bytes(state, 2 * n * 4);
}

void BM_add_backward(benchmark::State& state) {  // forward + backward of a + b with gradients
  const auto n = state.range(0);
  Tensor a = Tensor::randn({n}).set_requires_grad(), b = Tensor::randn({n}).set_requires_grad();
  Tensor seed = Tensor::ones({n});
  for (auto _ : state) {
    a.zero_grad();
    b.zero_grad();
    (a + b).backward(seed);
  }
  set_bytes(state, 7 * n * 4);
}

void BM_sum_all(benchmark::State& state) {
  const auto n = state.range(0);
  Tensor a = Tensor::randn({n});
  for (auto _ : state) benchmark::DoNotOptimize(a.sum().raw_data());
  set_bytes(state, n * 4);
}

void BM_sum_axis0(benchmark::State& state) {  // (n/256, 256) -> (256,): the bias-gradient reduction
  const auto n = state.range(0);
  Tensor a = Tensor::randn({n / 256, 256});
  for (auto _ : state) benchmark::DoNotOptimize(a.sum({0}).raw_data());
  set_bytes(state, n * 4);
}

}  // namespace

#define SIZES ->RangeMultiplier(16)->Range(1 << 16, 1 << 24)->UseRealTime()
BENCHMARK(BM_memcpy) SIZES;
BENCHMARK(BM_add) SIZES;
BENCHMARK(BM_mul_broadcast_row) SIZES;
BENCHMARK(BM_exp) SIZES;
BENCHMARK(BM_add_backward) SIZES;
BENCHMARK(BM_sum_all) SIZES;
BENCHMARK(BM_sum_axis0) SIZES;
BENCHMARK_MAIN();
