// IDX: synthetic files written here from the format's description (plain and gzip), bad magic
// numbers, truncated and oversized data, damaged gzip streams and a missing file.
#include <random>

#include "core/io_support.h"
#include "support/fixtures.h"

using namespace minidl;
using test::TempDir;

namespace {

// Bytes 0, 7, 14, ... (mod 256): a closed form the test can recompute.
std::vector<std::uint8_t> pattern(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>((i * 7) % 256);
  return v;
}

io::IdxArray parse(const std::vector<std::byte>& bytes, const io::IdxOptions& options = {}) {
  return io::parse_idx(bytes, "bad.idx", options);
}

}  // namespace

TEST_CASE("IDX reads images and labels, plain and gzipped", "[idx]") {
  TempDir dir;
  const auto images = test::idx_bytes({5, 3, 4}, pattern(60));
  const auto labels = test::idx_bytes({5}, {9, 0, 3, 255, 1});
  test::write_file(dir / "images-idx3-ubyte", images);
  test::write_gzip_file(dir / "images-idx3-ubyte.gz", images);
  test::write_gzip_file(dir / "labels-idx1-ubyte.gz", labels);
  REQUIRE(test::read_file(dir / "images-idx3-ubyte.gz") != images);  // really compressed

  for (const std::string name : {"images-idx3-ubyte", "images-idx3-ubyte.gz"}) {
    INFO(name);
    const auto got = io::read_idx(dir / name, {.expected_ndim = 3});
    CHECK(got.dims == std::vector<std::int64_t>{5, 3, 4});
    REQUIRE(got.values.dtype() == DType::Float32);
    REQUIRE(got.values.shape() == Shape{5, 3, 4});
    const auto v = got.values.to_vector<float>();
    for (std::size_t i = 0; i < v.size(); ++i) REQUIRE(v[i] == static_cast<float>((i * 7) % 256));
  }
  const auto l = io::read_idx(dir / "labels-idx1-ubyte.gz", {.expected_ndim = 1});
  CHECK(l.values.to_vector<float>() == std::vector<float>{9, 0, 3, 255, 1});
}

TEST_CASE("IDX limit keeps the first entries and still validates the whole file", "[idx]") {
  const auto images = test::idx_bytes({5, 3, 4}, pattern(60));
  const auto got = io::parse_idx(images, "mem", {.limit = 2});
  CHECK(got.dims == std::vector<std::int64_t>{5, 3, 4});
  REQUIRE(got.values.shape() == Shape{2, 3, 4});
  const auto v = got.values.to_vector<float>();
  for (std::size_t i = 0; i < v.size(); ++i) REQUIRE(v[i] == static_cast<float>((i * 7) % 256));
  CHECK(io::parse_idx(images, "mem", {.limit = 50}).values.shape() == Shape{5, 3, 4});
  CHECK(io::parse_idx(images, "mem", {.limit = 0}).values.shape() == Shape{0, 3, 4});
  auto short_file = images;
  short_file.pop_back();
  REQUIRE_THROWS_WITH_ALL(io::parse_idx(short_file, "mem", {.limit = 1}), std::runtime_error, "truncated");
  REQUIRE_THROWS_WITH_ALL(io::parse_idx(images, "mem", {.limit = -1}), std::invalid_argument, "limit must be >= 0",
                          "-1");
}

