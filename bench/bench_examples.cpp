// One training step of each example model on random data (no dataset needed): the autoencoder
// (forward, BCE, backward, Adam) at batch 128 and the DCGAN step (generator + discriminator) at
// batch 256. bench/examples_vs_torch.py runs the same steps in PyTorch.
#include <benchmark/benchmark.h>

#include <minidl/minidl.h>
#include <minidl/optim/adam.h>

#include "autoencoder/autoencoder.h"
#include "dcgan/dcgan.h"

using namespace minidl;

static void BM_autoencoder_step(benchmark::State& state) {
  manual_seed(1);
  auto model = examples::make_autoencoder();
  optim::Adam optimizer;
  Generator gen(2);
  const Tensor x = Tensor::rand({128, 28, 28, 1}, gen);
  const auto vars = model->trainable_weights();
  for (auto _ : state) {
    optimizer.zero_grad(vars);
    const Tensor loss = mean(losses::binary_crossentropy(x, (*model)(x, true)));
    loss.backward();
    optimizer.step(vars);
    benchmark::DoNotOptimize(loss.item());
  }
}
BENCHMARK(BM_autoencoder_step)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);

static void BM_dcgan_step(benchmark::State& state) {
  examples::DcganTrainer trainer({});
  Generator gen(3);
  const Tensor real = Tensor::rand({256, 28, 28, 1}, gen, DType::Float32, -1.0, 1.0);
  for (auto _ : state) benchmark::DoNotOptimize(trainer.train_step(real).generator);
}
BENCHMARK(BM_dcgan_step)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(5.0);

BENCHMARK_MAIN();
