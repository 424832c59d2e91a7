#include "minidl/autograd/ops/batch_norm.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "minidl/autograd/node.h"
#include "minidl/autograd/ops/norm_param.h"
#include "minidl/core/error.h"
#include "minidl/core/parallel.h"

namespace minidl {

namespace {

// x viewed as (outer, C, inner): the channel axis in the middle, whatever the rank.
struct ChannelView {
  std::int64_t outer = 1, channels = 1, inner = 1;
  std::int64_t count() const { return outer * inner; }  // elements per channel
};

ChannelView channel_view(const Shape& s, std::int64_t axis) {
  ChannelView v;
  for (std::int64_t i = 0; i < s.ndim(); ++i) {
    const std::int64_t e = s.dims()[static_cast<std::size_t>(i)];
    if (i < axis) v.outer *= e;
    else if (i == axis) v.channels = e;
    else v.inner *= e;
  }
  return v;
}

// Per-channel sums of f(element index) in double. Threads take contiguous blocks of `outer` and
// their partial sums are added in block order, so the result does not depend on timing.
template <class F>
std::vector<double> channel_sums(const ChannelView& v, F f) {
  const auto C = static_cast<std::size_t>(v.channels);
  const std::int64_t per_outer = v.channels * v.inner;
  const std::int64_t blocks = std::max<std::int64_t>(1, std::min<std::int64_t>(v.outer, 64));
  std::vector<std::vector<double>> partial(static_cast<std::size_t>(blocks), std::vector<double>(C, 0.0));
  parallel_for(0, blocks, std::max<std::int64_t>(1, blocks * 4096 / std::max<std::int64_t>(v.outer * per_outer, 1)),
               [&](std::int64_t b0, std::int64_t b1) {
                 for (std::int64_t b = b0; b < b1; ++b) {
                   std::vector<double>& s = partial[static_cast<std::size_t>(b)];
                   const std::int64_t o0 = v.outer * b / blocks, o1 = v.outer * (b + 1) / blocks;
                   for (std::int64_t o = o0; o < o1; ++o) {
                     const std::int64_t base = o * per_outer;
                     if (v.inner == 1) {  // channels last: one contiguous run over the channels
                       for (std::size_t c = 0; c < C; ++c) s[c] += f(base + static_cast<std::int64_t>(c));
                       continue;
                     }
                     for (std::size_t c = 0; c < C; ++c) {
                       double acc = 0.0;
                       const std::int64_t row = base + static_cast<std::int64_t>(c) * v.inner;
                       for (std::int64_t i = 0; i < v.inner; ++i) acc += f(row + i);
                       s[c] += acc;
                     }
                   }
                 }
               });
  std::vector<double> total(C, 0.0);
  for (const auto& s : partial)
    for (std::size_t c = 0; c < C; ++c) total[c] += s[c];
  return total;
}

// f(k, channel of k) for every element, threads splitting the outer axis.
template <class F>
void for_each_channel_row(const ChannelView& v, F f) {
  const std::int64_t per_outer = v.channels * v.inner;
  parallel_for(0, v.outer, std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(per_outer, 1)),
               [&](std::int64_t lo, std::int64_t hi) {
                 for (std::int64_t o = lo; o < hi; ++o) {
                   const std::int64_t base = o * per_outer;
                   if (v.inner == 1) {
                     for (std::int64_t c = 0; c < v.channels; ++c) f(base + c, static_cast<std::size_t>(c));
                     continue;
                   }
                   for (std::int64_t c = 0; c < v.channels; ++c)
                     for (std::int64_t k = base + c * v.inner; k < base + (c + 1) * v.inner; ++k)
                       f(k, static_cast<std::size_t>(c));
                 }
               });
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& moving_mean, Tensor& moving_var,
                  std::int64_t axis_in, double momentum, double epsilon, bool training) {
  if (!x.defined() || x.ndim() < 1)
    throw_invalid_argument("batch_norm: x must have at least one axis, received shape {}",
                           x.defined() ? x.shape().str() : std::string("(undefined)"));
  const std::int64_t axis = normalize_axis(axis_in, x.ndim(), "batch_norm axis");
  const ChannelView v = channel_view(x.shape(), axis);
  auto fits = [&] { return fmt::format("to match axis {} of x of shape {}", axis_in, x.shape()); };
  const Shape per_channel{v.channels};
  check_norm_param("batch_norm", "gamma", gamma, x, per_channel, fits);
  check_norm_param("batch_norm", "beta", beta, x, per_channel, fits);
  check_norm_param("batch_norm", "moving_mean", moving_mean, x, per_channel, fits, false);
  check_norm_param("batch_norm", "moving_var", moving_var, x, per_channel, fits, false);
  if (!(epsilon >= 0.0))
    throw_invalid_argument("batch_norm: epsilon must be >= 0, received epsilon={}", epsilon);
  if (training && v.count() == 0)
    throw_invalid_argument("batch_norm: training needs at least one element per channel, received x of shape {}",
                           x.shape());

  const auto C = static_cast<std::size_t>(v.channels);
  const double m = static_cast<double>(v.count());
  std::vector<double> mean(C), inv_std(C);
  Tensor xhat = Tensor::empty(x.shape(), x.dtype());  // (x - mean) / sqrt(var + eps), kept for backward
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* mm = moving_mean.data<T>();
    T* mv = moving_var.data<T>();
    std::vector<double> var(C);
    if (training) {
      mean = channel_sums(v, [px](std::int64_t k) { return static_cast<double>(px[k]); });
      for (auto& e : mean) e /= m;
      // Two passes: the centred sum of squares does not cancel catastrophically.
      var = channel_sums(v, [px, &mean, &v](std::int64_t k) {
        const double d = static_cast<double>(px[k]) - mean[static_cast<std::size_t>((k / v.inner) % v.channels)];
        return d * d;
      });
      for (std::size_t c = 0; c < C; ++c) {
        var[c] /= m;
        mm[c] = static_cast<T>(static_cast<double>(mm[c]) * momentum + mean[c] * (1.0 - momentum));
        mv[c] = static_cast<T>(static_cast<double>(mv[c]) * momentum + var[c] * (1.0 - momentum));
      }
    } else {
      for (std::size_t c = 0; c < C; ++c) {
        mean[c] = static_cast<double>(mm[c]);
        var[c] = static_cast<double>(mv[c]);
      }
    }
    for (std::size_t c = 0; c < C; ++c) inv_std[c] = 1.0 / std::sqrt(var[c] + epsilon);
    const T* pg = gamma.defined() ? gamma.data<T>() : nullptr;
    const T* pb = beta.defined() ? beta.data<T>() : nullptr;
    T* ph = xhat.data<T>();
    T* py = y.data<T>();
    for_each_channel_row(v, [&](std::int64_t k, std::size_t c) {
      const T h = static_cast<T>((static_cast<double>(px[k]) - mean[c]) * inv_std[c]);
      ph[k] = h;
      py[k] = (pg ? pg[c] * h : h) + (pb ? pb[c] : T(0));
    });
  });

  return autograd::record(
      "batch_norm", {x, gamma, beta}, y,
      [xhat = autograd::saved(xhat), gamma_s = autograd::saved(gamma), inv_std, v, m, training](
          const Tensor& g, const autograd::GradMask& needs) {
        std::vector<Tensor> grads(3);
        dispatch(g.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* pg = g.data<T>();
          const T* ph = xhat.data<T>();
          const std::vector<double> sum_g = channel_sums(v, [pg](std::int64_t k) { return static_cast<double>(pg[k]); });
          const std::vector<double> sum_gh = channel_sums(
              v, [pg, ph](std::int64_t k) { return static_cast<double>(pg[k]) * static_cast<double>(ph[k]); });
          const Shape param_shape{v.channels};
          if (needs[2]) grads[2] = Tensor::from_vector(sum_g, param_shape).to(g.dtype());
          if (needs[1]) grads[1] = Tensor::from_vector(sum_gh, param_shape).to(g.dtype());
          if (!needs[0]) return;
          // dL/dxhat = g * gamma. In training mean and var depend on x as well, which subtracts
          // the projections of dL/dxhat on 1 and on xhat:
          //   dx = gamma * inv_std * (g - mean(g) - xhat * mean(g * xhat)).
          std::vector<double> scale(inv_std.size());
          const T* pgamma = gamma_s.defined() ? gamma_s.data<T>() : nullptr;
          for (std::size_t c = 0; c < scale.size(); ++c)
            scale[c] = (pgamma ? static_cast<double>(pgamma[c]) : 1.0) * inv_std[c];
          Tensor dx = Tensor::empty(xhat.shape(), g.dtype());
          T* pdx = dx.data<T>();
          if (training) {
            for_each_channel_row(v, [&](std::int64_t k, std::size_t c) {
              pdx[k] = static_cast<T>(scale[c] * (static_cast<double>(pg[k]) - sum_g[c] / m -
                                                  static_cast<double>(ph[k]) * sum_gh[c] / m));
            });
          } else {
            for_each_channel_row(v, [&](std::int64_t k, std::size_t c) {
              pdx[k] = static_cast<T>(scale[c] * static_cast<double>(pg[k]));
            });
          }
          grads[0] = dx;
        });
        return grads;
      });
}

}  // namespace minidl
