#pragma once
// Scratch memory for the convolution kernels (im2col columns): one grow-only buffer per thread, so
// repeated calls neither allocate nor fault pages, and concurrent callers never share it. The
// convolutions size their batch chunks to kMaxScratchBytes, which bounds the buffer.
#include <cstddef>

namespace minidl {

inline constexpr std::size_t kMaxScratchBytes = std::size_t{64} << 20;  // 64 MiB

// A 64-byte aligned buffer of at least `bytes`, owned by the calling thread, valid until the next
// call on the same thread with the same `slot` (slots let one op hold two buffers at once).
void* thread_scratch(std::size_t bytes, int slot = 0);

// The largest scratch buffer any thread has held since start (or the last reset), in bytes.
std::size_t scratch_peak_bytes();
void reset_scratch_peak();
// Frees the calling thread's buffers (they come back on the next call).
void release_thread_scratch();

}  // namespace minidl