TEST_CASE("IDX rejects bad files with a message naming the problem", "[idx][errors]") {
  using E = std::runtime_error;
  SECTION("empty or shorter than the magic") {
    REQUIRE_THROWS_WITH_ALL(parse({}), E, "bad.idx", "0 bytes", "4-byte magic");
    REQUIRE_THROWS_WITH_ALL(parse({std::byte{0}, std::byte{0}, std::byte{8}}), E, "3 bytes");
  }
  SECTION("bad magic") {
    auto bytes = test::idx_bytes({2}, {1, 2});
    bytes[0] = std::byte{0x1f};  // e.g. a gzip file handed to parse_idx
    REQUIRE_THROWS_WITH_ALL(parse(bytes), E, "magic number 0x1f000801", "not an IDX magic", "0x00000803",
                            "0x00000801");
  }
  SECTION("unsupported element type") {
    REQUIRE_THROWS_WITH_ALL(parse(test::idx_bytes({1}, {0, 0, 0, 0}, 0x0D)), E, "data type 0x0d (float32)",
                            "not supported", "unsigned-byte");
  }
  SECTION("wrong number of dimensions") {
    REQUIRE_THROWS_WITH_ALL(parse(test::idx_bytes({2}, {1, 2}), {.expected_ndim = 3}), E, "0x00000801",
                            "declares 1 dimension(s)", "expected 0x00000803", "images");
    REQUIRE_THROWS_WITH_ALL(parse(test::idx_bytes({1, 2, 1}, {1, 2}), {.expected_ndim = 1}), E,
                            "expected 0x00000801", "labels");
    REQUIRE_THROWS_WITH_ALL(parse(test::idx_bytes({}, {})), E, "declares 0 dimensions");
  }
  SECTION("truncated header") {
    auto bytes = test::idx_bytes({10, 28, 28}, {});
    bytes.resize(10);
    REQUIRE_THROWS_WITH_ALL(parse(bytes), E, "header needs 16 bytes for 3 extents", "only 10", "truncated");
  }
  SECTION("short data: expected vs got") {
    REQUIRE_THROWS_WITH_ALL(parse(test::idx_bytes({2, 3, 4}, pattern(20))), E, "data is truncated", "(2, 3, 4)",
                            "need 24 bytes", "got 20");
  }
  SECTION("counts larger than the file") {
    REQUIRE_THROWS_WITH_ALL(parse(test::idx_bytes({60000, 28, 28}, pattern(784))), E, "need 47040000 bytes",
                            "got 784");
    REQUIRE_THROWS_WITH_ALL(parse(test::idx_bytes({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {})), E, "overflows 64 bits");
    REQUIRE_THROWS_WITH_ALL(parse(test::idx_bytes({0, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {})), E, "too large",
                            "overflows 64 bits");
    CHECK(parse(test::idx_bytes({0, 28, 28}, {})).values.shape() == Shape{0, 28, 28});
  }
  SECTION("extra data") {
    REQUIRE_THROWS_WITH_ALL(parse(test::idx_bytes({3}, {1, 2, 3, 4, 5})), E, "2 unexpected bytes after the data",
                            "need 3 bytes");
  }
}

TEST_CASE("IDX files: missing, damaged gzip", "[idx][errors]") {
  TempDir dir;
  using E = std::runtime_error;
  REQUIRE_THROWS_WITH_ALL(io::read_idx(dir / "nothing-idx1-ubyte.gz"), E, "read_idx", "nothing-idx1-ubyte.gz",
                          "does not exist");
  const auto images = test::idx_bytes({20, 10, 10}, pattern(2000));
  test::write_gzip_file(dir / "ok.gz", images);
  auto gz = test::read_file(dir / "ok.gz");

  SECTION("truncated gzip stream") {
    test::write_file(dir / "cut.gz", std::vector<std::byte>(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2)));
    REQUIRE_THROWS_WITH_ALL(io::read_idx(dir / "cut.gz"), E, "cut.gz", "truncated gzip");
  }
  SECTION("checksum mismatch") {
    gz[gz.size() - 6] ^= std::byte{0xFF};  // the CRC-32 in the gzip trailer
    test::write_file(dir / "crc.gz", gz);
    REQUIRE_THROWS_WITH_ALL(io::read_idx(dir / "crc.gz"), E, "crc.gz", "not a valid gzip file");
  }
  SECTION("a plain file that is not IDX") {
    test::write_file(dir / "text", test::as_bytes("hello, world\n"));
    REQUIRE_THROWS_WITH_ALL(io::read_idx(dir / "text"), E, "text", "not an IDX magic");
  }
}

TEST_CASE("IDX parses every mutation of a valid file or throws std::runtime_error", "[idx][fuzz]") {
  const auto valid = test::idx_bytes({3, 2, 2}, pattern(12));
  std::size_t parsed = 0, rejected = 0;
  const auto attempt = [&](const std::vector<std::byte>& bytes) {
    try {
      (void)io::parse_idx(bytes, "mutant");
      ++parsed;
    } catch (const std::runtime_error&) {
      ++rejected;
    }
  };
  for (std::size_t n = 0; n < valid.size(); ++n) attempt(std::vector<std::byte>(valid.begin(), valid.begin() + n));
  std::mt19937 rng(99);
  for (int i = 0; i < 3000; ++i) {
    auto bytes = valid;
    const std::size_t at = rng() % 16;  // the header is where the structure is
    bytes[at] = static_cast<std::byte>(rng() % 256);
    if (rng() % 2) bytes.resize(rng() % (bytes.size() + 1));
    attempt(bytes);
  }
  CHECK(parsed > 0);
  CHECK(rejected > 0);
}
