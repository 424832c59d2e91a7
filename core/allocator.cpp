#include "minidl/core/allocator.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string_view>
#include <vector>

namespace minidl {

namespace {

constexpr std::size_t kCachedMin = std::size_t{1} << 20;   // smaller blocks go straight to malloc
constexpr std::size_t kCacheLimit = std::size_t{1} << 30;  // at most 1 GiB kept for reuse

// Sizes are rounded to 64 KiB so that nearly equal requests share blocks.
std::size_t rounded(std::size_t bytes) {
  if (bytes < kCachedMin) return ((bytes + 63) / 64) * 64;
  const std::size_t step = std::size_t{1} << 16;
  return ((bytes + step - 1) / step) * step;
}

struct Cache {
  std::mutex mutex;
  std::multimap<std::size_t, void*> blocks;
  std::size_t bytes = 0;
  ~Cache() {
    for (auto& [size, ptr] : blocks) std::free(ptr);
  }
};

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: tensors in static objects may outlive it
  return *c;
}

}  // namespace

namespace {

void* take_block(std::size_t size) {
  if (size >= kCachedMin) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.blocks.find(size);
    if (it != c.blocks.end()) {
      void* p = it->second;
      c.blocks.erase(it);
      c.bytes -= size;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, size);
  if (p == nullptr) {
    release_cached_tensor_memory();  // the cache may be what stands between us and success
    p = std::aligned_alloc(64, size);
    if (p == nullptr) throw std::bad_alloc();
  }
  return p;
}

}  // namespace

void fill_uninitialized_memory(void* ptr, std::size_t bytes) {
  static const bool fill = [] {
    const char* env = std::getenv("MINIDL_FILL_UNINITIALIZED");
    return env != nullptr && *env != '\0' && std::string_view(env) != "0";
  }();
  if (fill) std::memset(ptr, 0xFF, bytes);
}

void* allocate_tensor_memory(std::size_t bytes) {
  const std::size_t size = rounded(bytes == 0 ? 64 : bytes);
  void* p = take_block(size);
  fill_uninitialized_memory(p, size);
  return p;
}

void free_tensor_memory(void* ptr, std::size_t bytes) {
  if (ptr == nullptr) return;
  const std::size_t size = rounded(bytes == 0 ? 64 : bytes);
  if (size >= kCachedMin) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.bytes + size <= kCacheLimit) {
      c.blocks.emplace(size, ptr);
      c.bytes += size;
      return;
    }
  }
  std::free(ptr);
}

std::size_t cached_tensor_memory() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.bytes;
}

void release_cached_tensor_memory() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [size, ptr] : c.blocks) std::free(ptr);
  c.blocks.clear();
  c.bytes = 0;
}

}  // namespace minidl
