#include "dcgan.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "checkpoint.h"
#include "common/images.h"
#include "minidl/optim/progbar.h"

namespace minidl::examples {

using namespace minidl::layers;

std::shared_ptr<Sequential> make_dcgan_generator(std::int64_t noise_dim) {
  auto g = std::make_shared<Sequential>(SequentialOptions{.name = "generator"});
  g->add(Dense({.units = 7 * 7 * 256, .use_bias = false, .name = "dense", .input_shape = Shape{noise_dim}}));
  g->add(BatchNormalization({.name = "batch_normalization"}));
  g->add(LeakyReLU({.name = "leaky_re_lu"}));
  g->add(Reshape({.target_shape = {7, 7, 256}, .name = "reshape"}));
  g->add(Conv2DTranspose({.filters = 128, .kernel_size = 5, .strides = 1, .padding = "same", .use_bias = false, .name = "conv2d_transpose"}));
  g->add(BatchNormalization({.name = "batch_normalization_1"}));
  g->add(LeakyReLU({.name = "leaky_re_lu_1"}));
  g->add(Conv2DTranspose({.filters = 64, .kernel_size = 5, .strides = 2, .padding = "same", .use_bias = false, .name = "conv2d_transpose_1"}));
  g->add(BatchNormalization({.name = "batch_normalization_2"}));
  g->add(LeakyReLU({.name = "leaky_re_lu_2"}));
  g->add(Conv2DTranspose(
      {.filters = 1, .kernel_size = 5, .strides = 2, .padding = "same", .activation = "tanh", .use_bias = false, .name = "conv2d_transpose_2"}));
  return g;
}

std::shared_ptr<Sequential> make_dcgan_discriminator(double dropout) {
  auto d = std::make_shared<Sequential>(SequentialOptions{.name = "discriminator"});
  d->add(Conv2D({.filters = 64, .kernel_size = 5, .strides = 2, .padding = "same", .name = "conv2d", .input_shape = Shape{28, 28, 1}}));
  d->add(LeakyReLU({.name = "leaky_re_lu"}));
  d->add(Dropout({.rate = dropout, .name = "dropout"}));
  d->add(Conv2D({.filters = 128, .kernel_size = 5, .strides = 2, .padding = "same", .name = "conv2d_1"}));
  d->add(LeakyReLU({.name = "leaky_re_lu_1"}));
  d->add(Dropout({.rate = dropout, .name = "dropout_1"}));
  d->add(Flatten({.name = "flatten"}));
  d->add(Dense({.units = 1, .name = "dense"}));
  return d;
}

DcganTrainer::DcganTrainer(const DcganOptions& o)
    : options_(o),
      rng_(o.seed),
      generator_((manual_seed(o.seed), make_dcgan_generator(o.noise_dim))),
      discriminator_(make_dcgan_discriminator(o.dropout)),
      generator_optimizer_({.learning_rate = o.learning_rate, .beta_1 = o.beta_1}),
      discriminator_optimizer_({.learning_rate = o.learning_rate, .beta_1 = o.beta_1}) {}

DcganTrainer::Gradients DcganTrainer::gradients(const Tensor& real) {
  return gradients(real, Tensor::randn({real.shape()[0], options_.noise_dim}, rng_));
}

DcganTrainer::Gradients DcganTrainer::gradients(const Tensor& real, const Tensor& noise) {
  const Tensor fake = (*generator_)(noise, true);
  const Tensor real_out = (*discriminator_)(real, true);
  const Tensor fake_out = (*discriminator_)(fake, true);
  const Tensor ones = Tensor::ones(fake_out.shape()), zeros = Tensor::zeros(fake_out.shape());
  const Tensor gen_loss = mean(losses::binary_crossentropy(ones, fake_out, true));
  const Tensor disc_loss =
      mean(losses::binary_crossentropy(ones, real_out, true)) + mean(losses::binary_crossentropy(zeros, fake_out, true));

  // The tutorial's two tape.gradient calls. autograd::grad runs only what each needs: the
  // generator's pass skips the discriminator's weight gradients, the discriminator's pass skips
  // the gradient into the fakes.
  auto values = [](const std::vector<VariablePtr>& vars) {
    std::vector<Tensor> v;
    for (const auto& var : vars) v.push_back(var->value);
    return v;
  };
  Gradients g;
  g.generator = autograd::grad(gen_loss, values(generator_->trainable_weights()), {.retain_graph = true});
  g.discriminator = autograd::grad(disc_loss, values(discriminator_->trainable_weights()));
  g.losses = {gen_loss.item(), disc_loss.item()};
  return g;
}

DcganTrainer::Losses DcganTrainer::train_step(const Tensor& real) {
  const Gradients g = gradients(real);
  generator_optimizer_.apply(g.generator, generator_->trainable_weights());
  discriminator_optimizer_.apply(g.discriminator, discriminator_->trainable_weights());
  return g.losses;
}

Tensor DcganTrainer::generate(const Tensor& noise) {
  NoGradGuard guard;
  return (*generator_)(noise, false);
}

std::vector<std::pair<std::string, Tensor>> named_weights(const Layer& model) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& v : model.weights()) out.emplace_back(v->path, v->value);
  return out;
}

