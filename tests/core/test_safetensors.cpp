// safetensors: round trips, the exact bytes of a small file worked out by hand, files written by
// NumPy and by the real `safetensors` package (tests/reference/safetensors_reference.py), corrupted
// and truncated files, and the atomic write (a save killed between its temporary file and the rename).
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <random>

#include "core/io_support.h"
#include "support/fixtures.h"

using namespace minidl;
using io::NamedTensors;
using test::TempDir;

namespace {

// Bit-exact equality (NaN-safe, distinguishes -0.0): a saved tensor must come back byte for byte.
bool same_bytes(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  const auto n = static_cast<std::size_t>(a.numel()) * dtype_size(a.dtype());
  return n == 0 || std::memcmp(a.raw_data(), b.raw_data(), n) == 0;
}

const Tensor& find(const NamedTensors& tensors, const std::string& name) {
  for (const auto& [n, t] : tensors)
    if (n == name) return t;
  FAIL("no tensor named " << name);
  throw std::logic_error("unreachable");
}

// A file with the given JSON header (length prefix computed here) followed by `data_size` bytes.
std::vector<std::byte> file_with(const std::string& header, std::size_t data_size) {
  std::vector<std::byte> out;
  const std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::byte>((n >> (8 * i)) & 0xFF));
  for (const char c : header) out.push_back(static_cast<std::byte>(c));
  for (std::size_t i = 0; i < data_size; ++i) out.push_back(static_cast<std::byte>(i));
  return out;
}

io::SafetensorsContents parse(const std::vector<std::byte>& bytes) {
  return io::parse_safetensors(bytes, "corrupt.safetensors");
}

NamedTensors sample_tensors() {
  Generator gen(7);
  return {{"w", Tensor::randn({3, 5}, gen, DType::Float32)},
          {"b", Tensor::randn({5}, gen, DType::Float64)},
          {"scalar64", Tensor::scalar(-3.25, DType::Float64)},
          {"scalar32", Tensor::scalar(1.5, DType::Float32)},
          {"empty32", Tensor::zeros({0, 4}, DType::Float32)},
          {"empty64", Tensor::zeros({2, 0}, DType::Float64)},
          {"deep/name.with:chars \u00e9", Tensor::randn({2, 1, 3}, gen, DType::Float32)}};
}

}  // namespace

TEST_CASE("safetensors round trip keeps names, dtypes, shapes, bytes and metadata", "[safetensors]") {
  TempDir dir;
  const auto path = dir / "model.safetensors";
  const NamedTensors tensors = sample_tensors();
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"empty", ""}, {"unicode", "\u00fc\u2713"}};
  io::save_safetensors(path, tensors, metadata);
  const auto back = io::load_safetensors(path);
  REQUIRE(back.tensors.size() == tensors.size());
  for (const auto& [name, t] : tensors) {
    INFO(name);
    CHECK(same_bytes(find(back.tensors, name), t));
  }
  CHECK(back.metadata == metadata);
  // The in-memory serialization is the file.
  CHECK(test::read_file(path) == io::serialize_safetensors(tensors, metadata));

  SECTION("no metadata and no tensors") {
    io::save_safetensors(path, {});
    const auto none = io::load_safetensors(path);
    CHECK(none.tensors.empty());
    CHECK(none.metadata.empty());
  }
}

TEST_CASE("safetensors writes the layout of the format by hand", "[safetensors]") {
  // float64 before float32 (alignment), then by name; header padded with spaces to a multiple of 8.
  const NamedTensors tensors = {{"b", Tensor::from_vector(std::vector<float>{1.0f, 2.0f})},
                                {"a", Tensor::scalar(0.5, DType::Float64)}};
  const auto bytes = io::serialize_safetensors(tensors, {{"k", "v"}});
  std::string header =
      R"({"__metadata__":{"k":"v"},"a":{"dtype":"F64","shape":[],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::vector<std::byte> expected = file_with(header, 0);
  // 0.5 = 0x3FE0000000000000, 1.0f = 0x3F800000, 2.0f = 0x40000000, little-endian.
  for (const int b : {0, 0, 0, 0, 0, 0, 0xE0, 0x3F, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40})
    expected.push_back(static_cast<std::byte>(b));
  CHECK(header.size() % 8 == 0);
  REQUIRE(bytes == expected);
  const auto back = io::parse_safetensors(bytes, "memory");
  REQUIRE(back.tensors.size() == 2);
  CHECK(back.tensors[0].first == "a");  // returned in data order
  CHECK(back.tensors[0].second.item() == 0.5);
  CHECK(back.tensors[1].second.to_vector<float>() == std::vector<float>{1.0f, 2.0f});
}

