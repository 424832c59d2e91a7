#pragma once
// One N-d strided copy serves permute, slice, concat and pad and their backwards: each is a copy
// between two views of contiguous buffers that differ only in offsets and strides.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace minidl::kernels {

// Copies the block `extents` from src (element strides src_strides) to dst (dst_strides), for
// elements of `elem_size` bytes. Runs contiguous in both are copied with memcpy.
void strided_copy(void* dst, const std::vector<std::int64_t>& dst_strides, const void* src,
                  const std::vector<std::int64_t>& src_strides, const std::vector<std::int64_t>& extents,
                  std::size_t elem_size);

}  // namespace minidl::kernels
