#include "minidl/core/io/fashion_mnist.h"

#include <cstdlib>

#include "minidl/core/error.h"
#include "minidl/core/io/idx.h"

namespace minidl::io {

namespace {

constexpr std::int64_t kSide = 28;
constexpr int kClasses = 10;

// "<name>.gz" as Debian ships it, or "<name>" for a decompressed copy.
std::filesystem::path find_file(const std::filesystem::path& dir, const std::string& name) {
  std::error_code ec;
  for (const auto& candidate : {dir / (name + ".gz"), dir / name})
    if (std::filesystem::is_regular_file(candidate, ec)) return candidate;
  throw_runtime_error(
      "load_fashion_mnist: '{}' not found (neither '{}.gz' nor '{}' exists in folder '{}'). Install the Debian "
      "package dataset-fashion-mnist (apt-get install dataset-fashion-mnist), which puts the files in {}, or set "
      "MINIDL_FASHION_MNIST to a folder holding them",
      name, name, name, dir.string(), kFashionMnistDefaultDir);
}

}  // namespace

std::filesystem::path fashion_mnist_dir() {
  const char* env = std::getenv("MINIDL_FASHION_MNIST");
  if (env != nullptr && *env != '\0') return env;
  return std::filesystem::path(kFashionMnistDefaultDir);
}

FashionMnist load_fashion_mnist(std::string_view split, const std::filesystem::path& dir,
                                std::optional<std::int64_t> limit) {
  if (split != "train" && split != "test")
    throw_invalid_argument("load_fashion_mnist: split must be \"train\" or \"test\", received split=\"{}\"", split);
  if (limit && *limit < 0) throw_invalid_argument("load_fashion_mnist: limit must be >= 0, received limit={}", *limit);
  const std::filesystem::path folder = dir.empty() ? fashion_mnist_dir() : dir;
  const std::string prefix = split == "train" ? "train" : "t10k";
  const auto images_path = find_file(folder, prefix + "-images-idx3-ubyte");
  const auto labels_path = find_file(folder, prefix + "-labels-idx1-ubyte");

  IdxArray images = read_idx(images_path, {.expected_ndim = 3, .limit = limit});
  IdxArray labels = read_idx(labels_path, {.expected_ndim = 1, .limit = limit});
  if (images.dims[1] != kSide || images.dims[2] != kSide)
    throw_runtime_error("load_fashion_mnist: '{}' holds images of {}x{} pixels, expected {}x{}", images_path.string(),
                        images.dims[1], images.dims[2], kSide, kSide);
  if (images.dims[0] != labels.dims[0])
    throw_runtime_error("load_fashion_mnist: '{}' holds {} images but '{}' holds {} labels; the counts must match",
                        images_path.string(), images.dims[0], labels_path.string(), labels.dims[0]);

  const float* l = labels.values.data<float>();
  for (std::int64_t i = 0; i < labels.values.numel(); ++i)
    if (!(l[i] < kClasses))
      throw_runtime_error("load_fashion_mnist: '{}': label {} of sample {} is not a class index 0..{}",
                          labels_path.string(), l[i], i, kClasses - 1);

  float* px = images.values.data<float>();
  for (std::int64_t i = 0; i < images.values.numel(); ++i) px[i] /= 255.0f;
  // Add the channel axis as a view of the same buffer (core does not call autograd's reshape).
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = images.values.impl()->storage;
  impl->shape = Shape{images.values.size(0), kSide, kSide, 1};
  impl->dtype = DType::Float32;
  return {Tensor(std::move(impl)), labels.values};
}

}  // namespace minidl::io
