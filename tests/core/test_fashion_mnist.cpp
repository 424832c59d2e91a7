// Fashion-MNIST: a synthetic copy written here (values worked out in the test), the errors, and the
// real test split from Debian's dataset-fashion-mnist when it is installed.
#include <cstdlib>

#include "core/io_support.h"
#include "support/fixtures.h"

using namespace minidl;
using test::TempDir;

namespace {

// Sets an environment variable for one scope, restoring the previous value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// n images whose pixel p of image i is (i + p) % 256, labels i % 10.
void write_dataset(const std::filesystem::path& dir, const std::string& prefix, std::uint32_t n,
                   std::uint32_t labels_n, bool gzip = true, std::uint32_t side = 28) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(n) * side * side), lab(labels_n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t p = 0; p < side * side; ++p) px[i * side * side + p] = static_cast<std::uint8_t>((i + p) % 256);
  for (std::size_t i = 0; i < labels_n; ++i) lab[i] = static_cast<std::uint8_t>(i % 10);
  const auto images = test::idx_bytes({n, side, side}, px);
  const auto labels = test::idx_bytes({labels_n}, lab);
  const std::string ext = gzip ? ".gz" : "";
  const auto write = gzip ? test::write_gzip_file : test::write_file;
  write(dir / (prefix + "-images-idx3-ubyte" + ext), images);
  write(dir / (prefix + "-labels-idx1-ubyte" + ext), labels);
}

}  // namespace

TEST_CASE("Fashion-MNIST loads a synthetic copy: shape (N, 28, 28, 1), pixels / 255", "[fashion_mnist]") {
  TempDir dir;
  write_dataset(dir.path(), "t10k", 4, 4);
  write_dataset(dir.path(), "train", 3, 3, /*gzip=*/false);  // decompressed copies work too
  const auto test_split = io::load_fashion_mnist("test", dir.path());
  REQUIRE(test_split.images.shape() == Shape{4, 28, 28, 1});
  REQUIRE(test_split.labels.shape() == Shape{4});
  CHECK(test_split.labels.to_vector<float>() == std::vector<float>{0, 1, 2, 3});
  const auto px = test_split.images.to_vector<float>();
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t p = 0; p < 784; ++p)
      REQUIRE(px[i * 784 + p] == static_cast<float>((i + p) % 256) / 255.0f);
  CHECK(io::load_fashion_mnist("train", dir.path()).images.shape() == Shape{3, 28, 28, 1});

  SECTION("limit") {
    const auto two = io::load_fashion_mnist("test", dir.path(), 2);
    REQUIRE(two.images.shape() == Shape{2, 28, 28, 1});
    CHECK(two.labels.to_vector<float>() == std::vector<float>{0, 1});
    CHECK(io::load_fashion_mnist("test", dir.path(), 100).images.size(0) == 4);
  }
  SECTION("MINIDL_FASHION_MNIST picks the folder") {
    ScopedEnv env("MINIDL_FASHION_MNIST", dir.path().string());
    CHECK(io::fashion_mnist_dir() == dir.path());
    CHECK(io::load_fashion_mnist("test").labels.numel() == 4);
  }
  SECTION("without MINIDL_FASHION_MNIST the Debian folder is the default") {
    ScopedEnv env("MINIDL_FASHION_MNIST", "");
    CHECK(io::fashion_mnist_dir() == "/usr/share/datasets/fashion-mnist");
  }
}

