#pragma once
// The TensorFlow DCGAN tutorial on Fashion-MNIST, as a custom training loop with two optimizers.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <minidl/minidl.h>
#include <minidl/optim/adam.h>

namespace minidl::examples {

std::shared_ptr<layers::Sequential> make_dcgan_generator(std::int64_t noise_dim = 100);
// dropout: the tutorial's 0.3 after each convolution; 0 makes the network deterministic (the
// PyTorch reference test compares a whole step with it).
std::shared_ptr<layers::Sequential> make_dcgan_discriminator(double dropout = 0.3);

struct DcganOptions {
  int epochs = 5;
  std::int64_t batch_size = 256;
  std::int64_t noise_dim = 100;
  std::uint64_t seed = 42;
  double dropout = 0.3;                // the discriminator's Dropout rate
  // Both networks' Adam: the tutorial's Adam(1e-4) by default; the DCGAN paper (Radford et al.
  // 2015) trains with learning_rate 2e-4 and beta_1 0.5.
  double learning_rate = 1e-4;
  double beta_1 = 0.9;
  std::string out_dir = "out/dcgan";
  std::string data_dir;                // "" = io::fashion_mnist_dir()
  std::optional<std::int64_t> limit;   // first N training images only (tests, quick runs)
  bool verbose = true;
  bool write_images = true;
  int save_every = 0;                  // also keep the generator after every N-th epoch (0: only at the end)
  // Continue from <out_dir>/checkpoint.safetensors (written after every epoch) up to `epochs` in all;
  // needs the checkpoint's seed, batch_size, noise_dim, dropout, limit, learning_rate and beta_1.
  bool resume = false;
};

// One training step of both networks, exactly the tutorial's: both losses from one forward pass,
// each network updated from its own loss with Adam (the tutorial's 1e-4 unless options say otherwise).
class DcganTrainer {
 public:
  explicit DcganTrainer(const DcganOptions& options);
  struct Losses {
    double generator = 0, discriminator = 0;
  };
  Losses train_step(const Tensor& real_images);  // images scaled to [-1, 1], (B, 28, 28, 1)
  // The step's gradients without applying them (train_step = gradients + both optimizers' apply):
  // d(generator loss)/d(generator weights) and d(discriminator loss)/d(discriminator weights), in
  // trainable_weights() order. Draws the noise and dropout masks a train_step would.
  struct Gradients {
    std::vector<Tensor> generator, discriminator;
    Losses losses;
  };
  Gradients gradients(const Tensor& real_images);
  Gradients gradients(const Tensor& real_images, const Tensor& noise);  // with the given (B, noise_dim) noise
  Tensor generate(const Tensor& noise);           // inference mode
  layers::Sequential& generator() { return *generator_; }
  layers::Sequential& discriminator() { return *discriminator_; }
  Generator& rng() { return rng_; }
  optim::Adam& generator_optimizer() { return generator_optimizer_; }
  optim::Adam& discriminator_optimizer() { return discriminator_optimizer_; }

 private:
  DcganOptions options_;
  Generator rng_;
  std::shared_ptr<layers::Sequential> generator_, discriminator_;
  optim::Adam generator_optimizer_, discriminator_optimizer_;
};

struct DcganHistory {
  std::vector<double> generator_loss, discriminator_loss;  // per epoch (mean over steps)
  std::vector<std::string> images;                        // PNG written after each epoch of this call
  std::string weights;                                    // generator safetensors
  std::string checkpoint;                                 // the whole training state, for --resume
};
DcganHistory train_dcgan(const DcganOptions& options);

// Loads generator weights saved by train_dcgan and writes a grid of `count` samples.
void generate_samples(const std::string& weights_path, int count, const std::string& png_path, std::uint64_t seed);

// Weights by path ("sequential/dense/kernel" -> tensor), for safetensors files.
std::vector<std::pair<std::string, Tensor>> named_weights(const layers::Layer& model);
void load_named_weights(layers::Layer& model, const std::vector<std::pair<std::string, Tensor>>& tensors,
                        const std::string& origin);

}  // namespace minidl::examples