TEST_CASE("safetensors reads files written by NumPy and by the safetensors package", "[safetensors]") {
  const auto expected = test::load_fixture("safetensors_reference.json");
  for (const std::string file : {"safetensors_reference.safetensors", "safetensors_reference_hf.safetensors"}) {
    SECTION(file) {
      const auto got = io::load_safetensors(std::string(MINIDL_FIXTURE_DIR) + "/" + file);
      CHECK(got.metadata == expected["metadata"].get<std::map<std::string, std::string>>());
      REQUIRE(got.tensors.size() == expected["tensors"].size());
      for (const auto& [name, e] : expected["tensors"].items()) {
        INFO(file << ": " << name);
        const Tensor& t = find(got.tensors, name);
        const DType dtype = e["dtype"] == "F32" ? DType::Float32 : DType::Float64;
        REQUIRE(t.dtype() == dtype);
        REQUIRE(t.shape() == Shape(e["shape"].get<std::vector<std::int64_t>>()));
        // The JSON holds each value's exact double; a float32 converts to double exactly.
        const auto want = e["data"].get<std::vector<double>>();
        const auto have = t.to_vector<double>();
        REQUIRE(have.size() == want.size());
        for (std::size_t i = 0; i < want.size(); ++i) {
          CHECK(have[i] == want[i]);
          CHECK(std::signbit(have[i]) == std::signbit(want[i]));  // -0.0 stays -0.0
        }
      }
    }
  }
  SECTION("the NumPy file's data order is followed, not its JSON key order") {
    const auto got = io::load_safetensors(std::string(MINIDL_FIXTURE_DIR) + "/safetensors_reference.safetensors");
    std::vector<std::string> names;
    for (const auto& [n, t] : got.tensors) names.push_back(n);
    // The script stores the data in reverse name order; "empty" (0 bytes) sorts before "double" at
    // the same offset.
    CHECK(names == std::vector<std::string>{"weight", "scalar", "layer.0/kernel", "empty", "double", "bias"});
  }
}

TEST_CASE("safetensors re-saves the reference file for tests/reference/check_safetensors.py", "[safetensors]") {
  // Python checks what minidl writes: set MINIDL_SAFETENSORS_EXPORT=<file> and run
  // tests/reference/check_safetensors.py <file> (see its header). Without the variable this only
  // checks that load -> save -> load is the identity.
  const auto ref = io::load_safetensors(std::string(MINIDL_FIXTURE_DIR) + "/safetensors_reference.safetensors");
  TempDir dir;
  const char* env = std::getenv("MINIDL_SAFETENSORS_EXPORT");
  const std::filesystem::path out = env && *env ? std::filesystem::path(env) : dir / "export.safetensors";
  io::save_safetensors(out, ref.tensors, ref.metadata);
  const auto back = io::load_safetensors(out);
  CHECK(back.metadata == ref.metadata);
  for (const auto& [name, t] : ref.tensors) CHECK(same_bytes(find(back.tensors, name), t));
}

