#include "minidl/core/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "minidl/core/error.h"
#include "minidl/core/io/file_util.h"

namespace minidl::io {

// Both the format and minidl's buffers are little-endian; a big-endian port would byte-swap here.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

namespace {

constexpr std::string_view kMetadataKey = "__metadata__";

template <class... Args>
[[noreturn]] void fail(std::string_view origin, fmt::format_string<Args...> f, Args&&... args) {
  throw std::runtime_error(
      fmt::format("safetensors file '{}': {}", origin, fmt::format(f, std::forward<Args>(args)...)));
}

// A JSON value for an error message, cut short: a hostile header may hold megabytes in one field.
std::string brief(const nlohmann::json& v) {
  std::string s = v.dump();
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

// A valid header nests 3 levels (header object, entry object, shape array); a much deeper one is
// garbage, and refusing it keeps the recursive dump() in the messages off deep stacks.
constexpr int kMaxJsonDepth = 16;

std::string_view safetensors_dtype(DType d) { return d == DType::Float32 ? "F32" : "F64"; }

std::optional<DType> parse_safetensors_dtype(std::string_view s) {
  if (s == "F32") return DType::Float32;
  if (s == "F64") return DType::Float64;
  return std::nullopt;
}

// ---------------------------------------------------------------- writing

struct Layout {
  std::string header;                 // JSON padded with spaces to a multiple of 8 bytes
  std::vector<const std::pair<std::string, Tensor>*> order;  // data order
};

Layout plan(const NamedTensors& tensors, const std::map<std::string, std::string>& metadata) {
  std::set<std::string_view> seen;
  Layout layout;
  for (const auto& entry : tensors) {
    const auto& [name, t] = entry;
    if (name == kMetadataKey)
      throw_invalid_argument("save_safetensors: a tensor cannot be named \"{}\" (the key is reserved for metadata)",
                             kMetadataKey);
    if (!seen.insert(name).second)
      throw_invalid_argument("save_safetensors: tensor name '{}' appears more than once; names must be unique",
                             name);
    if (!t.defined()) throw_invalid_argument("save_safetensors: tensor '{}' is undefined", name);
    layout.order.push_back(&entry);
  }
  // Like the reference writer: larger elements first, so every tensor starts aligned to its
  // element size (the header is padded to 8), then by name for a deterministic file.
  std::sort(layout.order.begin(), layout.order.end(), [](const auto* a, const auto* b) {
    const auto sa = dtype_size(a->second.dtype()), sb = dtype_size(b->second.dtype());
    return sa != sb ? sa > sb : a->first < b->first;
  });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header[std::string(kMetadataKey)] = metadata;
  std::uint64_t offset = 0;
  for (const auto* entry : layout.order) {
    const Tensor& t = entry->second;
    const auto nbytes = static_cast<std::uint64_t>(t.numel()) * dtype_size(t.dtype());
    header[entry->first] = {{"dtype", safetensors_dtype(t.dtype())},
                            {"shape", t.shape().dims()},
                            {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  try {
    layout.header = header.dump();
  } catch (const nlohmann::json::type_error& e) {
    throw_invalid_argument("save_safetensors: tensor names and metadata must be valid UTF-8 ({})", e.what());
  }
  layout.header.append((8 - layout.header.size() % 8) % 8, ' ');
  return layout;
}

std::array<std::byte, 8> length_prefix(std::uint64_t n) {
  std::array<std::byte, 8> out{};
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<std::byte>((n >> (8 * i)) & 0xFF);
  return out;
}

std::span<const std::byte> tensor_bytes(const Tensor& t) {
  return {static_cast<const std::byte*>(t.raw_data()),
          static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype())};
}

std::function<void(const std::filesystem::path&)>& save_hook() {
  static std::function<void(const std::filesystem::path&)> hook;
  return hook;
}

// ---------------------------------------------------------------- reading

struct Entry {
  std::string name;
  DType dtype;
  std::vector<std::int64_t> shape;
  std::uint64_t begin, end;
};

// Reads a JSON value that must be a non-negative integer (nlohmann stores those as unsigned).
std::uint64_t read_unsigned(std::string_view origin, const std::string& name, std::string_view field,
                            const nlohmann::json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) fail(origin, "tensor '{}': {} entries must be >= 0, found {}", name, field, brief(v));
  fail(origin, "tensor '{}': {} entries must be non-negative integers, found {} ({})", name, field, brief(v),
       v.type_name());
}

Entry read_entry(std::string_view origin, const std::string& name, const nlohmann::json& v,
                 std::uint64_t buffer_size, std::uint64_t data_start) {
  if (!v.is_object())
    fail(origin, "tensor '{}': the header entry must be an object with dtype, shape and data_offsets, found {}",
         name, v.type_name());
  for (const auto& [key, _] : v.items())
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      fail(origin, "tensor '{}': unknown field '{}' (expected only dtype, shape and data_offsets)", name, key);
  for (const char* field : {"dtype", "shape", "data_offsets"})
    if (!v.contains(field)) fail(origin, "tensor '{}': missing field '{}'", name, field);

  Entry e{name, DType::Float32, {}, 0, 0};
  const auto& dtype = v["dtype"];
  if (!dtype.is_string()) fail(origin, "tensor '{}': dtype must be a string, found {}", name, brief(dtype));
  const auto parsed = parse_safetensors_dtype(dtype.get_ref<const std::string&>());
  if (!parsed)
    fail(origin, "tensor '{}': unsupported dtype {} (minidl reads the dtypes F32 and F64)", name, brief(dtype));
  e.dtype = *parsed;

  const auto& shape = v["shape"];
  if (!shape.is_array()) fail(origin, "tensor '{}': shape must be an array, found {}", name, brief(shape));
  // The byte count is the product of the extents times the element size. Even a tensor with a 0
  // extent must keep the product of its other extents (times the element size) within int64, so
  // that Shape's numel and strides never overflow; anything larger cannot match a real buffer.
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t capacity = dtype_size(e.dtype);  // product of the non-zero extents, times itemsize
  bool has_zero = false;
  for (const auto& d : shape) {
    const auto extent = read_unsigned(origin, name, "shape", d);
    if (extent == 0) has_zero = true;
    else if (extent > kMax / capacity)
      fail(origin, "tensor '{}': shape {} is too large: its size overflows 64 bits", name, brief(shape));
    else capacity *= extent;
    e.shape.push_back(static_cast<std::int64_t>(extent));
  }
  const std::uint64_t nbytes = has_zero ? 0 : capacity;

  const auto& offsets = v["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2)
    fail(origin, "tensor '{}': data_offsets must be an array [begin, end], found {}", name, brief(offsets));
  e.begin = read_unsigned(origin, name, "data_offsets", offsets[0]);
  e.end = read_unsigned(origin, name, "data_offsets", offsets[1]);
  if (e.end < e.begin)
    fail(origin, "tensor '{}': data_offsets [{}, {}] end before they begin", name, e.begin, e.end);
  if (e.end - e.begin != nbytes)
    fail(origin,
         "tensor '{}': dtype {} and shape {} need {} bytes but data_offsets [{}, {}] span {} bytes", name,
         safetensors_dtype(e.dtype), brief(shape), nbytes, e.begin, e.end, e.end - e.begin);
  if (e.end > buffer_size)
    fail(origin,
         "tensor '{}': data_offsets [{}, {}] reach past the end of the data buffer, which has {} bytes "
         "(file offsets {}..{}; truncated file?)",
         name, e.begin, e.end, buffer_size, data_start, data_start + buffer_size);
  return e;
}

std::map<std::string, std::string> read_metadata(std::string_view origin, const nlohmann::json& v) {
  if (!v.is_object())
    fail(origin, "\"{}\" must be an object of string values, found {}", kMetadataKey, v.type_name());
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : v.items()) {
    if (!value.is_string())
      fail(origin, "\"{}\" entry '{}' must be a string, found {}", kMetadataKey, key, brief(value));
    out.emplace(key, value.get<std::string>());
  }
  return out;
}

// nlohmann keeps the last of two equal keys; the format forbids them, so the parser callback
// watches every object's keys (one set per nesting level). It also records the nesting depth.
struct HeaderWatch {
  std::vector<std::set<std::string>> open_objects;
  std::optional<std::string> duplicate;
  int max_depth = 0;
  bool operator()(int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    max_depth = std::max(max_depth, depth);
    if (event == E::object_start) open_objects.emplace_back();
    if (event == E::object_end && !open_objects.empty()) open_objects.pop_back();
    if (event == E::key && !open_objects.empty() && !duplicate) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second) duplicate = key;
    }
    return true;
  }
};

}  // namespace

// ---------------------------------------------------------------- public

std::vector<std::byte> serialize_safetensors(const NamedTensors& tensors,
                                             const std::map<std::string, std::string>& metadata) {
  const Layout layout = plan(tensors, metadata);
  // Sized once and filled with memcpy (GCC 12 warns falsely on repeated vector::insert of bytes).
  std::size_t total = 8 + layout.header.size();
  for (const auto* entry : layout.order) total += tensor_bytes(entry->second).size();
  std::vector<std::byte> out(total);
  std::byte* cursor = out.data();
  const auto put = [&cursor](std::span<const std::byte> bytes) {
    if (!bytes.empty()) std::memcpy(cursor, bytes.data(), bytes.size());
    cursor += bytes.size();
  };
  put(length_prefix(layout.header.size()));
  put(std::as_bytes(std::span(layout.header)));
  for (const auto* entry : layout.order) put(tensor_bytes(entry->second));
  return out;
}

void save_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  const Layout layout = plan(tensors, metadata);  // argument errors before touching the disk
  AtomicFileWriter writer(path, "save_safetensors");
  writer.write(length_prefix(layout.header.size()));
  writer.write(std::as_bytes(std::span(layout.header)));
  for (const auto* entry : layout.order) writer.write(tensor_bytes(entry->second));
  writer.sync();
  if (save_hook()) save_hook()(writer.temp_path());
  writer.commit();
}

