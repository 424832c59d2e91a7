#pragma once
// Sums of f(i) for i in [0, n) in 32 independent double lanes: a single running sum is a chain of
// dependent adds the compiler may not reorder (so it cannot vectorise it); fixed lanes can be, and
// the order of additions, hence the result, stays the same on every run and thread count.
// 32 lanes rather than 8: one vector register of 8 lanes is still one chain of dependent vector
// adds (4 cycles each), which kept the layer and group norm statistics latency bound; four
// registers' worth keep the adders busy.
#include <cstdint>

namespace minidl::kernels {

namespace detail {

constexpr std::int64_t kLanes = 32, kVector = 8;

// Calls step(lane, i) for every i in [0, n): 32 at a time, then 8 at a time (short rows and tails
// still vectorise), then the last few spread over the first 8 lanes.
template <class Step>
void for_lanes(std::int64_t n, Step step) {
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (std::int64_t j = 0; j < kLanes; ++j) step(j, i + j);
  for (; i + kVector <= n; i += kVector)
    for (std::int64_t j = 0; j < kVector; ++j) step(j, i + j);
  for (; i < n; ++i) step(i % kVector, i);
}

// The 32 lanes added in a fixed tree.
inline double combine_lanes(const double* lane) {
  double s[kVector];
  for (std::int64_t j = 0; j < kVector; ++j) s[j] = (lane[j] + lane[j + 16]) + (lane[j + 8] + lane[j + 24]);
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

}  // namespace detail

template <class F>
double lane_sum(std::int64_t n, F f) {
  double lane[detail::kLanes] = {};
  detail::for_lanes(n, [&](std::int64_t j, std::int64_t i) { lane[j] += f(i); });
  return detail::combine_lanes(lane);
}

// The sums of f(i) and of g(i) in one pass, each laid out in lanes as lane_sum's.
template <class F, class G>
void lane_sum2(std::int64_t n, F f, G g, double& sum_f, double& sum_g) {
  double lf[detail::kLanes] = {}, lg[detail::kLanes] = {};
  detail::for_lanes(n, [&](std::int64_t j, std::int64_t i) {
    lf[j] += f(i);
    lg[j] += g(i);
  });
  sum_f = detail::combine_lanes(lf);
  sum_g = detail::combine_lanes(lg);
}

}  // namespace minidl::kernels