TEST_CASE("safetensors rejects corrupted and truncated files with a message naming the problem",
          "[safetensors][errors]") {
  const std::string ok_entry = R"("a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]})";
  // The valid base: one 2x3 float32 tensor.
  REQUIRE_NOTHROW(parse(file_with("{" + ok_entry + "}", 24)));
  const auto valid = io::serialize_safetensors(sample_tensors(), {{"k", "v"}});
  using E = std::runtime_error;

  SECTION("empty or shorter than the length prefix") {
    REQUIRE_THROWS_WITH_ALL(parse({}), E, "corrupt.safetensors", "0 bytes", "8-byte header length");
    REQUIRE_THROWS_WITH_ALL(parse(std::vector<std::byte>(valid.begin(), valid.begin() + 5)), E, "5 bytes",
                            "truncated");
  }
  SECTION("header length beyond the file size") {
    auto bytes = file_with("{" + ok_entry + "}", 24);
    bytes[0] = std::byte{0xF0};  // claims 240+ more header bytes than exist
    REQUIRE_THROWS_WITH_ALL(parse(bytes), E, "header length", "runs past the end of the file", "truncated");
  }
  SECTION("header length beyond the format's limit") {
    auto bytes = valid;
    bytes[7] = std::byte{0x01};  // 2^56 + ...
    REQUIRE_THROWS_WITH_ALL(parse(bytes), E, "exceeds the format's limit of 100000000 bytes");
  }
  SECTION("header does not start with a JSON object") {
    REQUIRE_THROWS_WITH_ALL(parse(file_with("[1, 2]  ", 0)), E, "must start with '{'", "0x5b");
    REQUIRE_THROWS_WITH_ALL(parse(file_with("", 0)), E, "must start with '{'", "length 0");
  }
  SECTION("JSON that does not parse") {
    REQUIRE_THROWS_WITH_ALL(parse(file_with(R"({"a":{"dtype":"F32",)", 0)), E, "JSON header", "does not parse",
                            "parse error");
    REQUIRE_THROWS_WITH_ALL(parse(file_with("{\"a\xff\":1}", 0)), E, "does not parse");  // invalid UTF-8
    REQUIRE_THROWS_WITH_ALL(parse(file_with("{" + ok_entry + "}\x01", 24)), E, "does not parse");
  }
  SECTION("absurdly deep JSON") {
    const std::string deep = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
    REQUIRE_THROWS_WITH_ALL(parse(file_with(deep, 0)), E, "nests", "levels deep");
  }
  SECTION("unsupported or malformed dtype") {
    REQUIRE_THROWS_WITH_ALL(parse(file_with(R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 4)), E,
                            "tensor 'a'", "unsupported dtype \"F16\"", "F32 and F64");
    REQUIRE_THROWS_WITH_ALL(parse(file_with(R"({"a":{"dtype":32,"shape":[2],"data_offsets":[0,8]}})", 8)), E,
                            "dtype must be a string");
  }
  SECTION("shape and data_offsets disagree") {
    REQUIRE_THROWS_WITH_ALL(parse(file_with(R"({"a":{"dtype":"F64","shape":[2,3],"data_offsets":[0,24]}})", 24)), E,
                            "tensor 'a'", "need 48 bytes", "span 24 bytes");
  }
  SECTION("bad shapes") {
    REQUIRE_THROWS_WITH_ALL(parse(file_with(R"({"a":{"dtype":"F32","shape":[-2,3],"data_offsets":[0,24]}})", 24)), E,
                            "shape entries must be >= 0", "-2");
    REQUIRE_THROWS_WITH_ALL(parse(file_with(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8)), E,
                            "non-negative integers", "2.5");
    REQUIRE_THROWS_WITH_ALL(parse(file_with(R"({"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", 8)), E,
                            "shape must be an array");
    REQUIRE_THROWS_WITH_ALL(
        parse(file_with(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8)), E,
        "too large", "overflows 64 bits");
    // A 0 extent makes the tensor empty, but the other extents must still fit Shape's int64.
    REQUIRE_THROWS_WITH_ALL(
        parse(file_with(R"({"a":{"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}})", 0)), E,
        "overflows 64 bits");
    const auto empty = parse(file_with(R"({"a":{"dtype":"F64","shape":[1000000,0],"data_offsets":[0,0]}})", 0));
    CHECK(empty.tensors.at(0).second.shape() == Shape{1000000, 0});
  }
  SECTION("offsets beyond the data (truncated file)") {
    auto bytes = valid;
    bytes.erase(bytes.end() - 3, bytes.end());  // (resize(size - 3) trips a GCC -Wstringop-overflow false positive)
    REQUIRE_THROWS_WITH_ALL(parse(bytes), E, "reach past the end of the data buffer", "truncated");
  }
  SECTION("malformed data_offsets") {
    REQUIRE_THROWS_WITH_ALL(parse(file_with(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8)), E,
                            "end before they begin");
    REQUIRE_THROWS_WITH_ALL(parse(file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}})", 8)), E,
                            "data_offsets must be an array [begin, end]");
  }
  SECTION("overlapping tensors") {
    REQUIRE_THROWS_WITH_ALL(parse(file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                            R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                            12)),
                            E, "tensor 'b'", "overlap tensor 'a'");
  }
  SECTION("a hole between tensors") {
    REQUIRE_THROWS_WITH_ALL(parse(file_with(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                            R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                                            12)),
                            E, "bytes [4, 8)", "belong to no tensor");
  }
  SECTION("trailing bytes nobody owns") {
    REQUIRE_THROWS_WITH_ALL(parse(file_with("{" + ok_entry + "}", 30)), E, "has 30 bytes", "cover only the first 24",
                            "6 trailing bytes");
  }
  SECTION("duplicate tensor names") {
    REQUIRE_THROWS_WITH_ALL(parse(file_with("{" + ok_entry + "," + ok_entry + "}", 24)), E, "key 'a' appears twice");
  }
  SECTION("missing, unknown and mistyped fields") {
    REQUIRE_THROWS_WITH_ALL(parse(file_with(R"({"a":{"dtype":"F32","shape":[0]}})", 0)), E,
                            "missing field 'data_offsets'");
    REQUIRE_THROWS_WITH_ALL(
        parse(file_with(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"extra":1}})", 0)), E,
        "unknown field 'extra'");
    REQUIRE_THROWS_WITH_ALL(parse(file_with(R"({"a":[1,2]})", 0)), E, "tensor 'a'", "must be an object");
  }
  SECTION("bad metadata") {
    REQUIRE_THROWS_WITH_ALL(parse(file_with(R"({"__metadata__":{"epoch":7}})", 0)), E, "\"__metadata__\" entry 'epoch'",
                            "must be a string");
    REQUIRE_THROWS_WITH_ALL(parse(file_with(R"({"__metadata__":["x"]})", 0)), E, "must be an object");
  }
  SECTION("missing file and folder") {
    TempDir dir;
    REQUIRE_THROWS_WITH_ALL(io::load_safetensors(dir / "nope.safetensors"), E, "nope.safetensors", "does not exist");
    REQUIRE_THROWS_WITH_ALL(io::load_safetensors(dir.path()), E, "is a folder");
  }
}

