// Image resizing, forward and forward+backward, float32: UpSampling2D-style doubling of a decoder's
// feature map (32, 14, 14, 64) -> (32, 28, 28, 64) with nearest / bilinear / bicubic, and the
// preprocessing case, a batch of (32, 64, 64, 3) images shrunk to 28 x 28 bilinearly, with and without
// antialias. The NCHW rows are the same shapes channels first (what PyTorch is fastest at).
#include <benchmark/benchmark.h>

#include <minidl/minidl.h>

using namespace minidl;

namespace {

struct ResizeCase {
  const char* name;
  Shape input;
  std::array<std::int64_t, 2> size;
  ResizeOptions options;
};

const std::vector<ResizeCase>& cases() {
  static const std::vector<ResizeCase> c = {
      {"upsample_nearest", {32, 14, 14, 64}, {28, 28}, {.interpolation = "nearest"}},
      {"upsample_bilinear", {32, 14, 14, 64}, {28, 28}, {.interpolation = "bilinear"}},
      {"upsample_bicubic", {32, 14, 14, 64}, {28, 28}, {.interpolation = "bicubic"}},
      {"upsample_bilinear_nchw", {32, 64, 14, 14}, {28, 28}, {.interpolation = "bilinear", .data_format = "channels_first"}},
      {"shrink_bilinear", {32, 64, 64, 3}, {28, 28}, {.interpolation = "bilinear"}},
      {"shrink_bilinear_antialias", {32, 64, 64, 3}, {28, 28}, {.interpolation = "bilinear", .antialias = true}},
      {"shrink_bilinear_nchw", {32, 3, 64, 64}, {28, 28}, {.interpolation = "bilinear", .data_format = "channels_first"}},
  };
  return c;
}

void BM_resize(benchmark::State& state, bool backward) {
  const ResizeCase& c = cases()[static_cast<std::size_t>(state.range(0))];
  Tensor x = Tensor::randn(c.input).set_requires_grad(backward);
  Tensor y0 = resize(x.detach(), c.size, c.options);
  Tensor seed = Tensor::ones(y0.shape());
  for (auto _ : state) {
    if (backward) {
      x.zero_grad();
      resize(x, c.size, c.options).backward(seed);
      benchmark::DoNotOptimize(x.grad().raw_data());
    } else {
      benchmark::DoNotOptimize(resize(x, c.size, c.options).raw_data());
    }
  }
  state.SetLabel(c.name);
}

// upsampling2d's own nearest kernel (UpSampling2D's default), the same doubling as row 0.
void BM_upsampling2d_nearest(benchmark::State& state, bool backward) {
  Tensor x = Tensor::randn({32, 14, 14, 64}).set_requires_grad(backward);
  Tensor seed = Tensor::ones({32, 28, 28, 64});
  for (auto _ : state) {
    if (backward) {
      x.zero_grad();
      upsampling2d(x, {2, 2}).backward(seed);
      benchmark::DoNotOptimize(x.grad().raw_data());
    } else {
      benchmark::DoNotOptimize(upsampling2d(x, {2, 2}).raw_data());
    }
  }
}

}  // namespace

BENCHMARK_CAPTURE(BM_upsampling2d_nearest, forward, false)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_upsampling2d_nearest, forward_backward, true)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_resize, forward, false)->DenseRange(0, 6)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_resize, forward_backward, true)->DenseRange(0, 6)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
