// The keras.io convolutional autoencoder on Fashion-MNIST; --denoise trains on noisy inputs.
//   minidl_autoencoder --epochs 1 --out out/autoencoder [--denoise] [--seed 42] [--threads 2]
#include <cstdio>

#include "autoencoder.h"
#include "common/flags.h"

int main(int argc, char** argv) {
  using namespace minidl;
  try {
    examples::Flags flags(argc, argv,
                          {{"epochs", "training epochs (default 1)"},
                           {"batch-size", "batch size (default 128)"},
                           {"out", "output folder (default out/autoencoder)"},
                           {"seed", "random seed (default 42)"},
                           {"threads", "threads for minidl and OpenBLAS (default: all cores)"},
                           {"limit", "use only the first N training images"},
                           {"data", "Fashion-MNIST folder (default /usr/share/datasets/fashion-mnist)"},
                           {"denoise", "train to remove Gaussian noise (factor 0.4) from the inputs"}},
                          {"denoise"});
    if (flags.help()) {
      std::fputs(flags.usage(argv[0]).c_str(), stdout);
      return 0;
    }
    if (flags.has("threads")) set_num_threads(static_cast<int>(flags.get_int("threads", 0, 1)));
    examples::AutoencoderOptions o;
    o.epochs = static_cast<int>(flags.get_int("epochs", 1, 1));
    o.batch_size = flags.get_int("batch-size", 128, 1);
    o.out_dir = flags.get("out", o.out_dir);
    o.seed = static_cast<std::uint64_t>(flags.get_int("seed", 42));
    o.data_dir = flags.get("data", "");
    o.denoise = flags.has("denoise");
    if (flags.has("limit")) o.limit = flags.get_int("limit", 0, 1);
    const auto r = examples::train_autoencoder(o);
    fmt::print("test loss per epoch: {:.4f}\npictures: {} and {}\nweights: {}\n", fmt::join(r.test_loss, ", "),
               r.grid_png, r.curve_png, r.weights);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
