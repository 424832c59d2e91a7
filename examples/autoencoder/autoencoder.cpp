#include "autoencoder.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include <minidl/optim/adam.h>
#include <minidl/optim/model.h>

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

AutoencoderResult train_autoencoder(const AutoencoderOptions& o) {
  manual_seed(o.seed);
  const auto train = io::load_fashion_mnist("train", o.data_dir, o.limit);
  const auto test = io::load_fashion_mnist("test", o.data_dir, o.test_limit);
  Generator rng(o.seed);
  const Tensor train_in = o.denoise ? add_noise(train.images, o.noise_factor, rng) : train.images;
  const Tensor test_in = o.denoise ? add_noise(test.images, o.noise_factor, rng) : test.images;

  // As keras.io: compile(optimizer="adam", loss="binary_crossentropy"), fit(..., shuffle=True,
  // validation_data=(x_test, x_test)).
  optim::Model model(make_autoencoder());
  model.compile({.optimizer = optim::Adam(), .loss = "binary_crossentropy"});
  const auto start = std::chrono::steady_clock::now();
  const auto history = model.fit(train_in, train.images,
                                 {.batch_size = o.batch_size,
                                  .epochs = o.epochs,
                                  .verbose = o.verbose,
                                  .validation_data = std::pair{test_in, test.images},
                                  .shuffle = true,
                                  .seed = o.seed});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  AutoencoderResult result;
  result.train_loss = history["loss"];
  result.test_loss = history["val_loss"];
  const std::int64_t steps_per_epoch = (train.images.shape()[0] + o.batch_size - 1) / o.batch_size;
  result.seconds_per_step = seconds / double(steps_per_epoch * o.epochs);  // includes validation
  if (o.write_outputs) {
    std::filesystem::create_directories(o.out_dir);
    // Row 1: originals; row 2: the noisy inputs (denoising only); last row: reconstructions.
    std::vector<std::int64_t> idx(10);
    for (int i = 0; i < 10; ++i) idx[i] = i;
    std::vector<Tensor> rows{io::gather_rows(test.images, idx)};
    if (o.denoise) rows.push_back(io::gather_rows(test_in, idx));
    rows.push_back(model.predict(io::gather_rows(test_in, idx)));
    result.grid_png = o.out_dir + (o.denoise ? "/denoised.png" : "/reconstructions.png");
    io::save_image_grid(result.grid_png, concat(rows, 0), {.columns = 10, .upscale = 2});
    result.curve_png = o.out_dir + "/loss.png";
    write_curve_plot(result.curve_png, {{"train", result.train_loss}, {"test", result.test_loss}});
    std::ofstream csv(o.out_dir + "/loss.csv");
    csv << "epoch,train_loss,test_loss\n";
    for (std::size_t e = 0; e < result.test_loss.size(); ++e)
      csv << e + 1 << ',' << result.train_loss[e] << ',' << result.test_loss[e] << '\n';
    result.weights = o.out_dir + "/autoencoder.safetensors";
    model.save_weights(result.weights);
  }
  return result;
}

}  // namespace minidl::examples
