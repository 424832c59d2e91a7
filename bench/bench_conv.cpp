// Convolution benchmarks: conv2d_transpose and conv2d forward + backward (input, kernel and bias
// gradients) on the DCGAN-like shapes of bench/README.md, channels_last, float32, Keras 'same'.
// Counters: GFLOP/s of the three GEMM-equivalent products, and the scratch high-water mark.
#include <benchmark/benchmark.h>

#include <minidl/minidl.h>

using namespace minidl;

namespace {

struct ConvShape {
  std::int64_t n, cin, h, w, cout, k, s;
};

// (N, C_in, H, W) -> C_out, kernel k, stride s: the shapes of issue #3 / bench/README.md.
const ConvShape kShapes[] = {
    {128, 32, 7, 7, 32, 3, 2},  {128, 32, 14, 14, 32, 3, 2}, {256, 256, 7, 7, 128, 5, 1},
    {256, 128, 7, 7, 64, 5, 2}, {256, 64, 14, 14, 1, 5, 2},  {64, 512, 4, 4, 256, 4, 2},
    {64, 256, 8, 8, 128, 4, 2}, {64, 128, 16, 16, 64, 4, 2}, {64, 64, 32, 32, 3, 4, 2},
};

void label(benchmark::State& state, const ConvShape& c) {
  state.SetLabel(fmt::format("({},{},{},{})->{} k{} s{}", c.n, c.cin, c.h, c.w, c.cout, c.k, c.s));
}

void BM_conv2d_transpose_train(benchmark::State& state) {
  const ConvShape c = kShapes[state.range(0)];
  Generator gen(1);
  Tensor x = Tensor::randn({c.n, c.h, c.w, c.cin}, gen).set_requires_grad();
  Tensor k = Tensor::randn({c.k, c.k, c.cout, c.cin}, gen).set_requires_grad();
  Tensor b = Tensor::zeros({c.cout}).set_requires_grad();
  const auto geo = keras_conv_transpose_geometry("same", {c.h, c.w}, {c.k, c.k}, {c.s, c.s}, {1, 1}, std::nullopt);
  const Conv2dTransposeOptions o{.strides = {c.s, c.s}, .padding = geo.padding, .output_padding = geo.output_padding};
  Tensor seed = Tensor::ones({c.n, geo.output_hw[0], geo.output_hw[1], c.cout});
  reset_scratch_peak();
  for (auto _ : state) {
    x.zero_grad();
    k.zero_grad();
    b.zero_grad();
    Tensor y = conv2d_transpose(x, k, b, o);
    y.backward(seed);
    benchmark::DoNotOptimize(k.grad().raw_data());
  }
  const double flops = 3.0 * 2.0 * double(c.n * c.h * c.w) * double(c.cin) * double(c.k * c.k * c.cout);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * double(state.iterations()), benchmark::Counter::kIsRate,
                                                 benchmark::Counter::kIs1000);
  state.counters["scratch_MiB"] = double(scratch_peak_bytes()) / (1 << 20);
  label(state, c);
}

void BM_conv2d_train(benchmark::State& state) {
  // The same shapes run as the forward convolution that maps the transpose's output back.
  const ConvShape c = kShapes[state.range(0)];
  const std::int64_t oh = c.h * c.s, ow = c.w * c.s;
  Generator gen(2);
  Tensor x = Tensor::randn({c.n, oh, ow, c.cout}, gen).set_requires_grad();
  Tensor k = Tensor::randn({c.k, c.k, c.cout, c.cin}, gen).set_requires_grad();
  Tensor b = Tensor::zeros({c.cin}).set_requires_grad();
  const Conv2dOptions o{.strides = {c.s, c.s}, .padding = keras_conv_padding("same", {oh, ow}, {c.k, c.k}, {c.s, c.s}, {1, 1})};
  Tensor seed = Tensor::ones({c.n, c.h, c.w, c.cin});
  for (auto _ : state) {
    x.zero_grad();
    k.zero_grad();
    b.zero_grad();
    Tensor y = conv2d(x, k, b, o);
    y.backward(seed);
    benchmark::DoNotOptimize(k.grad().raw_data());
  }
  const double flops = 3.0 * 2.0 * double(c.n * c.h * c.w) * double(c.cin) * double(c.k * c.k * c.cout);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * double(state.iterations()), benchmark::Counter::kIsRate,
                                                 benchmark::Counter::kIs1000);
  label(state, c);
}

}  // namespace

BENCHMARK(BM_conv2d_transpose_train)->DenseRange(0, 8)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_conv2d_train)->DenseRange(0, 8)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
