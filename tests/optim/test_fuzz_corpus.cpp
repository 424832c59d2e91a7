// Replays the fuzzers' seed corpora (tests/fuzz/corpus/, inputs that once crashed a harness among
// them) through the same parsers in the ordinary test build, sanitizers included: each input parses
// or throws one of the documented exception types with a message. Runs without clang/libFuzzer.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <minidl/minidl.h>

using namespace minidl;

namespace {

const std::filesystem::path kCorpus = std::filesystem::path(MINIDL_FIXTURE_DIR).parent_path() / "fuzz" / "corpus";

std::vector<std::byte> read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return {p, p + s.size()};
}

std::vector<std::filesystem::path> corpus(const std::string& harness) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(kCorpus / harness))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Parses or throws runtime_error/invalid_argument with a non-empty message; returns whether it parsed.
template <class F>
bool parses_or_explains(const std::filesystem::path& file, F&& parse) {
  INFO("corpus file " << file.string());
  try {
    parse(read_bytes(file));
    return true;
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).size() > 10);
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).size() > 10);
  }
  return false;
}

}  // namespace

TEST_CASE("fuzz corpus: every safetensors seed parses or is rejected with a message", "[fuzz][io]") {
  const auto files = corpus("safetensors");
  REQUIRE(files.size() >= 6);
  int parsed = 0;
  for (const auto& f : files)
    parsed += parses_or_explains(f, [&](const std::vector<std::byte>& b) { (void)io::parse_safetensors(b, f.string()); });
  CHECK(parsed >= 3);  // the valid seeds (two_tensors, scalar, empty_tensor) really parse
}

TEST_CASE("fuzz regression: a JSON number too large for a double is a format error, not an abort", "[fuzz][io]") {
  const auto bytes = read_bytes(kCorpus / "safetensors" / "regress_number_overflow");
  REQUIRE(bytes.size() > 8);
  try {
    (void)io::parse_safetensors(bytes, "overflow.safetensors");
    FAIL("parsed a header holding 7.7e4931826389");
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    CHECK_THAT(msg, Catch::Contains("overflow.safetensors"));
    CHECK_THAT(msg, Catch::Contains("number overflow"));
  }
}

TEST_CASE("fuzz corpus: every IDX seed parses or is rejected with a message", "[fuzz][io]") {
  const auto files = corpus("idx");
  REQUIRE(files.size() >= 4);
  int parsed = 0;
  for (const auto& f : files)
    parsed += parses_or_explains(f, [&](const std::vector<std::byte>& b) { (void)io::parse_idx(b, f.string()); });
  CHECK(parsed >= 2);  // images and labels; parse_idx takes raw bytes, the .gz seed is rejected
}

TEST_CASE("fuzz corpus: layer and model configs rebuild or are rejected with a message", "[fuzz][optim]") {
  const auto files = corpus("layer_config");
  REQUIRE(files.size() >= 6);
  int rebuilt = 0;
  for (const auto& f : files) {
    rebuilt += parses_or_explains(f, [&](const std::vector<std::byte>& b) {
      REQUIRE(!b.empty());
      nlohmann::json config;
      try {
        config = nlohmann::json::parse(reinterpret_cast<const char*>(b.data()) + 1,
                                       reinterpret_cast<const char*>(b.data()) + b.size());
      } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument(e.what());
      }
      switch (static_cast<int>(b[0]) % 4) {
        case 0: (void)layers::Conv2D::from_config(config).get_config(); break;
        case 1: (void)layers::Conv2DTranspose::from_config(config).get_config(); break;
        case 2: (void)layers::Dense::from_config(config).get_config(); break;
        default: {
          const auto model = optim::layer_from_config(config);
          // An InputLayer entry builds the model, so its weights exist.
          if (f.filename() == "model_0") CHECK(model->count_params() == 8 * 4 + 8 + 3 * 3 * 3 * 2 + 3 + 4 * 3 + 3 * 3 * 3 + 1);
          // The nested seeds: Concatenate of the inner model's (None, 3) and (None, 4), then its first output.
          if (f.filename().string().starts_with("nested_")) {
            const auto* outer = dynamic_cast<const layers::Functional*>(model.get());
            REQUIRE(outer);
            CHECK(outer->compute_output_shapes_for({Shape{-1, 4}}) == std::vector<Shape>{Shape{-1, 7}, Shape{-1, 3}});
          }
        }
      }
    });
  }
  CHECK(rebuilt >= 10);  // all but not_json and regress_float_strides
}
