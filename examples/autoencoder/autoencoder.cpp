#include "autoencoder.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include <minidl/optim/adam.h>

#include "common/images.h"

namespace minidl::examples {

using namespace minidl::layers;

std::shared_ptr<Sequential> make_autoencoder() {
  auto m = std::make_shared<Sequential>(SequentialOptions{.name = "autoencoder", .input_shape = Shape{28, 28, 1}});
  m->add(Conv2D({.filters = 32, .kernel_size = 3, .padding = "same", .activation = "relu", .name = "conv2d"}));
  m->add(MaxPooling2D({.pool_size = 2, .padding = "same", .name = "max_pooling2d"}));
  m->add(Conv2D({.filters = 32, .kernel_size = 3, .padding = "same", .activation = "relu", .name = "conv2d_1"}));
  m->add(MaxPooling2D({.pool_size = 2, .padding = "same", .name = "max_pooling2d_1"}));
  m->add(Conv2DTranspose({.filters = 32, .kernel_size = 3, .strides = 2, .padding = "same", .activation = "relu", .name = "conv2d_transpose"}));
  m->add(Conv2DTranspose({.filters = 32, .kernel_size = 3, .strides = 2, .padding = "same", .activation = "relu", .name = "conv2d_transpose_1"}));
  m->add(Conv2D({.filters = 1, .kernel_size = 3, .padding = "same", .activation = "sigmoid", .name = "conv2d_2"}));
  return m;
}

Tensor add_noise(const Tensor& images, double factor, Generator& gen) {
  NoGradGuard guard;
  return clip(images + Tensor::randn(images.shape(), gen, images.dtype()) * factor, 0.0, 1.0);
}

namespace {

// Keras's evaluate: the mean over batches weighted by batch size, in inference mode.
double evaluate_bce(Sequential& model, const Tensor& inputs, const Tensor& targets, std::int64_t batch_size) {
  NoGradGuard guard;
  Generator unused(0);
  double total = 0;
  const std::int64_t n = inputs.shape()[0];
  for (const auto& idx : io::make_batches(n, batch_size, false, unused)) {
    const Tensor pred = model(io::gather_rows(inputs, idx), false);
    total += mean(losses::binary_crossentropy(io::gather_rows(targets, idx), pred)).item() * double(idx.size());
  }
  return total / double(n);
}

}  // namespace

AutoencoderResult train_autoencoder(const AutoencoderOptions& o) {
  manual_seed(o.seed);
  const auto train = io::load_fashion_mnist("train", o.data_dir, o.limit);
  const auto test = io::load_fashion_mnist("test", o.data_dir, o.test_limit);
  Generator rng(o.seed);
  const Tensor train_in = o.denoise ? add_noise(train.images, o.noise_factor, rng) : train.images;
  const Tensor test_in = o.denoise ? add_noise(test.images, o.noise_factor, rng) : test.images;

  auto model = make_autoencoder();
  optim::Adam optimizer;
  const auto vars = model->trainable_weights();
  AutoencoderResult result;
  const std::int64_t n = train.images.shape()[0];
  std::int64_t steps_total = 0;
  double train_seconds = 0;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    if (o.verbose) fmt::print("Epoch {}/{}\n", epoch, o.epochs);
    const auto batches = io::make_batches(n, o.batch_size, true, rng);
    double loss_sum = 0;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < batches.size(); ++i) {
      const Tensor x = io::gather_rows(train_in, batches[i]), y = io::gather_rows(train.images, batches[i]);
      optimizer.zero_grad(vars);
      const Tensor loss = mean(losses::binary_crossentropy(y, (*model)(x, true)));
      loss.backward();
      optimizer.step(vars);
      loss_sum += loss.item();
      if (o.verbose == 1)
        fmt::print("\r{:>4}/{} - loss: {:.4f}", i + 1, batches.size(), loss_sum / double(i + 1));
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    train_seconds += secs;
    steps_total += static_cast<std::int64_t>(batches.size());
    result.train_loss.push_back(loss_sum / double(batches.size()));
    result.test_loss.push_back(evaluate_bce(*model, test_in, test.images, o.batch_size));
    if (o.verbose)
      fmt::print("{}{:.0f}s {:.0f}ms/step - loss: {:.4f} - test_loss: {:.4f}\n", o.verbose == 1 ? "\n" : "", secs,
                 1e3 * secs / double(batches.size()), result.train_loss.back(), result.test_loss.back());
  }
  result.seconds_per_step = train_seconds / double(std::max<std::int64_t>(steps_total, 1));
  if (o.write_outputs) {
    std::filesystem::create_directories(o.out_dir);
    // Row 1: originals; row 2: the noisy inputs (denoising only); last row: reconstructions.
    const std::vector<std::int64_t> first(10, 0);
    std::vector<std::int64_t> idx(10);
    for (int i = 0; i < 10; ++i) idx[i] = i;
    const Tensor originals = io::gather_rows(test.images, idx);
    Tensor recon;
    {
      NoGradGuard guard;
      recon = (*model)(io::gather_rows(test_in, idx), false);
    }
    std::vector<Tensor> rows{originals};
    if (o.denoise) rows.push_back(io::gather_rows(test_in, idx));
    rows.push_back(recon);
    result.grid_png = o.out_dir + (o.denoise ? "/denoised.png" : "/reconstructions.png");
    write_image_grid(result.grid_png, concat(rows, 0), 10);
    result.curve_png = o.out_dir + "/loss.png";
    write_curve_plot(result.curve_png, {{"train", result.train_loss}, {"test", result.test_loss}});
    std::ofstream csv(o.out_dir + "/loss.csv");
    csv << "epoch,train_loss,test_loss\n";
    for (std::size_t e = 0; e < result.test_loss.size(); ++e)
      csv << e + 1 << ',' << result.train_loss[e] << ',' << result.test_loss[e] << '\n';
    result.weights = o.out_dir + "/autoencoder.safetensors";
    std::vector<std::pair<std::string, Tensor>> named;
    for (const auto& v : model->weights()) named.emplace_back(v->path, v->value);
    io::save_safetensors(result.weights, named);
  }
  return result;
}

}  // namespace minidl::examples