TEST_CASE("Fashion-MNIST errors say what is wrong and how to fix it", "[fashion_mnist][errors]") {
  TempDir dir;
  REQUIRE_THROWS_WITH_ALL(io::load_fashion_mnist("valid", dir.path()), std::invalid_argument, "split",
                          "\"train\" or \"test\"", "valid");
  REQUIRE_THROWS_WITH_ALL(io::load_fashion_mnist("test", dir.path(), -3), std::invalid_argument, "limit", "-3");
  REQUIRE_THROWS_WITH_ALL(io::load_fashion_mnist("test", dir.path()), std::runtime_error, "t10k-images-idx3-ubyte",
                          dir.path().c_str(), "apt-get install dataset-fashion-mnist", "MINIDL_FASHION_MNIST");

  SECTION("image and label counts differ") {
    write_dataset(dir.path(), "t10k", 4, 5);
    REQUIRE_THROWS_WITH_ALL(io::load_fashion_mnist("test", dir.path()), std::runtime_error, "4 images", "5 labels",
                            "must match");
  }
  SECTION("labels file missing") {
    write_dataset(dir.path(), "t10k", 4, 4);
    std::filesystem::remove(dir / "t10k-labels-idx1-ubyte.gz");
    REQUIRE_THROWS_WITH_ALL(io::load_fashion_mnist("test", dir.path()), std::runtime_error,
                            "t10k-labels-idx1-ubyte", "dataset-fashion-mnist");
  }
  SECTION("images that are not 28x28") {
    write_dataset(dir.path(), "t10k", 2, 2, true, 8);
    REQUIRE_THROWS_WITH_ALL(io::load_fashion_mnist("test", dir.path()), std::runtime_error, "8x8", "expected 28x28");
  }
  SECTION("a label outside 0..9") {
    write_dataset(dir.path(), "t10k", 2, 2);
    test::write_gzip_file(dir / "t10k-labels-idx1-ubyte.gz", test::idx_bytes({2}, {3, 12}));
    REQUIRE_THROWS_WITH_ALL(io::load_fashion_mnist("test", dir.path()), std::runtime_error, "label 12 of sample 1",
                            "0..9");
  }
  SECTION("images and labels swapped") {
    write_dataset(dir.path(), "t10k", 2, 2);
    std::filesystem::rename(dir / "t10k-labels-idx1-ubyte.gz", dir / "tmp.gz");
    std::filesystem::rename(dir / "t10k-images-idx3-ubyte.gz", dir / "t10k-labels-idx1-ubyte.gz");
    std::filesystem::rename(dir / "tmp.gz", dir / "t10k-images-idx3-ubyte.gz");
    REQUIRE_THROWS_WITH_ALL(io::load_fashion_mnist("test", dir.path()), std::runtime_error, "t10k-images-idx3-ubyte.gz",
                            "expected 0x00000803");
  }
}

TEST_CASE("Fashion-MNIST: the real test split from dataset-fashion-mnist", "[fashion_mnist][dataset]") {
  const std::filesystem::path dir = io::kFashionMnistDefaultDir;
  if (!std::filesystem::exists(dir / "t10k-images-idx3-ubyte.gz")) {
    WARN("Fashion-MNIST is not installed in " << dir << " (apt-get install dataset-fashion-mnist): test skipped");
    return;
  }
  const auto data = io::load_fashion_mnist("test", dir);
  REQUIRE(data.images.shape() == Shape{10000, 28, 28, 1});
  REQUIRE(data.labels.shape() == Shape{10000});
  // The dataset's documentation: 10 classes, 1000 test images each; pixels are bytes / 255.
  std::vector<int> per_class(10, 0);
  int not_a_class = 0;
  for (const float l : data.labels.to_vector<float>()) {
    if (l >= 0.0f && l <= 9.0f && l == std::floor(l)) ++per_class[static_cast<std::size_t>(l)];
    else ++not_a_class;
  }
  CHECK(not_a_class == 0);
  CHECK(per_class == std::vector<int>(10, 1000));
  float lo = 1.0f, hi = 0.0f;
  std::int64_t off_grid = 0;  // pixels that are not a byte / 255
  for (const float p : data.images.to_vector<float>()) {
    lo = std::min(lo, p);
    hi = std::max(hi, p);
    if (std::abs(p * 255.0f - std::round(p * 255.0f)) > 1e-3f) ++off_grid;
  }
  CHECK(off_grid == 0);
  CHECK(lo == 0.0f);
  CHECK(hi == 1.0f);

  const auto first = io::load_fashion_mnist("test", dir, 3);
  REQUIRE(first.images.shape() == Shape{3, 28, 28, 1});
  const auto all = data.images.to_vector<float>();
  const auto some = first.images.to_vector<float>();
  CHECK(std::equal(some.begin(), some.end(), all.begin()));
}
