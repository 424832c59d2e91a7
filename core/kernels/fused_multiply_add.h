#pragma once
// a * b + c for the hot elementwise loops. minidl builds without FMA contraction (see CMakeLists.txt:
// GCC could contract a vectorised loop and its scalar copy differently, and which copy runs depends
// on the addresses). An explicit fma is the same single rounding in both copies, so it keeps the
// speed without the layout dependence. Where the CPU has no FMA (a build without -march=native)
// std::fma would be a slow library call: plain multiply-then-add there.
#include <cmath>

namespace minidl::kernels {

template <class T>
inline T fused_multiply_add(T a, T b, T c) {
#if defined(FP_FAST_FMA) && defined(FP_FAST_FMAF)
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

}  // namespace minidl::kernels
