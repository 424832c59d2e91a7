#pragma once
// Tensor memory. Large blocks (>= 1 MiB) freed by one training step are kept and handed to the next
// step, because a fresh multi-megabyte allocation costs a page fault per 4 KiB on first touch,
// which on conv workloads is as slow as the arithmetic. The cache is bounded, so resident memory
// stays flat across epochs.
#include <cstddef>

namespace minidl {

// 64-byte aligned, at least `bytes` (never null: throws std::bad_alloc).
void* allocate_tensor_memory(std::size_t bytes);
void free_tensor_memory(void* ptr, std::size_t bytes);

// With MINIDL_FILL_UNINITIALIZED=1 in the environment (like PyTorch's fill_uninitialized_memory)
// fills the block with all-ones bytes, a NaN in float32 and float64: a kernel that reads an element
// it never wrote then gives NaNs instead of silently reusing an old block's values. Otherwise a
// no-op. Tensor memory and the kernels' per-thread scratch both go through it.
void fill_uninitialized_memory(void* ptr, std::size_t bytes);

// Bytes currently held in the cache, and a way to give them back to the system.
std::size_t cached_tensor_memory();
void release_cached_tensor_memory();

}  // namespace minidl
