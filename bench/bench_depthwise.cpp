// DepthwiseConv2D forward + backward (input, kernel and bias gradients) on MobileNet-like shapes,
// float32, 3x3 'same': the layer (conv2d with groups = channels underneath; channels_last, and
// channels_first in BM_depthwise_conv2d_train_channels_first), against
// plain loops over the same arithmetic (channels innermost, the batch split over minidl's threads),
// a yardstick for conv2d's direct depthwise loops (core/kernels/depthwise_conv2d.h; before them, the
// grouped im2col + GEMM path took 2.7 s and 4.9 s here).
#include <benchmark/benchmark.h>

#include <minidl/minidl.h>

using namespace minidl;

namespace {

struct DwShape {
  std::int64_t n, h, w, c, s;
};

// MobileNet v1's depthwise layers at 56x56 (stride 1) and at 112x112 -> 56x56 (stride 2).
const DwShape kShapes[] = {{32, 56, 56, 64, 1}, {32, 112, 112, 64, 2}};

void report(benchmark::State& state, const DwShape& c) {
  const std::int64_t oh = (c.h + c.s - 1) / c.s, ow = (c.w + c.s - 1) / c.s;
  const double flops = 3.0 * 2.0 * double(c.n * oh * ow * c.c) * 9.0;  // forward, input and kernel gradients
  state.counters["GFLOP/s"] = benchmark::Counter(flops * double(state.iterations()), benchmark::Counter::kIsRate,
                                                 benchmark::Counter::kIs1000);
  state.SetLabel(fmt::format("({},{},{},{}) k3 s{}", c.n, c.h, c.w, c.c, c.s));
}

void depthwise_layer_train(benchmark::State& state, bool channels_first) {
  const DwShape c = kShapes[state.range(0)];
  Generator gen(1);
  layers::DepthwiseConv2D layer({.kernel_size = 3, .strides = c.s, .padding = "same",
                                 .data_format = channels_first ? "channels_first" : "channels_last"});
  Tensor x = Tensor::randn(channels_first ? Shape{c.n, c.c, c.h, c.w} : Shape{c.n, c.h, c.w, c.c}, gen).set_requires_grad();
  layer.build(x.shape());
  const Tensor seed = Tensor::ones(layer.compute_output_shape(x.shape()));
  for (auto _ : state) {
    x.zero_grad();
    for (const auto& v : layer.weights()) v->value.zero_grad();
    layer(x).backward(seed);
    benchmark::DoNotOptimize(layer.kernel()->value.grad().raw_data());
  }
  report(state, c);
}

void BM_depthwise_conv2d_train(benchmark::State& state) { depthwise_layer_train(state, false); }
// The same layer on NCHW data: the layer permutes to NHWC and back around conv2d (conv2d's own
// channels_first depthwise loops are not used by the layer yet).
void BM_depthwise_conv2d_train_channels_first(benchmark::State& state) { depthwise_layer_train(state, true); }

// conv2d itself on NCHW data (groups = channels: the direct depthwise loops along image rows).
void BM_depthwise_conv2d_op_channels_first(benchmark::State& state) {
  const DwShape c = kShapes[state.range(0)];
  Generator gen(1);
  Tensor x = Tensor::randn({c.n, c.c, c.h, c.w}, gen).set_requires_grad();
  Tensor k = Tensor::randn({3, 3, 1, c.c}, gen).set_requires_grad(), b = Tensor::zeros({c.c}).set_requires_grad();
  const Conv2dOptions o{.strides = {c.s, c.s},
                        .padding = keras_conv_padding("same", {c.h, c.w}, {3, 3}, {c.s, c.s}, {1, 1}),
                        .data_format = "channels_first",
                        .groups = c.c};
  const Tensor seed = Tensor::ones(conv2d(x, k, b, o).shape());
  for (auto _ : state) {
    for (Tensor* t : {&x, &k, &b}) t->zero_grad();
    conv2d(x, k, b, o).backward(seed);
    benchmark::DoNotOptimize(k.grad().raw_data());
  }
  report(state, c);
}

// The same forward and backward as three plain loop nests (zero padding 'same', odd pixel at the end).
void BM_depthwise_direct_loops_train(benchmark::State& state) {
  const DwShape c = kShapes[state.range(0)];
  const std::int64_t oh = (c.h + c.s - 1) / c.s, ow = (c.w + c.s - 1) / c.s;
  const std::int64_t pad_t = std::max<std::int64_t>((oh - 1) * c.s + 3 - c.h, 0) / 2;
  const std::int64_t pad_l = std::max<std::int64_t>((ow - 1) * c.s + 3 - c.w, 0) / 2;
  Generator gen(1);
  const Tensor x = Tensor::randn({c.n, c.h, c.w, c.c}, gen), k = Tensor::randn({3, 3, c.c, 1}, gen);
  const Tensor gy = Tensor::ones({c.n, oh, ow, c.c});
  Tensor y = Tensor::zeros(gy.shape()), dx = Tensor::zeros(x.shape()), dk = Tensor::zeros(k.shape());
  Tensor db = Tensor::zeros({c.c});
  const float *xp = x.data<float>(), *kp = k.data<float>(), *gp = gy.data<float>();
  float *yp = y.data<float>(), *dxp = dx.data<float>(), *dkp = dk.data<float>(), *dbp = db.data<float>();
  const std::int64_t C = c.c;
  // Calls fn(n, i, j, a, b, input offset, output offset) for every in-bounds tap of images [n0, n1).
  auto taps = [&](std::int64_t n0, std::int64_t n1, auto fn) {
    for (std::int64_t n = n0; n < n1; ++n)
      for (std::int64_t i = 0; i < oh; ++i)
        for (std::int64_t a = 0; a < 3; ++a) {
          const std::int64_t ii = i * c.s + a - pad_t;
          if (ii < 0 || ii >= c.h) continue;
          for (std::int64_t j = 0; j < ow; ++j)
            for (std::int64_t b = 0; b < 3; ++b) {
              const std::int64_t jj = j * c.s + b - pad_l;
              if (jj < 0 || jj >= c.w) continue;
              fn(a * 3 + b, ((n * c.h + ii) * c.w + jj) * C, ((n * oh + i) * ow + j) * C);
            }
        }
  };
  for (auto _ : state) {
    parallel_for(0, c.n, 1, [&](std::int64_t n0, std::int64_t n1) {
      std::fill(yp + n0 * oh * ow * C, yp + n1 * oh * ow * C, 0.0f);
      std::fill(dxp + n0 * c.h * c.w * C, dxp + n1 * c.h * c.w * C, 0.0f);
      taps(n0, n1, [&](std::int64_t t, std::int64_t xo, std::int64_t yo) {
        for (std::int64_t ch = 0; ch < C; ++ch) {
          yp[yo + ch] += xp[xo + ch] * kp[t * C + ch];
          dxp[xo + ch] += gp[yo + ch] * kp[t * C + ch];
        }
      });
    });
    // Kernel gradient: each thread owns some taps, so no two write the same element.
    parallel_for(0, 9, 1, [&](std::int64_t t0, std::int64_t t1) {
      std::fill(dkp + t0 * C, dkp + t1 * C, 0.0f);
      taps(0, c.n, [&](std::int64_t t, std::int64_t xo, std::int64_t yo) {
        if (t < t0 || t >= t1) return;
        for (std::int64_t ch = 0; ch < C; ++ch) dkp[t * C + ch] += gp[yo + ch] * xp[xo + ch];
      });
    });
    std::fill(dbp, dbp + C, 0.0f);
    for (std::int64_t r = 0; r < c.n * oh * ow; ++r)
      for (std::int64_t ch = 0; ch < C; ++ch) dbp[ch] += gp[r * C + ch];
    benchmark::DoNotOptimize(dkp);
    benchmark::DoNotOptimize(dxp);
    benchmark::DoNotOptimize(yp);
  }
  report(state, c);
}

}  // namespace

BENCHMARK(BM_depthwise_conv2d_train)->DenseRange(0, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_depthwise_conv2d_train_channels_first)->DenseRange(0, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_depthwise_conv2d_op_channels_first)->DenseRange(0, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_depthwise_direct_loops_train)->DenseRange(0, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
