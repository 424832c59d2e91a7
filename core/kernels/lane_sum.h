#pragma once
// sum of f(i) for i in [0, n) in 8 independent double lanes: a single running sum is a chain of
// dependent adds the compiler may not reorder (so it cannot vectorise it); fixed lanes can be, and
// the order of additions, hence the result, stays the same on every run and thread count.
#include <cstdint>

namespace minidl::kernels {

template <class F>
double lane_sum(std::int64_t n, F f) {
  constexpr std::int64_t kLanes = 8;
  double lane[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (std::int64_t j = 0; j < kLanes; ++j) lane[j] += f(i + j);
  for (; i < n; ++i) lane[i % kLanes] += f(i);
  return ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
}

}  // namespace minidl::kernels
