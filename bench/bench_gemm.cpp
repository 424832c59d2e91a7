// GEMM: raw OpenBLAS sgemm vs minidl's wrapper (blas::gemm) vs the matmul op (allocation + tape
// bookkeeping included). The wrapper must stay within 10% of raw sgemm.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <minidl/core/blas_kernels.h>
#include <minidl/core/gemm.h>
#include <minidl/minidl.h>

using namespace minidl;

namespace {

void set_flops(benchmark::State& state, std::int64_t n) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * static_cast<double>(n) * n * n * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

void BM_raw_sgemm(benchmark::State& state) {
  const auto n = state.range(0);
  Tensor a = Tensor::randn({n, n}), b = Tensor::randn({n, n}), c = Tensor::zeros({n, n});
  const int ni = static_cast<int>(n);
  // The ceiling: OpenBLAS with its own threads on every core (minidl keeps it single-threaded and
  // splits GEMMs over its pool instead).
  openblas_set_num_threads(get_num_threads());
  blas::select_kernels();  // the same kernel set minidl's GEMMs run
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.0f, a.data<float>(), ni, b.data<float>(), ni,
                0.0f, c.data<float>(), ni);
    benchmark::DoNotOptimize(c.data<float>());
  }
  openblas_set_num_threads(1);
  set_flops(state, n);
}

void BM_wrapper_gemm(benchmark::State& state) {
  const auto n = state.range(0);
  Tensor a = Tensor::randn({n, n}), b = Tensor::randn({n, n}), c = Tensor::zeros({n, n});
  for (auto _ : state) {
    blas::gemm<float>(false, false, n, n, n, 1.0f, a.data<float>(), n, b.data<float>(), n, 0.0f, c.data<float>(), n);
    benchmark::DoNotOptimize(c.data<float>());
  }
  set_flops(state, n);
}

void BM_matmul_op(benchmark::State& state) {
  const auto n = state.range(0);
  Tensor a = Tensor::randn({n, n}), b = Tensor::randn({n, n});
  for (auto _ : state) {
    Tensor c = matmul(a, b);
    benchmark::DoNotOptimize(c.raw_data());
  }
  set_flops(state, n);
}

void BM_matmul_op_transposed_b(benchmark::State& state) {
  const auto n = state.range(0);
  Tensor a = Tensor::randn({n, n}), b = Tensor::randn({n, n});
  for (auto _ : state) {
    Tensor c = matmul(a, b, false, true);
    benchmark::DoNotOptimize(c.raw_data());
  }
  set_flops(state, n);
}

}  // namespace

BENCHMARK(BM_raw_sgemm)->RangeMultiplier(2)->Range(256, 2048)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_wrapper_gemm)->RangeMultiplier(2)->Range(256, 2048)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_matmul_op)->RangeMultiplier(2)->Range(256, 2048)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_matmul_op_transposed_b)->RangeMultiplier(2)->Range(256, 2048)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
