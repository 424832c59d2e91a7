#pragma once
// Reductions over any set of axes. The axes are gathered into contiguous groups and each group is
// reduced as an (outer, R, inner) block, so the inner loop is always unit-stride. Full reductions
// sum fixed-size blocks and combine them in order: the result does not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "minidl/core/parallel.h"
#include "minidl/core/shape.h"

namespace minidl::kernels {

struct SumOp {
  template <class T>
  using Acc = double;  // float sums accumulate in double: losses over 10^7 elements stay exact enough
  static double init() { return 0.0; }
  template <class T>
  static double step(double acc, T x) { return acc + static_cast<double>(x); }
  static double merge(double a, double b) { return a + b; }
};

struct MaxOp {
  template <class T>
  using Acc = T;
  template <class T>
  static T init_for() { return -std::numeric_limits<T>::infinity(); }
  template <class T>
  static T step(T acc, T x) { return (x > acc || std::isnan(x)) ? x : acc; }  // NaN wins, as in NumPy
  template <class T>
  static T merge(T a, T b) { return step(a, b); }
};

struct MinOp {
  template <class T>
  using Acc = T;
  template <class T>
  static T init_for() { return std::numeric_limits<T>::infinity(); }
  template <class T>
  static T step(T acc, T x) { return (x < acc || std::isnan(x)) ? x : acc; }
  template <class T>
  static T merge(T a, T b) { return step(a, b); }
};

namespace detail {

template <class Op, class T>
auto op_init() {
  if constexpr (requires { Op::init(); }) {
    return static_cast<typename Op::template Acc<T>>(Op::init());
  } else {
    return Op::template init_for<T>();
  }
}

// out[o, i] = reduce_r x[o, r, i]
template <class Op, class T>
void reduce_block(const T* x, T* out, std::int64_t outer, std::int64_t R, std::int64_t inner) {
  using A = typename Op::template Acc<T>;
  constexpr std::int64_t kBlock = 1 << 14;
  if (inner == 1 && outer < get_num_threads() && R > kBlock) {
    // Few long rows: split each row into fixed blocks, combine partials in order.
    const std::int64_t nblocks = (R + kBlock - 1) / kBlock;
    for (std::int64_t o = 0; o < outer; ++o) {
      std::vector<A> partial(static_cast<std::size_t>(nblocks));
      const T* row = x + o * R;
      parallel_for(0, nblocks, 1, [&](std::int64_t lo, std::int64_t hi) {
        for (std::int64_t b = lo; b < hi; ++b) {
          A acc = op_init<Op, T>();
          for (std::int64_t r = b * kBlock, e = std::min(R, (b + 1) * kBlock); r < e; ++r) acc = Op::step(acc, row[r]);
          partial[static_cast<std::size_t>(b)] = acc;
        }
      });
      A acc = op_init<Op, T>();
      for (auto p : partial) acc = Op::merge(acc, p);
      out[o] = static_cast<T>(acc);
    }
    return;
  }
  if (inner == 1) {
    parallel_for(0, outer, std::max<std::int64_t>(1, kBlock / std::max<std::int64_t>(R, 1)),
                 [&](std::int64_t lo, std::int64_t hi) {
                   for (std::int64_t o = lo; o < hi; ++o) {
                     A acc = op_init<Op, T>();
                     const T* row = x + o * R;
                     for (std::int64_t r = 0; r < R; ++r) acc = Op::step(acc, row[r]);
                     out[o] = static_cast<T>(acc);
                   }
                 });
    return;
  }
  // inner > 1: accumulate whole rows of `inner`, vectorisable; split over outer, or over inner
  // columns when there is a single outer block.
  const bool split_outer = outer > 1;
  const std::int64_t n_work = split_outer ? outer : inner;
  const std::int64_t grain = split_outer ? 1 : std::max<std::int64_t>(64, kBlock / std::max<std::int64_t>(R, 1));
  parallel_for(0, n_work, grain, [&](std::int64_t lo, std::int64_t hi) {
    const std::int64_t o_lo = split_outer ? lo : 0, o_hi = split_outer ? hi : 1;
    const std::int64_t i_lo = split_outer ? 0 : lo, i_hi = split_outer ? inner : hi;
    std::vector<A> acc(static_cast<std::size_t>(i_hi - i_lo));
    for (std::int64_t o = o_lo; o < o_hi; ++o) {
      std::fill(acc.begin(), acc.end(), op_init<Op, T>());
      for (std::int64_t r = 0; r < R; ++r) {
        const T* src = x + (o * R + r) * inner + i_lo;
        for (std::int64_t i = 0; i < i_hi - i_lo; ++i) acc[static_cast<std::size_t>(i)] = Op::step(acc[static_cast<std::size_t>(i)], src[i]);
      }
      for (std::int64_t i = i_lo; i < i_hi; ++i) out[o * inner + i] = static_cast<T>(acc[static_cast<std::size_t>(i - i_lo)]);
    }
  });
}

}  // namespace detail

// Reduces `x` (shape `shape`) over `axes` (sorted, unique, non-negative) into `out`, which holds
// the kept axes in order (numel = product of the kept extents).
template <class Op, class T>
void reduce(const T* x, const Shape& shape, const std::vector<std::int64_t>& axes, T* out) {
  std::vector<std::int64_t> dims = shape.dims();
  std::vector<bool> reduced(dims.size(), false);
  for (auto a : axes) reduced[static_cast<std::size_t>(a)] = true;
  // Collapse runs of axes of the same kind.
  std::vector<std::int64_t> gdims;
  std::vector<bool> gred;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (!gdims.empty() && gred.back() == reduced[i]) {
      gdims.back() *= dims[i];
    } else {
      gdims.push_back(dims[i]);
      gred.push_back(reduced[i]);
    }
  }
  if (std::none_of(gred.begin(), gred.end(), [](bool b) { return b; })) {
    std::copy(x, x + shape.numel(), out);
    return;
  }
  // Reduce the groups from the last to the first; each pass shrinks the buffer.
  std::vector<T> scratch;
  const T* src = x;
  std::vector<std::size_t> red_groups;
  for (std::size_t g = 0; g < gdims.size(); ++g)
    if (gred[g]) red_groups.push_back(g);
  for (std::size_t k = red_groups.size(); k-- > 0;) {
    const std::size_t g = red_groups[k];
    std::int64_t inner = 1;
    for (std::size_t j = g + 1; j < gdims.size(); ++j) inner *= gdims[j];
    const std::int64_t R = gdims[g];
    std::int64_t outer_count = 1;
    for (std::size_t j = 0; j < g; ++j) outer_count *= gdims[j];
    std::vector<T> next;
    T* dst = out;
    if (k != 0) {
      next.resize(static_cast<std::size_t>(outer_count * inner));
      dst = next.data();
    }
    if (R == 0) {
      std::fill(dst, dst + outer_count * inner, static_cast<T>(detail::op_init<Op, T>()));
    } else if (outer_count * inner > 0) {
      detail::reduce_block<Op, T>(src, dst, outer_count, R, inner);
    }
    gdims[g] = 1;
    scratch = std::move(next);
    src = scratch.data();
  }
}

}  // namespace minidl::kernels
