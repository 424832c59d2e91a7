// The examples' code paths on a few hundred real Fashion-MNIST images: the losses fall and the
// pictures are valid PNGs of the expected size. Skipped (with a warning) without the dataset.
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "autoencoder/autoencoder.h"
#include "common/images.h"
#include "dcgan/dcgan.h"
#include "support/fixtures.h"

using namespace minidl;

namespace {
bool have_dataset() {
  return std::filesystem::exists(io::fashion_mnist_dir() / "t10k-images-idx3-ubyte.gz");
}
std::string scratch_dir(const std::string& name) {
  // The process id keeps concurrent runs (a Release and a sanitizer build's ctest) apart.
  const auto dir = std::filesystem::temp_directory_path() / ("minidl_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}
}  // namespace

// Ends the test case (with a warning, not a failure) on machines without the dataset package.
#define SKIP_WITHOUT_DATASET()                                                          \
  do {                                                                                  \
    if (!have_dataset()) {                                                              \
      WARN("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): skipped"); \
      return;                                                                           \
    }                                                                                   \
  } while (0)

TEST_CASE("autoencoder: the model is keras.io's, with 28,353 parameters", "[examples]") {
  auto model = examples::make_autoencoder();
  REQUIRE(model->count_params() == 28353);
  REQUIRE(model->compute_output_shape({-1, 28, 28, 1}) == Shape{-1, 28, 28, 1});
}

TEST_CASE("autoencoder: two short epochs lower the test loss and write the pictures", "[examples]") {
  SKIP_WITHOUT_DATASET();
  examples::AutoencoderOptions o;
  o.epochs = 2;
  o.limit = 512;
  o.test_limit = 256;
  o.batch_size = 64;
  o.verbose = 0;
  o.denoise = true;
  o.out_dir = scratch_dir("autoencoder");
  const auto r = examples::train_autoencoder(o);
  REQUIRE(r.test_loss.size() == 2);
  CHECK(r.train_loss[1] < r.train_loss[0]);
  CHECK(r.test_loss[1] < r.test_loss[0]);
  CHECK(r.test_loss[1] < 0.69);  // below the loss of predicting 0.5 everywhere, log 2
  // originals, noisy inputs, reconstructions: 3 rows of 10 images of 56 px + 2 px borders
  const auto grid = io::read_image(r.grid_png);
  CHECK(grid.width == 10 * 58 + 2);
  CHECK(grid.height == 3 * 58 + 2);
  CHECK(io::read_image(r.curve_png).width == 640);
  REQUIRE(io::load_safetensors(r.weights).tensors.size() == 10);
}

TEST_CASE("dcgan: the networks are the TensorFlow tutorial's", "[examples]") {
  auto g = examples::make_dcgan_generator();
  auto d = examples::make_dcgan_discriminator();
  REQUIRE(g->count_params() == 2330944);
  REQUIRE(g->compute_output_shape({-1, 100}) == Shape{-1, 28, 28, 1});
  REQUIRE(d->count_params() == 212865);
}

TEST_CASE("dcgan: training steps lower the discriminator loss, samples and weights round-trip", "[examples]") {
  SKIP_WITHOUT_DATASET();
  examples::DcganOptions o;
  o.batch_size = 32;
  o.verbose = false;
  o.out_dir = scratch_dir("dcgan");
  examples::DcganTrainer trainer(o);
  const auto data = io::load_fashion_mnist("test", "", 64);
  const Tensor real = slice(data.images * 2.0 - 1.0, 0, 0, 32);
  const auto first = trainer.train_step(real);
  examples::DcganTrainer::Losses last{};
  for (int i = 0; i < 5; ++i) last = trainer.train_step(real);
  CHECK(last.discriminator < first.discriminator);
  o.epochs = 2;
  o.limit = 128;
  o.batch_size = 64;
  o.save_every = 1;  // a snapshot after epoch 1; the last epoch's generator is generator.safetensors
  const auto h = examples::train_dcgan(o);
  REQUIRE(h.images.size() == 2);
  CHECK(std::filesystem::exists(o.out_dir + "/generator_epoch_001.safetensors"));
  CHECK_FALSE(std::filesystem::exists(o.out_dir + "/generator_epoch_002.safetensors"));
  examples::generate_samples(o.out_dir + "/generator_epoch_001.safetensors", 4, o.out_dir + "/snapshot.png", 7);
  CHECK(io::read_image(o.out_dir + "/snapshot.png").width == 4 * 58 + 2);
  const auto png = io::read_image(h.images[0]);
  CHECK(png.width == 4 * 58 + 2);
  CHECK(png.height == 4 * 58 + 2);
  const std::string sample = o.out_dir + "/generated.png";
  examples::generate_samples(h.weights, 20, sample, 7);
  CHECK(io::read_image(sample).width == 10 * 58 + 2);
  REQUIRE_THROWS_WITH_ALL(examples::generate_samples(o.out_dir + "/missing.safetensors", 4, sample, 1),
                          std::runtime_error, "missing.safetensors");
}

TEST_CASE("dcgan: each network's gradient is that of its own loss alone", "[examples]") {
  SKIP_WITHOUT_DATASET();
  // Three trainers built from one seed hold the same weights and draw the same noise and dropout
  // masks. The reference gradients come from a plain backward() of one loss on a fresh graph; a
  // step that mixed the two losses (the generator once received d(disc_loss)/d(fakes) too) fails.
  examples::DcganOptions o;
  o.verbose = false;
  const auto data = io::load_fashion_mnist("test", "", 8);
  const Tensor real = data.images * 2.0 - 1.0;
  examples::DcganTrainer stepped(o), gen_ref(o), disc_ref(o);
  const auto grads = stepped.gradients(real);

  auto reference = [&](examples::DcganTrainer& t, bool generator_loss) {
    const Tensor noise = Tensor::randn({real.shape()[0], o.noise_dim}, t.rng());
    const Tensor fake = t.generator()(noise, true);
    const Tensor real_out = t.discriminator()(real, true);
    const Tensor fake_out = t.discriminator()(fake, true);
    const Tensor ones = Tensor::ones(fake_out.shape()), zeros = Tensor::zeros(fake_out.shape());
    if (generator_loss) {
      mean(losses::binary_crossentropy(ones, fake_out, true)).backward();
    } else {
      (mean(losses::binary_crossentropy(ones, real_out, true)) + mean(losses::binary_crossentropy(zeros, fake_out, true)))
          .backward();
    }
    std::vector<Tensor> out;
    for (const auto& v : (generator_loss ? t.generator() : t.discriminator()).trainable_weights())
      out.push_back(v->value.grad());
    return out;
  };
  auto require_close = [](const std::vector<Tensor>& got, const std::vector<Tensor>& want) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      const auto g = got[i].to_vector<float>(), w = want[i].to_vector<float>();
      REQUIRE(g.size() == w.size());
      float scale = 0, diff = 0;
      for (std::size_t j = 0; j < g.size(); ++j) {
        scale = std::max(scale, std::abs(w[j]));
        diff = std::max(diff, std::abs(g[j] - w[j]));
      }
      INFO("weight " << i << ": max |difference| " << diff << " against max |gradient| " << scale);
      CHECK(scale > 0);
      CHECK(diff <= 1e-5f * scale);
    }
  };
  require_close(grads.generator, reference(gen_ref, true));
  require_close(grads.discriminator, reference(disc_ref, false));
}

