#pragma once
// A tiny fork-join pool for the kernels that OpenBLAS does not cover (im2col, elementwise, ...).
// One parallel region runs at a time; a region started while another runs (another thread, or a
// nested call) simply runs serially, so the cores are never oversubscribed.
#include <cstdint>
#include <functional>

namespace minidl {

// Threads used by minidl's kernels and GEMMs (OpenBLAS itself is kept single-threaded; blas::gemm
// splits large products over this pool). Defaults to the number of cores
// (or MINIDL_NUM_THREADS when set).
int get_num_threads();
void set_num_threads(int n);

// Splits [begin, end) into at most get_num_threads() contiguous chunks of at least `grain`
// iterations and calls fn(chunk_begin, chunk_end) for each, on the pool's threads.
void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t)>& fn);

}  // namespace minidl
