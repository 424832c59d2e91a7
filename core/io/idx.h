#pragma once
// IDX (the MNIST / Fashion-MNIST container, http://yann.lecun.com/exdb/mnist/): a big-endian magic
// number 0x0000TTNN (TT = element type, NN = number of dimensions), NN big-endian uint32 extents,
// then the elements row-major. minidl reads unsigned-byte files (TT = 0x08): 0x00000801 for label
// vectors, 0x00000803 for image stacks. Reading validates the magic, the extents and the byte count,
// so a damaged file gives a std::runtime_error naming the file, never a crash.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "minidl/core/tensor.h"

namespace minidl::io {

struct IdxOptions {
  // Required number of dimensions (1 = labels, 3 = images); nullopt accepts any from 1 to 4.
  std::optional<int> expected_ndim = std::nullopt;
  // Keep only the first `limit` entries along the first dimension (all when nullopt or larger).
  std::optional<std::int64_t> limit = std::nullopt;
};

struct IdxArray {
  Tensor values;                   // float32 holding the raw bytes 0..255, shape (min(N, limit), d1, ...)
  std::vector<std::int64_t> dims;  // the extents stored in the file's header (before `limit`)
};

// Reads a file, gzip-compressed or plain (zlib passes plain files through).
IdxArray read_idx(const std::filesystem::path& path, const IdxOptions& options = {});

// Parses a decompressed file held in memory; `origin` names it in error messages. Any byte
// sequence either parses or throws std::runtime_error (the fuzzer's entry point).
IdxArray parse_idx(std::span<const std::byte> bytes, std::string_view origin, const IdxOptions& options = {});

}  // namespace minidl::io