void load_named_weights(Layer& model, const std::vector<std::pair<std::string, Tensor>>& tensors,
                        const std::string& origin) {
  std::map<std::string, Tensor> by_name(tensors.begin(), tensors.end());
  std::vector<Tensor> values;
  for (const auto& v : model.weights()) {
    auto it = by_name.find(v->path);
    if (it == by_name.end())
      throw std::runtime_error(fmt::format("'{}' has no tensor named '{}' (was it written by this model?)", origin, v->path));
    values.push_back(it->second);
  }
  model.set_weights(values);
}

DcganHistory train_dcgan(const DcganOptions& o) {
  auto data = io::load_fashion_mnist("train", o.data_dir, o.limit);
  const Tensor images = data.images * 2.0 - 1.0;  // [-1, 1] for the tanh output
  DcganTrainer trainer(o);
  Generator fixed(o.seed + 1);
  const Tensor fixed_noise = Tensor::randn({16, o.noise_dim}, fixed);
  DcganHistory history;
  auto save_generator = [&](const std::string& path) {
    std::filesystem::create_directories(o.out_dir);
    io::save_safetensors(path, named_weights(trainer.generator()), {{"noise_dim", std::to_string(o.noise_dim)}});
  };
  history.checkpoint = o.out_dir + "/checkpoint.safetensors";
  int done = 0;
  if (o.resume) {
    if (!std::filesystem::exists(history.checkpoint))
      throw std::invalid_argument(fmt::format(
          "--resume: there is no checkpoint '{}' to resume from (train without --resume first, with the same --out)",
          history.checkpoint));
    done = load_dcgan_checkpoint(history.checkpoint, trainer, o, history);
    if (done >= o.epochs)
      throw std::invalid_argument(fmt::format(
          "--resume: '{}' is already at epoch {}; ask for more epochs (--epochs > {}) to train on", history.checkpoint,
          done, done));
    if (o.verbose) fmt::print("resuming after epoch {} from {}\n", done, history.checkpoint);
  }
  const std::int64_t n = images.shape()[0];
  for (int epoch = done + 1; epoch <= o.epochs; ++epoch) {
    double g_sum = 0, d_sum = 0;
    const auto batches = io::make_batches(n, o.batch_size, true, trainer.rng());
    // Keras's Progbar, as a custom Keras loop would use it: redrawn on a terminal, one line per epoch
    // in a log file.
    if (o.verbose) {
      fmt::print("Epoch {}/{}\n", epoch, o.epochs);
      std::fflush(stdout);  // visible at once in a log file, not only when the epoch's line flushes it
    }
    optim::Progbar bar(std::int64_t(batches.size()), o.verbose ? 1 : 0, std::cout, optim::is_terminal(std::cout));
    for (std::size_t i = 0; i < batches.size(); ++i) {
      const auto l = trainer.train_step(io::gather_rows(images, batches[i]));
      g_sum += l.generator;
      d_sum += l.discriminator;
      bar.update(std::int64_t(i + 1), {{"gen_loss", g_sum / double(i + 1)}, {"disc_loss", d_sum / double(i + 1)}},
                 i + 1 == batches.size());
    }
    history.generator_loss.push_back(g_sum / double(batches.size()));
    history.discriminator_loss.push_back(d_sum / double(batches.size()));
    if (o.save_every > 0 && epoch % o.save_every == 0 && epoch < o.epochs)
      save_generator(fmt::format("{}/generator_epoch_{:03d}.safetensors", o.out_dir, epoch));
    if (o.write_images) {
      const std::string png = fmt::format("{}/epoch_{:03d}.png", o.out_dir, epoch);
      io::save_image_grid(png, trainer.generate(fixed_noise), {.columns = 4, .value_range = {-1.0, 1.0}, .upscale = 2});
      history.images.push_back(png);
    }
    std::filesystem::create_directories(o.out_dir);
    save_dcgan_checkpoint(history.checkpoint, trainer, o, epoch, history);
  }
  history.weights = o.out_dir + "/generator.safetensors";
  save_generator(history.weights);
  std::ofstream csv(o.out_dir + "/losses.csv");
  csv << "epoch,generator_loss,discriminator_loss\n";
  for (std::size_t e = 0; e < history.generator_loss.size(); ++e)
    csv << e + 1 << ',' << history.generator_loss[e] << ',' << history.discriminator_loss[e] << '\n';
  if (o.write_images)
    write_curve_plot(o.out_dir + "/losses.png",
                     {{"generator", history.generator_loss}, {"discriminator", history.discriminator_loss}});
  return history;
}

void generate_samples(const std::string& weights_path, int count, const std::string& png_path, std::uint64_t seed) {
  if (count < 1) throw std::invalid_argument(fmt::format("--generate: the sample count must be >= 1, received {}", count));
  const auto file = io::load_safetensors(weights_path);
  std::int64_t noise_dim = 100;
  if (auto it = file.metadata.find("noise_dim"); it != file.metadata.end()) noise_dim = std::stoll(it->second);
  auto generator = make_dcgan_generator(noise_dim);
  generator->build({-1, noise_dim});
  load_named_weights(*generator, file.tensors, weights_path);
  Generator rng(seed);
  NoGradGuard guard;
  const Tensor samples = (*generator)(Tensor::randn({count, noise_dim}, rng), false);
  io::save_image_grid(png_path, samples, {.columns = std::min(count, 10), .value_range = {-1.0, 1.0}, .upscale = 2});
}

}  // namespace minidl::examples
