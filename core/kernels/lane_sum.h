#pragma once
// sum of f(i) for i in [0, n) in 32 independent double lanes: a single running sum is a chain of
// dependent adds the compiler may not reorder (so it cannot vectorise it); fixed lanes can be, and
// the order of additions, hence the result, stays the same on every run and thread count.
// 32 lanes rather than 8: one vector register of 8 lanes is still one chain of dependent vector
// adds (4 cycles each), which made the layer and group norm statistics latency bound; four
// registers' worth keep the adders busy.
#include <cstdint>

namespace minidl::kernels {

template <class F>
double lane_sum(std::int64_t n, F f) {
  constexpr std::int64_t kLanes = 32, kVector = 8;
  double lane[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (std::int64_t j = 0; j < kLanes; ++j) lane[j] += f(i + j);
  for (; i + kVector <= n; i += kVector)  // short rows and tails still vectorise 8 at a time
    for (std::int64_t j = 0; j < kVector; ++j) lane[j] += f(i + j);
  for (; i < n; ++i) lane[i % kVector] += f(i);
  double s[kVector];
  for (std::int64_t j = 0; j < kVector; ++j) s[j] = (lane[j] + lane[j + 16]) + (lane[j + 8] + lane[j + 24]);
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

}  // namespace minidl::kernels