TEST_CASE("dcgan: the optimizer options reach both networks' Adam", "[examples]") {
  examples::DcganOptions o;
  CHECK(o.learning_rate == 1e-4);  // the tutorial's Adam(1e-4) with Keras's beta_1
  CHECK(o.beta_1 == 0.9);
  o.learning_rate = 2e-4;
  o.beta_1 = 0.5;
  examples::DcganTrainer trainer(o);
  for (optim::Adam* adam : {&trainer.generator_optimizer(), &trainer.discriminator_optimizer()}) {
    const auto config = adam->get_config();
    CHECK(config.at("learning_rate").get<double>() == 2e-4);
    CHECK(config.at("beta_1").get<double>() == 0.5);
  }
  o.beta_1 = 1.0;
  REQUIRE_THROWS_WITH_ALL(examples::DcganTrainer(o), std::invalid_argument, "beta_1", "1");
}

TEST_CASE("dcgan: a run resumed from its checkpoint continues exactly as the straight run", "[examples]") {
  SKIP_WITHOUT_DATASET();
  examples::DcganOptions o;
  o.verbose = false;
  o.write_images = false;
  o.limit = 96;
  o.batch_size = 32;
  o.epochs = 3;
  o.out_dir = scratch_dir("dcgan_straight");
  const auto straight = examples::train_dcgan(o);

  examples::DcganOptions r = o;
  r.out_dir = scratch_dir("dcgan_resumed");
  r.epochs = 1;
  examples::train_dcgan(r);
  r.epochs = 3;
  r.resume = true;
  const auto resumed = examples::train_dcgan(r);
  // Same shuffles, noise, dropout masks and Adam moments: losses and every saved tensor bit-identical.
  CHECK(resumed.generator_loss == straight.generator_loss);
  CHECK(resumed.discriminator_loss == straight.discriminator_loss);
  const auto a = io::load_safetensors(straight.checkpoint), b = io::load_safetensors(resumed.checkpoint);
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    INFO(a.tensors[i].first);
    REQUIRE(a.tensors[i].first == b.tensors[i].first);
    const bool identical = a.tensors[i].second.to_vector<float>() == b.tensors[i].second.to_vector<float>();
    CHECK(identical);
  }
  CHECK(a.metadata == b.metadata);

  REQUIRE_THROWS_WITH_ALL(examples::train_dcgan(r), std::invalid_argument, "already at epoch 3", "--epochs > 3");
  examples::DcganOptions other = r;
  other.epochs = 4;
  other.batch_size = 16;
  REQUIRE_THROWS_WITH_ALL(examples::train_dcgan(other), std::invalid_argument, "batch_size=32", "batch_size=16");
  other = r;
  other.epochs = 4;
  other.learning_rate = 2e-4;
  REQUIRE_THROWS_WITH_ALL(examples::train_dcgan(other), std::invalid_argument, "learning_rate=0.0001",
                          "learning_rate=0.0002");
  {
    // A checkpoint from before the optimizer settings were recorded stands for the tutorial's Adam(1e-4):
    // it resumes with the defaults and is refused with others.
    auto old = io::load_safetensors(resumed.checkpoint);
    auto run = nlohmann::json::parse(old.metadata.at("run"));
    run.erase("learning_rate");
    run.erase("beta_1");
    old.metadata["run"] = run.dump();
    const std::string old_dir = scratch_dir("dcgan_old_checkpoint");
    std::filesystem::create_directories(old_dir);
    io::save_safetensors(old_dir + "/checkpoint.safetensors", old.tensors, old.metadata);
    other = r;
    other.out_dir = old_dir;
    other.epochs = 4;
    other.beta_1 = 0.5;
    REQUIRE_THROWS_WITH_ALL(examples::train_dcgan(other), std::invalid_argument, "beta_1=0.9", "beta_1=0.5");
    other.beta_1 = r.beta_1;
    CHECK(examples::train_dcgan(other).generator_loss.size() == 4);
  }
  other = r;
  other.epochs = 4;
  other.out_dir = scratch_dir("dcgan_nothing");
  REQUIRE_THROWS_WITH_ALL(examples::train_dcgan(other), std::invalid_argument, "no checkpoint",
                          "checkpoint.safetensors");
  // A generator-only weights file in the checkpoint's place is refused, not half-loaded.
  std::filesystem::copy_file(resumed.weights, resumed.checkpoint, std::filesystem::copy_options::overwrite_existing);
  other = r;
  other.epochs = 4;
  REQUIRE_THROWS_WITH_ALL(examples::train_dcgan(other), std::runtime_error, "checkpoint.safetensors",
                          "no 'format' entry");
  io::save_safetensors(resumed.checkpoint, {},
                       {{"format", "minidl.dcgan_checkpoint"}, {"format_version", "1"}, {"epoch", "1"}, {"run", "5"},
                        {"rng_state", ""}, {"dropout_rng_states", "{}"}, {"losses", "{}"}});
  REQUIRE_THROWS_WITH_ALL(examples::train_dcgan(other), std::runtime_error, "damaged metadata", "JSON objects");
}
