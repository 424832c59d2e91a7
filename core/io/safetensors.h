#pragma once
// safetensors (https://github.com/huggingface/safetensors): the weight format PyTorch, Keras 3 and
// the Hugging Face hub share. Layout: an 8-byte little-endian header length N, N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"key": "value", ...}}
// then one byte buffer; each tensor's little-endian elements occupy [begin, end) of that buffer.
// minidl reads and writes F32 and F64. Reading validates every field against the bytes it has, so
// a damaged or hostile file gives a std::runtime_error naming the file, the field and what was
// expected, never a crash. Writing is atomic: the old file survives any failure.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "minidl/core/tensor.h"

namespace minidl::io {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

struct SafetensorsContents {
  NamedTensors tensors;                          // in the order of their bytes in the file
  std::map<std::string, std::string> metadata;   // the "__metadata__" entry (empty when absent)
};

// The reference implementation's cap on the JSON header (100 MB): beyond it a length is garbage.
inline constexpr std::uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;

// Writes `tensors` (names unique, not "__metadata__"; float32 or float64) and `metadata`.
// The data is laid out like the reference writer: float64 tensors first, then float32, each group
// sorted by name, so every tensor starts at an offset aligned to its element size; the header is
// padded with spaces to a multiple of 8 bytes.
// Atomic: the bytes go to "<path>.tmp.<pid>" in the same folder, are fsync'ed, renamed over `path`
// and the folder is fsync'ed. On failure the temporary file is removed and the previous `path`, if
// any, is untouched. Throws std::invalid_argument for bad arguments, std::runtime_error for I/O.
void save_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// The complete file as bytes (what save_safetensors writes).
std::vector<std::byte> serialize_safetensors(const NamedTensors& tensors,
                                             const std::map<std::string, std::string>& metadata = {});

// Reads a whole file. Throws std::runtime_error naming `path` when it is missing or malformed.
SafetensorsContents load_safetensors(const std::filesystem::path& path);

// Parses a file held in memory; `origin` names it in error messages. The entry point for fuzzers:
// any byte sequence either parses or throws std::runtime_error.
SafetensorsContents parse_safetensors(std::span<const std::byte> bytes, std::string_view origin);

namespace detail {
// Test hook: when set, save_safetensors calls it with the temporary file's path after that file is
// complete and fsync'ed and before it is renamed over the target. Tests use it to stop (or kill) a
// save exactly between the two steps; an exception it throws aborts the save like any I/O error.
// Not thread-safe; pass nullptr to clear.
void set_save_hook(std::function<void(const std::filesystem::path& temp_path)> hook);
}  // namespace detail

}  // namespace minidl::io
