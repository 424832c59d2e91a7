#pragma once
// Fashion-MNIST (Zalando, 60000 training and 10000 test 28x28 grey images of 10 clothing classes),
// read from the four IDX files Debian's package dataset-fashion-mnist installs in
// /usr/share/datasets/fashion-mnist.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "minidl/core/tensor.h"

namespace minidl::io {

inline constexpr std::string_view kFashionMnistDefaultDir = "/usr/share/datasets/fashion-mnist";

struct FashionMnist {
  Tensor images;  // float32 (N, 28, 28, 1), pixel / 255 in [0, 1] (Keras's channels_last layout)
  Tensor labels;  // float32 (N), class indices 0..9
};

// The folder load_fashion_mnist reads when given none: $MINIDL_FASHION_MNIST if set and not empty,
// else kFashionMnistDefaultDir.
std::filesystem::path fashion_mnist_dir();

// split: "train" (train-*-ubyte) or "test" (t10k-*-ubyte). Each file is looked up as "<name>.gz",
// then "<name>". An empty `dir` means fashion_mnist_dir(). `limit` keeps the first min(limit, N)
// samples and skips converting the rest.
// Throws std::invalid_argument for a bad split or limit, std::runtime_error when a file is missing
// (saying how to install it) or malformed, or when the image and label counts differ.
FashionMnist load_fashion_mnist(std::string_view split = "train", const std::filesystem::path& dir = {},
                                std::optional<std::int64_t> limit = std::nullopt);

}  // namespace minidl::io
