#include "minidl/core/io/idx.h"

#include <algorithm>
#include <limits>

#include "minidl/core/error.h"
#include "minidl/core/io/file_util.h"

namespace minidl::io {

namespace {

constexpr unsigned kUnsignedByte = 0x08;

template <class... Args>
[[noreturn]] void fail(std::string_view origin, fmt::format_string<Args...> f, Args&&... args) {
  throw std::runtime_error(fmt::format("IDX file '{}': {}", origin, fmt::format(f, std::forward<Args>(args)...)));
}

std::string_view type_name(unsigned code) {
  switch (code) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "not an IDX type";
  }
}

std::uint32_t read_be32(std::span<const std::byte> bytes, std::size_t offset) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | std::to_integer<std::uint32_t>(bytes[offset + i]);
  return v;
}

std::string dims_str(const std::vector<std::int64_t>& dims) { return Shape(dims).str(); }

}  // namespace

IdxArray parse_idx(std::span<const std::byte> bytes, std::string_view origin, const IdxOptions& options) {
  if (options.limit && *options.limit < 0)
    throw_invalid_argument("parse_idx: limit must be >= 0, received limit={}", *options.limit);
  if (options.expected_ndim && (*options.expected_ndim < 1 || *options.expected_ndim > 255))
    throw_invalid_argument("parse_idx: expected_ndim must be in [1, 255], received expected_ndim={}",
                           *options.expected_ndim);

  if (bytes.size() < 4)
    fail(origin, "the file has {} bytes, fewer than the 4-byte magic number (truncated or empty file?)", bytes.size());
  const std::uint32_t magic = read_be32(bytes, 0);
  const unsigned type = (magic >> 8) & 0xFF;
  const unsigned ndim = magic & 0xFF;
  if ((magic >> 16) != 0)
    fail(origin,
         "magic number 0x{:08x} at offset 0 is not an IDX magic: expected two zero bytes, the type 0x08 and the "
         "number of dimensions (0x00000803 for images, 0x00000801 for labels)",
         magic);
  if (type != kUnsignedByte)
    fail(origin, "magic number 0x{:08x}: data type 0x{:02x} ({}) is not supported; minidl reads unsigned-byte IDX "
         "files (type 0x08)", magic, type, type_name(type));
  if (ndim == 0) fail(origin, "magic number 0x{:08x} declares 0 dimensions; expected at least 1", magic);
  if (options.expected_ndim && static_cast<int>(ndim) != *options.expected_ndim)
    fail(origin, "magic number 0x{:08x} declares {} dimension(s), expected 0x{:08x} ({} dimension(s){})", magic, ndim,
         (kUnsignedByte << 8) | static_cast<unsigned>(*options.expected_ndim), *options.expected_ndim,
         *options.expected_ndim == 3 ? ": images" : *options.expected_ndim == 1 ? ": labels" : "");

  const std::size_t header = 4 + 4 * std::size_t{ndim};
  if (bytes.size() < header)
    fail(origin, "the header needs {} bytes for {} extents, the file has only {} (truncated file?)", header, ndim,
         bytes.size());
  // Even with a 0 extent, the product of the other extents must fit in int64 so that Shape's
  // numel and strides cannot overflow.
  std::vector<std::int64_t> dims(ndim);
  std::uint64_t capacity = 1;  // product of the non-zero extents
  bool has_zero = false, overflow = false;
  for (std::size_t i = 0; i < ndim; ++i) {
    const std::uint32_t extent = read_be32(bytes, 4 + 4 * i);
    dims[i] = extent;
    if (extent == 0) has_zero = true;
    else if (extent > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / capacity) overflow = true;
    else capacity *= extent;
  }
  if (overflow) fail(origin, "extents {} are too large: their product overflows 64 bits", dims_str(dims));
  const std::uint64_t count = has_zero ? 0 : capacity;

  const std::uint64_t data = bytes.size() - header;
  if (data < count)
    fail(origin, "the data is truncated: extents {} need {} bytes after the {}-byte header, got {} (offset {})",
         dims_str(dims), count, header, data, header);
  if (data > count)
    fail(origin, "{} unexpected bytes after the data: extents {} need {} bytes after the {}-byte header, got {}",
         data - count, dims_str(dims), count, header, data);

  std::vector<std::int64_t> kept = dims;
  if (options.limit) kept[0] = std::min<std::int64_t>(kept[0], *options.limit);
  Tensor values = Tensor::empty(Shape(kept), DType::Float32);
  float* out = values.data<float>();
  const auto n = static_cast<std::size_t>(values.numel());
  const std::byte* in = bytes.data() + header;
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(std::to_integer<unsigned>(in[i]));
  return {std::move(values), std::move(dims)};
}

IdxArray read_idx(const std::filesystem::path& path, const IdxOptions& options) {
  const auto bytes = read_gzip_or_plain_bytes(path, "read_idx");
  return parse_idx(bytes, path.string(), options);
}

}  // namespace minidl::io
