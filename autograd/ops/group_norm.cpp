#include "minidl/autograd/ops/group_norm.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "minidl/autograd/node.h"
#include "minidl/autograd/ops/norm_param.h"
#include "minidl/core/error.h"
#include "minidl/core/kernels/fused_multiply_add.h"
#include "minidl/core/kernels/lane_sum.h"
#include "minidl/core/parallel.h"

namespace minidl {

namespace {

// x viewed as (N, P, C, Q): the axes between the batch and the channels multiply to P, those after
// them to Q. channels_last is (N, H*W, C, 1), channels_first (N, 1, C, H*W).
struct GroupView {
  std::int64_t n = 1, p = 1, c = 1, q = 1, groups = 1;
  std::int64_t per_group() const { return c / groups; }
  std::int64_t sample() const { return p * c * q; }
  double count() const { return static_cast<double>(p * per_group() * q); }  // elements per (sample, group)
};

// Per-channel sums over one sample's P and Q of f(element index, channel) into sum_f[C] and of
// g(element index, channel) into sum_g[C], in a single read of the sample. The unit-stride loop is
// over channels when Q is 1 (channels_last) and over Q otherwise.
template <class F, class G>
void channel_sums2(const GroupView& v, F f, G g, double* sum_f, double* sum_g) {
  for (std::int64_t c = 0; c < v.c; ++c) sum_f[c] = sum_g[c] = 0.0;
  if (v.q == 1) {
    // Two positions per update of the sums: half their loads and stores.
    std::int64_t p = 0;
    for (; p + 2 <= v.p; p += 2) {
      const std::int64_t i0 = p * v.c, i1 = i0 + v.c;
      for (std::int64_t c = 0; c < v.c; ++c) {
        sum_f[c] += f(i0 + c, c) + f(i1 + c, c);
        sum_g[c] += g(i0 + c, c) + g(i1 + c, c);
      }
    }
    for (; p < v.p; ++p)
      for (std::int64_t c = 0; c < v.c; ++c) {
        sum_f[c] += f(p * v.c + c, c);
        sum_g[c] += g(p * v.c + c, c);
      }
    return;
  }
  for (std::int64_t p = 0; p < v.p; ++p)
    for (std::int64_t c = 0; c < v.c; ++c) {
      const std::int64_t base = (p * v.c + c) * v.q;
      double a = 0.0, b = 0.0;
      kernels::lane_sum2(
          v.q, [&f, base, c](std::int64_t i) { return f(base + i, c); },
          [&g, base, c](std::int64_t i) { return g(base + i, c); }, a, b);
      sum_f[c] += a;
      sum_g[c] += b;
    }
}

// Calls f(element index, channel) over one sample, unit-stride as channel_sums.
template <class F>
void for_each_channel(const GroupView& v, F f) {
  if (v.q == 1) {
    for (std::int64_t p = 0; p < v.p; ++p)
      for (std::int64_t c = 0; c < v.c; ++c) f(p * v.c + c, c);
    return;
  }
  for (std::int64_t p = 0; p < v.p; ++p)
    for (std::int64_t c = 0; c < v.c; ++c) {
      const std::int64_t base = (p * v.c + c) * v.q;
      for (std::int64_t i = base; i < base + v.q; ++i) f(i, c);
    }
}

// Sum of per-channel values over each group.
std::vector<double> group_totals(const GroupView& v, const double* per_channel) {
  std::vector<double> out(static_cast<std::size_t>(v.groups), 0.0);
  for (std::int64_t c = 0; c < v.c; ++c) out[static_cast<std::size_t>(c / v.per_group())] += per_channel[c];
  return out;
}

struct Stats {
  std::vector<double> mean, inv_std;  // (N * groups)
};

}  // namespace

Tensor group_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, std::int64_t groups, std::int64_t axis,
                  double epsilon) {
  if (!x.defined() || x.ndim() < 2)
    throw_invalid_argument("group_norm: x must have a batch axis and a channel axis, received shape {}",
                           x.defined() ? x.shape().str() : std::string("(undefined)"));
  const std::int64_t a = normalize_axis(axis, x.ndim(), "group_norm axis");
  if (a == 0) throw_invalid_argument("group_norm: axis {} is the batch axis of x of shape {}", axis, x.shape());
  GroupView v;
  for (std::int64_t i = 0; i < x.ndim(); ++i) {
    const std::int64_t e = x.shape()[i];
    if (i == 0) v.n = e;
    else if (i < a) v.p *= e;
    else if (i == a) v.c = e;
    else v.q *= e;
  }
  if (groups < 1 || v.c % groups != 0)
    throw_invalid_argument("group_norm: groups must be a positive divisor of the {} channels of x of shape {}, "
                           "received groups={}",
                           v.c, x.shape(), groups);
  if (!(epsilon >= 0.0)) throw_invalid_argument("group_norm: epsilon must be >= 0, received epsilon={}", epsilon);
  auto fits = [&] { return fmt::format("one value per channel of x of shape {}", x.shape()); };
  check_norm_param("group_norm", "gamma", gamma, x, Shape{v.c}, fits);
  check_norm_param("group_norm", "beta", beta, x, Shape{v.c}, fits);
  v.groups = groups;

  auto stats = std::make_shared<Stats>();
  stats->mean.resize(static_cast<std::size_t>(v.n * groups));
  stats->inv_std.resize(stats->mean.size());
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    const T* pg = gamma.defined() ? gamma.data<T>() : nullptr;
    const T* pb = beta.defined() ? beta.data<T>() : nullptr;
    T* py = y.data<T>();
    parallel_for(0, v.n, 1, [&](std::int64_t n0, std::int64_t n1) {
      const auto nc = static_cast<std::size_t>(v.c);
      std::vector<double> s1(nc), s2(nc), scale(nc), shift(nc), pivot(nc);
      for (std::int64_t n = n0; n < n1; ++n) {
        const T* xs = px + n * v.sample();
        T* ys = py + n * v.sample();
        // One read of the sample, not two: sums of d = x - K and of d^2 about a pivot K, the
        // group's first element, give var = S2 / count - (S1 / count)^2. K being one of the
        // group's values bounds (K - mean)^2 by count * var, so the cancellation costs at most
        // log2(count) of double's 53 bits (12 for a group of 4096), leaving far more than
        // float's 24. (The centred two-pass sum it replaces read the sample from memory twice.)
        for (std::int64_t c = 0; c < v.c; ++c)
          pivot[static_cast<std::size_t>(c)] = static_cast<double>(xs[(c / v.per_group()) * v.per_group() * v.q]);
        const double* pv = pivot.data();
        channel_sums2(
            v, [xs, pv](std::int64_t i, std::int64_t c) { return static_cast<double>(xs[i]) - pv[c]; },
            [xs, pv](std::int64_t i, std::int64_t c) {
              const double d = static_cast<double>(xs[i]) - pv[c];
              return d * d;
            },
            s1.data(), s2.data());
        const auto sum = group_totals(v, s1.data()), squares = group_totals(v, s2.data());
        for (std::int64_t g = 0; g < groups; ++g) {
          const auto k = static_cast<std::size_t>(n * groups + g);
          const auto gi = static_cast<std::size_t>(g);
          const double shifted_mean = sum[gi] / v.count();
          stats->mean[k] = pivot[static_cast<std::size_t>(g * v.per_group())] + shifted_mean;
          const double var = std::max(0.0, squares[gi] / v.count() - shifted_mean * shifted_mean);
          stats->inv_std[k] = 1.0 / std::sqrt(var + epsilon);
        }
        // y = x * scale[c] + shift[c]: the group's statistics and the channel's gamma and beta folded.
        for (std::int64_t c = 0; c < v.c; ++c) {
          const auto k = static_cast<std::size_t>(n * groups + c / v.per_group());
          const double s = stats->inv_std[k] * (pg ? static_cast<double>(pg[c]) : 1.0);
          scale[static_cast<std::size_t>(c)] = s;
          shift[static_cast<std::size_t>(c)] = (pb ? static_cast<double>(pb[c]) : 0.0) - stats->mean[k] * s;
        }
        for_each_channel(v, [&](std::int64_t i, std::int64_t c) {
          ys[i] = static_cast<T>(kernels::fused_multiply_add(static_cast<double>(xs[i]), scale[static_cast<std::size_t>(c)],
                                                             shift[static_cast<std::size_t>(c)]));
        });
      }
    });
  });

  return autograd::record(
      "group_norm", {x, gamma, beta}, y,
      [xs = autograd::saved(x), gs = autograd::saved(gamma), stats, v](const Tensor& g, const autograd::GradMask& needs) {
        std::vector<Tensor> grads(3);
        // Per sample and channel: S1 = sum of dy, S2 = sum of dy * xhat (dbeta's and dgamma's terms),
        // kept per sample and added in sample order, so the result does not depend on the threads.
        std::vector<double> s1(static_cast<std::size_t>(v.n * v.c)), s2(s1.size());
        Tensor dx = needs[0] ? Tensor::empty(xs.shape(), g.dtype()) : Tensor();
        dispatch(g.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* pdy = g.data<T>();
          const T* px = xs.data<T>();
          const T* pgamma = gs.defined() ? gs.data<T>() : nullptr;
          T* pdx = dx.defined() ? dx.data<T>() : nullptr;
          parallel_for(0, v.n, 1, [&](std::int64_t n0, std::int64_t n1) {
            const auto nc = static_cast<std::size_t>(v.c);
            std::vector<double> dy_x(nc), ga(nc), gax(nc), a(nc), b(nc), offset(nc);
            for (std::int64_t n = n0; n < n1; ++n) {
              const T* dys = pdy + n * v.sample();
              const T* xsn = px + n * v.sample();
              double* s1n = s1.data() + n * v.c;
              double* s2n = s2.data() + n * v.c;
              channel_sums2(
                  v, [dys](std::int64_t i, std::int64_t) { return static_cast<double>(dys[i]); },
                  [dys, xsn](std::int64_t i, std::int64_t) {
                    return static_cast<double>(dys[i]) * static_cast<double>(xsn[i]);
                  },
                  s1n, dy_x.data());
              // sum dy * xhat = inv * (sum dy * x - mean * sum dy), per channel.
              for (std::int64_t c = 0; c < v.c; ++c) {
                const auto k = static_cast<std::size_t>(n * v.groups + c / v.per_group());
                s2n[c] = stats->inv_std[k] * (dy_x[static_cast<std::size_t>(c)] - stats->mean[k] * s1n[c]);
              }
              if (!pdx) continue;
              // With a = gamma * dy: dx = inv * (a - mean(a) - xhat * mean(a * xhat)) over the group,
              // i.e. dx = dy * a[c] + x * b[c] + offset[c].
              for (std::int64_t c = 0; c < v.c; ++c) {
                const double gc = pgamma ? static_cast<double>(pgamma[c]) : 1.0;
                ga[static_cast<std::size_t>(c)] = gc * s1n[c];
                gax[static_cast<std::size_t>(c)] = gc * s2n[c];
              }
              const auto mean_a = group_totals(v, ga.data()), mean_axhat = group_totals(v, gax.data());
              for (std::int64_t c = 0; c < v.c; ++c) {
                const auto gi = static_cast<std::size_t>(c / v.per_group());
                const auto k = static_cast<std::size_t>(n * v.groups) + gi;
                const double inv = stats->inv_std[k], mean = stats->mean[k];
                const double ma = mean_a[gi] / v.count(), mx = mean_axhat[gi] / v.count();
                a[static_cast<std::size_t>(c)] = inv * (pgamma ? static_cast<double>(pgamma[c]) : 1.0);
                // ma = mean(a), mx = mean(a * xhat); -inv * xhat * mx = x * (-inv^2 mx) + mean * inv^2 * mx.
                b[static_cast<std::size_t>(c)] = -inv * inv * mx;
                offset[static_cast<std::size_t>(c)] = -inv * ma + mean * inv * inv * mx;
              }
              T* dxs = pdx + n * v.sample();
              for_each_channel(v, [&](std::int64_t i, std::int64_t c) {
                const auto ci = static_cast<std::size_t>(c);
                dxs[i] = static_cast<T>(kernels::fused_multiply_add(
                    static_cast<double>(dys[i]), a[ci], kernels::fused_multiply_add(static_cast<double>(xsn[i]), b[ci], offset[ci])));
              });
            }
          });
        });
        if (needs[0]) grads[0] = dx;
        auto total = [&](const std::vector<double>& per_sample) {
          std::vector<double> sum(static_cast<std::size_t>(v.c), 0.0);
          for (std::int64_t n = 0; n < v.n; ++n)
            for (std::int64_t c = 0; c < v.c; ++c) sum[static_cast<std::size_t>(c)] += per_sample[static_cast<std::size_t>(n * v.c + c)];
          return Tensor::from_vector(sum, {v.c}).to(g.dtype());
        };
        if (needs[1]) grads[1] = total(s2);
        if (needs[2]) grads[2] = total(s1);
        return grads;
      });
}

}  // namespace minidl
