#pragma once
// Elementwise maps over N inputs with NumPy broadcasting, split across the pool's threads.
// Axes are collapsed first so the innermost loop is as long as possible; when every input
// already has the output's shape the map is one flat, vectorisable loop.
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "minidl/core/parallel.h"
#include "minidl/core/shape.h"

namespace minidl::kernels {

// Below this many elements a map stays on the calling thread: waking the pool costs more.
constexpr std::int64_t kElementwiseGrain = 1 << 15;

template <std::size_t N>
struct BroadcastPlan {
  std::vector<std::int64_t> dims;                        // collapsed output extents
  std::array<std::vector<std::int64_t>, N> strides;      // per input, 0 on broadcast axes
};

template <std::size_t N>
BroadcastPlan<N> plan_broadcast(const Shape& out, const std::array<const Shape*, N>& in) {
  const auto nd = static_cast<std::size_t>(out.ndim());
  std::vector<std::int64_t> dims(out.dims());
  std::array<std::vector<std::int64_t>, N> strides;
  for (std::size_t k = 0; k < N; ++k) {
    strides[k].assign(nd, 0);
    const auto& d = in[k]->dims();
    const std::size_t lead = nd - d.size();
    std::int64_t acc = 1;
    for (std::size_t i = d.size(); i-- > 0;) {
      strides[k][lead + i] = d[i] == 1 ? 0 : acc;
      acc *= d[i];
    }
  }
  // Merge axis i into i+1 when every input walks them as one run.
  BroadcastPlan<N> plan;
  for (std::size_t i = 0; i < nd; ++i) {
    if (dims[i] == 1 && nd > 1) continue;  // unit axes never move an index
    bool merge = !plan.dims.empty();
    for (std::size_t k = 0; merge && k < N; ++k)
      merge = plan.strides[k].back() == strides[k][i] * dims[i];
    if (merge) {
      plan.dims.back() *= dims[i];
      for (std::size_t k = 0; k < N; ++k) plan.strides[k].back() = strides[k][i];
    } else {
      plan.dims.push_back(dims[i]);
      for (std::size_t k = 0; k < N; ++k) plan.strides[k].push_back(strides[k][i]);
    }
  }
  if (plan.dims.empty()) {
    plan.dims.push_back(1);
    for (std::size_t k = 0; k < N; ++k) plan.strides[k].push_back(0);
  }
  return plan;
}

// out[i] = f(in_0[...], ..., in_{N-1}[...]) over the broadcast of the input shapes to `out_shape`.
template <class T, std::size_t N, class F>
void map_broadcast(T* out, const Shape& out_shape, const std::array<const T*, N>& in,
                   const std::array<const Shape*, N>& in_shapes, F f) {
  const std::int64_t total = out_shape.numel();
  bool flat = true;
  for (std::size_t k = 0; k < N; ++k) flat = flat && *in_shapes[k] == out_shape;
  if (flat) {
    parallel_for(0, total, kElementwiseGrain, [&](std::int64_t lo, std::int64_t hi) {
      // Local copies: the compiler can then keep f's captured constants in registers (stores to
      // `out` cannot alias them) and vectorise the loop.
      const F fl = f;
      const std::array<const T*, N> src = in;
      T* __restrict dst = out;
      [&]<std::size_t... K>(std::index_sequence<K...>) {
        for (std::int64_t i = lo; i < hi; ++i) dst[i] = fl(src[K][i]...);
      }(std::make_index_sequence<N>{});
    });
    return;
  }
  const BroadcastPlan<N> plan = plan_broadcast<N>(out_shape, in_shapes);
  const auto nd = plan.dims.size();
  const std::int64_t inner = plan.dims.back();
  const std::int64_t rows = total / (inner == 0 ? 1 : inner);
  if (total == 0) return;
  parallel_for(0, rows, std::max<std::int64_t>(1, kElementwiseGrain / inner), [&](std::int64_t lo, std::int64_t hi) {
    std::vector<std::int64_t> idx(nd, 0);
    std::array<std::int64_t, N> off{};
    // Position the counters at row `lo`.
    std::int64_t r = lo;
    for (std::size_t d = nd - 1; d-- > 0;) {
      idx[d] = r % plan.dims[d];
      r /= plan.dims[d];
      for (std::size_t k = 0; k < N; ++k) off[k] += idx[d] * plan.strides[k][d];
    }
    const F fl = f;
    for (std::int64_t row = lo; row < hi; ++row) {
      T* __restrict o = out + row * inner;
      [&]<std::size_t... K>(std::index_sequence<K...>) {
        const std::array<std::int64_t, N> s{plan.strides[K].back()...};
        const std::array<const T*, N> src{(in[K] + off[K])...};
        for (std::int64_t j = 0; j < inner; ++j) o[j] = fl(src[K][j * s[K]]...);
      }(std::make_index_sequence<N>{});
      for (std::size_t d = nd - 1; d-- > 0;) {  // odometer increment over the outer axes
        for (std::size_t k = 0; k < N; ++k) off[k] += plan.strides[k][d];
        if (++idx[d] < plan.dims[d]) break;
        for (std::size_t k = 0; k < N; ++k) off[k] -= idx[d] * plan.strides[k][d];
        idx[d] = 0;
      }
    }
  });
}

}  // namespace minidl::kernels