TEST_CASE("safetensors parses every mutation of a valid file or throws std::runtime_error", "[safetensors][fuzz]") {
  // A deterministic stand-in for a fuzzer (run it under ASan): truncations at every length, byte
  // flips and overwrites with boundary values. Nothing may crash or throw another type.
  const auto valid = io::serialize_safetensors(sample_tensors(), {{"k", "v"}});
  std::size_t parsed = 0, rejected = 0;
  const auto attempt = [&](const std::vector<std::byte>& bytes) {
    try {
      (void)io::parse_safetensors(bytes, "mutant");
      ++parsed;
    } catch (const std::runtime_error&) {
      ++rejected;
    }
  };
  for (std::size_t n = 0; n < valid.size(); ++n) attempt(std::vector<std::byte>(valid.begin(), valid.begin() + n));
  std::mt19937 rng(1234);
  for (int i = 0; i < 4000; ++i) {
    auto bytes = valid;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits; ++k) {
      const std::size_t at = rng() % bytes.size();
      switch (rng() % 4) {
        case 0: bytes[at] ^= static_cast<std::byte>(1u << (rng() % 8)); break;
        case 1: bytes[at] = std::byte{0xFF}; break;
        case 2: bytes[at] = static_cast<std::byte>("0123456789[]{},:\"-e."[rng() % 20]); break;
        default: bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(at)); break;
      }
    }
    attempt(bytes);
  }
  CHECK(rejected > 0);
  CHECK(parsed + rejected == valid.size() + 4000);
}

