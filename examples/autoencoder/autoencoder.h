#pragma once
// The keras.io convolutional autoencoder (and its denoising variant) on Fashion-MNIST.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <minidl/minidl.h>

namespace minidl::examples {

// Conv2D(32,3,relu,same) -> MaxPooling2D(2,same) -> Conv2D(32,3,relu,same) -> MaxPooling2D(2,same)
// -> Conv2DTranspose(32,3,s2,relu,same) x2 -> Conv2D(1,3,sigmoid,same); 28,353 parameters.
std::shared_ptr<layers::Sequential> make_autoencoder();

struct AutoencoderOptions {
  int epochs = 1;
  std::int64_t batch_size = 128;
  std::uint64_t seed = 42;
  bool denoise = false;
  double noise_factor = 0.4;
  std::string out_dir = "out/autoencoder";
  std::string data_dir;                     // "" = io::fashion_mnist_dir()
  std::optional<std::int64_t> limit;        // first N training images only
  std::optional<std::int64_t> test_limit;   // first N test images only
  int verbose = 1;
  bool write_outputs = true;
};

struct AutoencoderResult {
  std::vector<double> train_loss, test_loss;  // per epoch
  std::string grid_png, curve_png, weights;
  double seconds_per_step = 0;
};

// Adds Gaussian noise * factor and clips to [0, 1], as the keras.io denoising example.
Tensor add_noise(const Tensor& images, double factor, Generator& gen);

AutoencoderResult train_autoencoder(const AutoencoderOptions& options);

}  // namespace minidl::examples
