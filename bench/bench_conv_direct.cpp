// The direct (no im2col) convolution loops used for few output channels, pass by pass: forward,
// input gradient, kernel gradient. Shapes: the autoencoder's last layer, Conv2D(1, 3, 'same') on
// (128, 28, 28, 32), and a strided 3-channel head, (64, 32, 32, 64) -> 3, k4 s2 pad 1.
#include <benchmark/benchmark.h>

#include <minidl/core/kernels/conv_direct.h>
#include <minidl/minidl.h>

using namespace minidl;

namespace {

struct DirectCase {
  kernels::ConvGeometry geom;
  std::int64_t batch, cout;
};

// Square images of `size` x `size` with `cin` channels, k x k kernel, stride s, pad p on every side.
DirectCase make_case(std::int64_t which) {
  struct Spec {
    std::int64_t batch, size, cin, cout, k, s, p;
  };
  const Spec spec = which == 0 ? Spec{128, 28, 32, 1, 3, 1, 1} : Spec{64, 32, 64, 3, 4, 2, 1};
  kernels::ConvGeometry g;
  g.image_h = g.image_w = spec.size;
  g.channels = g.image_channels = spec.cin;
  g.grid_h = g.grid_w = (spec.size + 2 * spec.p - spec.k) / spec.s + 1;
  g.kernel_h = g.kernel_w = spec.k;
  g.stride_h = g.stride_w = spec.s;
  g.pad_top = g.pad_left = spec.p;
  return {g, spec.batch, spec.cout};
}

enum class Pass { Forward, InputGrad, KernelGrad };

template <Pass P>
void BM_conv_direct(benchmark::State& state) {
  const DirectCase c = make_case(state.range(0));
  const auto& g = c.geom;
  Generator gen(3);
  const Tensor x = Tensor::randn({c.batch, g.image_h, g.image_w, g.channels}, gen);
  const Tensor k = Tensor::randn({g.kernel_h, g.kernel_w, g.channels, c.cout}, gen);
  const Tensor gy = Tensor::randn({c.batch, g.grid_h, g.grid_w, c.cout}, gen);
  Tensor out = Tensor::zeros(P == Pass::Forward ? gy.shape() : P == Pass::InputGrad ? x.shape() : k.shape());
  const float *xp = x.data<float>(), *kp = k.data<float>(), *gp = gy.data<float>();
  float* op = out.data<float>();
  for (auto _ : state) {
    if constexpr (P == Pass::Forward) kernels::conv_direct_forward(xp, c.batch, g, kp, c.cout, static_cast<const float*>(nullptr), op);
    if constexpr (P == Pass::InputGrad) kernels::conv_direct_input_grad(gp, c.batch, g, kp, c.cout, op);
    if constexpr (P == Pass::KernelGrad) kernels::conv_direct_kernel_grad(xp, gp, c.batch, g, c.cout, op);
    benchmark::DoNotOptimize(op);
  }
  // Multiply-adds of the full windows (padding taps included), as im2col+GEMM would count them.
  const double flops = 2.0 * double(c.batch * g.grid_h * g.grid_w) * double(g.row_length() * c.cout);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * double(state.iterations()), benchmark::Counter::kIsRate,
                                                 benchmark::Counter::kIs1000);
  state.SetLabel(c.cout == 1 ? "(128,28,28,32)->1 k3 s1" : "(64,32,32,64)->3 k4 s2");
}

}  // namespace

BENCHMARK_TEMPLATE(BM_conv_direct, Pass::Forward)->DenseRange(0, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_conv_direct, Pass::InputGrad)->DenseRange(0, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_conv_direct, Pass::KernelGrad)->DenseRange(0, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