TEST_CASE("save_safetensors rejects bad arguments before touching the disk", "[safetensors][errors]") {
  TempDir dir;
  const auto path = dir / "m.safetensors";
  const Tensor t = Tensor::ones({2});
  using E = std::invalid_argument;
  REQUIRE_THROWS_WITH_ALL(io::save_safetensors(path, {{"a", t}, {"a", t}}), E, "save_safetensors", "'a'",
                          "more than once");
  REQUIRE_THROWS_WITH_ALL(io::save_safetensors(path, {{"__metadata__", t}}), E, "reserved for metadata");
  REQUIRE_THROWS_WITH_ALL(io::save_safetensors(path, {{"u", Tensor()}}), E, "tensor 'u' is undefined");
  REQUIRE_THROWS_WITH_ALL(io::save_safetensors(path, {{"bad\xff", t}}), E, "valid UTF-8");
  CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("save_safetensors names the folder it cannot write to", "[safetensors][errors]") {
  TempDir dir;
  const Tensor t = Tensor::ones({2});
  using E = std::runtime_error;
  const std::string missing = fmt::format("folder '{}' does not exist", (dir / "missing").string());
  REQUIRE_THROWS_WITH_ALL(io::save_safetensors(dir / "missing/m.safetensors", {{"a", t}}), E, missing.c_str());
  test::write_file(dir / "plain", {});
  REQUIRE_THROWS_WITH_ALL(io::save_safetensors(dir / "plain/m.safetensors", {{"a", t}}), E, "is not a folder");

  std::filesystem::path read_only;
  if (::geteuid() != 0) {
    read_only = dir / "ro";
    std::filesystem::create_directory(read_only);
    std::filesystem::permissions(read_only, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  } else if (::access("/sys", F_OK) == 0 && std::filesystem::is_directory("/sys")) {
    read_only = "/sys";  // root may write anywhere but sysfs, which refuses new files
  }
  if (read_only.empty()) {
    WARN("no read-only folder available: the permission-denied case is not exercised");
  } else {
    const std::string denied = fmt::format("cannot create a file in folder '{}'", read_only.string());
    REQUIRE_THROWS_WITH_ALL(io::save_safetensors(read_only / "m.safetensors", {{"a", t}}), E, denied.c_str());
  }
}

TEST_CASE("save_safetensors replaces a file atomically and leaves no temporary file", "[safetensors][atomic]") {
  TempDir dir;
  const auto path = dir / "m.safetensors";
  io::save_safetensors(path, {{"old", Tensor::ones({3})}});
  io::save_safetensors(path, {{"new", Tensor::full({2}, 4.0)}});
  const auto back = io::load_safetensors(path);
  REQUIRE(back.tensors.size() == 1);
  CHECK(back.tensors[0].first == "new");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) files.push_back(entry.path().filename());
  CHECK(files == std::vector<std::string>{"m.safetensors"});
}

TEST_CASE("a failing save keeps the old file and removes its temporary file", "[safetensors][atomic]") {
  TempDir dir;
  const auto path = dir / "m.safetensors";
  const NamedTensors old = {{"old", Tensor::arange(0, 6).detach()}};
  io::save_safetensors(path, old);
  std::filesystem::path seen_temp;
  io::detail::set_save_hook([&](const std::filesystem::path& temp) {
    seen_temp = temp;
    // The temporary file is complete when the hook runs.
    REQUIRE(std::filesystem::file_size(temp) == io::serialize_safetensors({{"new", Tensor::ones({100})}}).size());
    throw std::runtime_error("simulated failure before rename");
  });
  REQUIRE_THROWS_WITH_ALL(io::save_safetensors(path, {{"new", Tensor::ones({100})}}), std::runtime_error,
                          "simulated failure before rename");
  io::detail::set_save_hook(nullptr);
  CHECK(seen_temp.parent_path() == dir.path());
  CHECK(seen_temp.filename().string() == "m.safetensors.tmp." + std::to_string(::getpid()));
  CHECK_FALSE(std::filesystem::exists(seen_temp));
  const auto back = io::load_safetensors(path);
  REQUIRE(back.tensors.size() == 1);
  CHECK(same_bytes(back.tensors[0].second, old[0].second));

  SECTION("the rename itself fails: the target is a folder") {
    std::filesystem::create_directory(dir / "folder.safetensors");
    std::filesystem::create_directory(dir / "folder.safetensors/inside");
    REQUIRE_THROWS_WITH_ALL(io::save_safetensors(dir / "folder.safetensors", old), std::runtime_error,
                            "renaming the temporary file");
    CHECK_FALSE(std::filesystem::exists(dir / ("folder.safetensors.tmp." + std::to_string(::getpid()))));
  }
}

TEST_CASE("a save killed between writing the temporary file and the rename leaves the old file intact",
          "[safetensors][atomic]") {
  TempDir dir;
  const auto path = dir / "m.safetensors";
  const NamedTensors old = {{"old", Tensor::arange(0, 10, 1, DType::Float64).detach()}};
  io::save_safetensors(path, old, {{"version", "1"}});
  Generator gen(3);
  const NamedTensors fresh = {{"new", Tensor::randn({256, 256}, gen)}};

  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child never returns to Catch: it reports through the pipe, then waits to be killed.
    ::close(ready[0]);
    try {
      io::detail::set_save_hook([&](const std::filesystem::path&) {
        const char c = 'r';
        if (::write(ready[1], &c, 1) != 1) ::_exit(4);
        for (;;) ::pause();
      });
      io::save_safetensors(path, fresh, {{"version", "2"}});
    } catch (...) {
      ::_exit(5);
    }
    ::_exit(6);  // the hook never ran
  }
  ::close(ready[1]);
  pollfd pfd{ready[0], POLLIN, 0};
  char c = 0;
  const bool signalled = ::poll(&pfd, 1, 60'000) == 1 && ::read(ready[0], &c, 1) == 1;
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(ready[0]);
  INFO("child status " << status);
  REQUIRE(signalled);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);

  // The kill came after the new bytes were complete: the temporary file the child left holds them...
  const auto temp = dir / ("m.safetensors.tmp." + std::to_string(child));
  REQUIRE(std::filesystem::exists(temp));
  const auto half_done = io::load_safetensors(temp);
  CHECK(half_done.metadata.at("version") == "2");
  CHECK(same_bytes(half_done.tensors.at(0).second, fresh[0].second));
  // ...and before the rename: the target still holds the old file, whole.
  const auto back = io::load_safetensors(path);
  CHECK(back.metadata.at("version") == "1");
  REQUIRE(back.tensors.size() == 1);
  CHECK(same_bytes(back.tensors[0].second, old[0].second));
}
