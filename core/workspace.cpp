#include "minidl/core/workspace.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <new>

#include "minidl/core/allocator.h"

namespace minidl {

namespace {

std::atomic<std::size_t> g_peak{0};

struct Buffer {
  void* data = nullptr;
  std::size_t bytes = 0;
  ~Buffer() { std::free(data); }
};

thread_local std::array<Buffer, 2> t_buffers;

}  // namespace

void* thread_scratch(std::size_t bytes, int slot) {
  Buffer& b = t_buffers.at(static_cast<std::size_t>(slot));
  if (b.bytes < bytes) {
    std::free(b.data);
    b.data = nullptr;
    b.bytes = 0;
    const std::size_t rounded = (bytes + 63) / 64 * 64;
    b.data = std::aligned_alloc(64, rounded);
    if (!b.data) throw std::bad_alloc();
    b.bytes = rounded;
  }
  std::size_t total = 0;
  for (const Buffer& each : t_buffers) total += each.bytes;
  std::size_t seen = g_peak.load();
  while (total > seen && !g_peak.compare_exchange_weak(seen, total)) {
  }
  fill_uninitialized_memory(b.data, bytes);
  return b.data;
}

std::size_t scratch_peak_bytes() { return g_peak.load(); }
void reset_scratch_peak() { g_peak.store(0); }

void release_thread_scratch() {
  for (Buffer& b : t_buffers) {
    std::free(b.data);
    b.data = nullptr;
    b.bytes = 0;
  }
}

}  // namespace minidl