SafetensorsContents load_safetensors(const std::filesystem::path& path) {
  const auto bytes = read_file_bytes(path, "load_safetensors");
  return parse_safetensors(bytes, path.string());
}

SafetensorsContents parse_safetensors(std::span<const std::byte> bytes, std::string_view origin) {
  if (bytes.size() < 8)
    fail(origin, "the file has {} bytes, fewer than the 8-byte header length at offset 0 (truncated file?)",
         bytes.size());
  std::uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | std::to_integer<std::uint64_t>(bytes[static_cast<std::size_t>(i)]);
  if (header_len > kSafetensorsMaxHeaderBytes)
    fail(origin,
         "header length {} (bytes 0-7, little-endian) exceeds the format's limit of {} bytes: not a safetensors "
         "file, or a corrupted one",
         header_len, kSafetensorsMaxHeaderBytes);
  if (header_len > bytes.size() - 8)
    fail(origin, "header length {} (bytes 0-7) runs past the end of the file: only {} bytes follow (truncated file?)",
         header_len, bytes.size() - 8);
  const auto* first = reinterpret_cast<const char*>(bytes.data() + 8);
  if (header_len == 0 || first[0] != '{')
    fail(origin, "the JSON header at offset 8 must start with '{{', found {}", header_len == 0 ? std::string("nothing (length 0)")
                                                                                  : fmt::format("byte 0x{:02x}", static_cast<unsigned char>(first[0])));

  HeaderWatch watch;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(first, first + header_len, std::ref(watch));
  } catch (const nlohmann::json::parse_error& e) {
    fail(origin, "the JSON header (file offsets 8..{}) does not parse: error near file offset {}: {}", 8 + header_len,
         8 + e.byte - (e.byte > 0 ? 1 : 0), e.what());
  } catch (const nlohmann::json::exception& e) {
    // Well-formed JSON the parser still rejects, e.g. a number too large for a double.
    fail(origin, "the JSON header (file offsets 8..{}) cannot be read: {}", 8 + header_len, e.what());
  }
  if (watch.max_depth > kMaxJsonDepth)
    fail(origin, "the JSON header nests {} levels deep; a safetensors header has 3 (at most {} accepted)",
         watch.max_depth, kMaxJsonDepth);
  if (watch.duplicate) fail(origin, "key '{}' appears twice in the JSON header; keys must be unique", *watch.duplicate);
  if (!header.is_object()) fail(origin, "the JSON header must be an object, found {}", header.type_name());

  const std::uint64_t data_start = 8 + header_len;
  const std::uint64_t buffer_size = bytes.size() - data_start;
  SafetensorsContents out;
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == kMetadataKey)
      out.metadata = read_metadata(origin, value);
    else
      entries.push_back(read_entry(origin, key, value, buffer_size, data_start));
  }

  // The tensors must tile the data buffer exactly: no overlap, no hole, nothing left over.
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  std::uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.begin < covered)
      fail(origin, "tensor '{}' data_offsets [{}, {}] overlap tensor '{}' [{}, {}]", e.name, e.begin, e.end,
           previous->name, previous->begin, previous->end);
    if (e.begin > covered)
      fail(origin,
           "bytes [{}, {}) of the data buffer (file offset {}) belong to no tensor: tensor '{}' starts at {}; "
           "tensors must be stored back to back",
           covered, e.begin, data_start + covered, e.name, e.begin);
    covered = e.end;
    previous = &e;
  }
  if (covered != buffer_size)
    fail(origin,
         "the data buffer has {} bytes but the tensors cover only the first {}: {} trailing bytes from file offset {} "
         "belong to no tensor",
         buffer_size, covered, buffer_size - covered, data_start + covered);

  out.tensors.reserve(entries.size());
  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(Shape(e.shape), e.dtype);
    if (e.end > e.begin) std::memcpy(t.raw_data(), bytes.data() + data_start + e.begin, e.end - e.begin);
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

namespace detail {
void set_save_hook(std::function<void(const std::filesystem::path&)> hook) { save_hook() = std::move(hook); }
}  // namespace detail

}  // namespace minidl::io
