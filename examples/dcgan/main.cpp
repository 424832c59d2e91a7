// DCGAN on Fashion-MNIST (the TensorFlow tutorial's networks), trained with a custom loop.
//   minidl_dcgan --epochs 5 --out out/dcgan          train, one sample grid per epoch
//   minidl_dcgan --epochs 20 --out out/dcgan --resume   continue that run to epoch 20
//   minidl_dcgan --generate 64 --weights out/dcgan/generator.safetensors
#include <cstdio>

#include "common/flags.h"
#include "dcgan.h"

int main(int argc, char** argv) {
  using namespace minidl;
  try {
    examples::Flags flags(argc, argv,
                          {{"epochs", "training epochs (default 5)"},
                           {"batch-size", "batch size (default 256)"},
                           {"out", "output folder (default out/dcgan)"},
                           {"seed", "random seed (default 42)"},
                           {"threads", "threads for minidl and OpenBLAS (default: all cores)"},
                           {"learning-rate", "Adam learning rate of both networks (default 1e-4, the tutorial's; the DCGAN paper: 2e-4)"},
                           {"beta-1", "Adam beta_1 of both networks (default 0.9, Keras's; the DCGAN paper: 0.5)"},
                           {"limit", "use only the first N training images"},
                           {"data", "Fashion-MNIST folder (default /usr/share/datasets/fashion-mnist)"},
                           {"save-every", "also save the generator after every N-th epoch (generator_epoch_NNN.safetensors)"},
                           {"resume", "continue from <out>/checkpoint.safetensors (written after every epoch) up to --epochs"},
                           {"generate", "write N samples from saved weights instead of training"},
                           {"weights", "generator weights for --generate (default <out>/generator.safetensors)"}},
                          {"resume"});
    if (flags.help()) {
      std::fputs(flags.usage(argv[0]).c_str(), stdout);
      return 0;
    }
    if (flags.has("threads")) set_num_threads(static_cast<int>(flags.get_int("threads", 0, 1)));
    examples::DcganOptions o;
    o.out_dir = flags.get("out", o.out_dir);
    o.seed = static_cast<std::uint64_t>(flags.get_int("seed", 42));
    if (flags.has("generate")) {
      const std::string weights = flags.get("weights", o.out_dir + "/generator.safetensors");
      const std::string png = o.out_dir + "/generated.png";
      examples::generate_samples(weights, static_cast<int>(flags.get_int("generate", 16, 1)), png, o.seed);
      fmt::print("wrote {}\n", png);
      return 0;
    }
    o.epochs = static_cast<int>(flags.get_int("epochs", 5, 1));
    o.batch_size = flags.get_int("batch-size", 256, 1);
    o.data_dir = flags.get("data", "");
    o.learning_rate = flags.get_double("learning-rate", o.learning_rate);
    o.beta_1 = flags.get_double("beta-1", o.beta_1);
    if (flags.has("limit")) o.limit = flags.get_int("limit", 0, 1);
    o.save_every = static_cast<int>(flags.get_int("save-every", 0, 0));
    o.resume = flags.has("resume");
    const auto history = examples::train_dcgan(o);
    fmt::print("samples per epoch: {} ... {}\nloss curve: {}/losses.png\ngenerator weights: {}\n",
               history.images.front(), history.images.back(), o.out_dir, history.weights);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
