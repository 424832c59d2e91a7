#include "minidl/autograd/ops/batch_norm.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "minidl/autograd/grad_mode.h"
#include "minidl/autograd/node.h"
#include "minidl/autograd/ops/norm_param.h"
#include "minidl/core/error.h"
#include "minidl/core/kernels/fused_multiply_add.h"
#include "minidl/core/kernels/lane_sum.h"
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

// Per-channel sums of f(element index, its channel) in double. Threads take contiguous blocks of `outer` and
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
                       for (std::size_t c = 0; c < C; ++c) s[c] += f(base + static_cast<std::int64_t>(c), c);
                       continue;
                     }
                     for (std::size_t c = 0; c < C; ++c) {  // channels first: a row per channel, in lanes
                       const std::int64_t row = base + static_cast<std::int64_t>(c) * v.inner;
                       s[c] += kernels::lane_sum(v.inner, [&](std::int64_t i) { return f(row + i, c); });
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

// Calls f with the per-element weight of Keras's masked moments: 1 everywhere without a mask, else
// 1 where mask (x's shape minus the last axis, broadcast over it) is nonzero. Two functors rather
// than one with a branch keep the unmasked loops as they were.
template <class T, class F>
void with_weights(const Tensor& mask, std::int64_t last, F f) {
  if (!mask.defined()) return f([](std::int64_t) { return 1.0; });
  const T* pw = mask.data<T>();
  f([pw, last](std::int64_t k) { return pw[k / last] != T(0) ? 1.0 : 0.0; });
}

void check_mask(const Tensor& mask, const Tensor& x) {
  if (!mask.defined()) return;
  std::vector<std::int64_t> expected = x.shape().dims();
  expected.pop_back();
  if (x.ndim() < 2 || mask.shape() != Shape(expected))
    throw_invalid_argument(
        "batch_norm: mask must have x's shape without its last axis, {}, received mask of shape {} for x of shape {}",
        x.ndim() < 2 ? std::string("(x needs at least two axes)") : Shape(expected).str(), mask.shape(), x.shape());
  if (mask.dtype() != x.dtype())
    throw_invalid_argument("batch_norm: mask must have x's dtype {}, received {}", x.dtype(), mask.dtype());
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& moving_mean, Tensor& moving_var,
                  std::int64_t axis_in, double momentum, double epsilon, bool training, const Tensor& mask_in) {
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
  check_mask(mask_in, x);
  if (!(epsilon >= 0.0))
    throw_invalid_argument("batch_norm: epsilon must be >= 0, received epsilon={}", epsilon);
  if (training && v.count() == 0)
    throw_invalid_argument("batch_norm: training needs at least one element per channel, received x of shape {}",
                           x.shape());

  const auto C = static_cast<std::size_t>(v.channels);
  // The mask only shapes the batch statistics; at inference it changes nothing.
  const Tensor mask = training ? mask_in : Tensor();
  const std::int64_t last = x.shape().dims().back();
  // denom: what the sums are divided by (the count, or Keras's sum(w) + 1e-7 with a mask).
  // tail: sum(w * (x - mean)) / denom = mean * (denom - sum(w)) / denom, 0 without a mask; the
  // variance depends on the mean through it.
  std::vector<double> mean(C), inv_std(C), denom(C, static_cast<double>(v.count())), tail(C, 0.0);
  // (x - mean) / sqrt(var + eps), kept for backward; not made when nothing will need a gradient.
  const bool keep_xhat = grad_enabled() && (x.requires_grad() || (gamma.defined() && gamma.requires_grad()));
  Tensor xhat = keep_xhat ? Tensor::empty(x.shape(), x.dtype()) : Tensor();
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* mm = moving_mean.data<T>();
    T* mv = moving_var.data<T>();
    std::vector<double> var(C);
    if (training) {
      with_weights<T>(mask, last, [&](auto w) {
        if (mask.defined()) {
          const std::vector<double> sum_w = channel_sums(v, [w](std::int64_t k, std::size_t) { return w(k); });
          for (std::size_t c = 0; c < C; ++c) denom[c] = sum_w[c] + 1e-7;  // Keras's backend.epsilon()
          mean = channel_sums(v, [px, w](std::int64_t k, std::size_t) { return w(k) * static_cast<double>(px[k]); });
          for (std::size_t c = 0; c < C; ++c) {
            mean[c] /= denom[c];
            tail[c] = mean[c] * (denom[c] - sum_w[c]) / denom[c];
          }
        } else {
          mean = channel_sums(v, [px](std::int64_t k, std::size_t) { return static_cast<double>(px[k]); });
          for (std::size_t c = 0; c < C; ++c) mean[c] /= denom[c];
        }
        // Two passes: the centred sum of squares does not cancel catastrophically.
        var = channel_sums(v, [px, w, &mean](std::int64_t k, std::size_t c) {
          const double d = static_cast<double>(px[k]) - mean[c];
          return w(k) * d * d;
        });
      });
      for (std::size_t c = 0; c < C; ++c) {
        var[c] /= denom[c];
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
    // y as Keras's ops.batch_normalization computes it, in x's dtype: inv = rsqrt(var + eps) * gamma,
    // y = x * inv + (beta - mean * inv): one multiply-add per element.
    std::vector<T> scale(C), shift(C);
    for (std::size_t c = 0; c < C; ++c) {
      const T inv = T(1) / std::sqrt(static_cast<T>(var[c]) + static_cast<T>(epsilon));
      scale[c] = pg ? inv * pg[c] : inv;
      shift[c] = -static_cast<T>(mean[c]) * scale[c] + (pb ? pb[c] : T(0));
    }
    T* py = y.data<T>();
    for_each_channel_row(v, [&](std::int64_t k, std::size_t c) { py[k] = kernels::fused_multiply_add(px[k], scale[c], shift[c]); });
    if (keep_xhat) {
      T* ph = xhat.data<T>();
      for_each_channel_row(v, [&](std::int64_t k, std::size_t c) {
        ph[k] = static_cast<T>((static_cast<double>(px[k]) - mean[c]) * inv_std[c]);
      });
    }
  });

  return autograd::record(
      "batch_norm", {x, gamma, beta}, y,
      [xhat = autograd::saved(xhat), gamma_s = autograd::saved(gamma), mask = autograd::saved(mask), inv_std, denom,
       tail, v, last, training](const Tensor& g, const autograd::GradMask& needs) {
        std::vector<Tensor> grads(3);
        dispatch(g.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* pg = g.data<T>();
          const T* ph = xhat.defined() ? xhat.data<T>() : nullptr;
          const std::vector<double> sum_g =
              channel_sums(v, [pg](std::int64_t k, std::size_t) { return static_cast<double>(pg[k]); });
          // xhat was not kept when neither x nor gamma wanted a gradient: then only beta's is asked for.
          const std::vector<double> sum_gh =
              ph ? channel_sums(v, [pg, ph](std::int64_t k, std::size_t) {
                     return static_cast<double>(pg[k]) * static_cast<double>(ph[k]);
                   })
                 : std::vector<double>(inv_std.size(), 0.0);
          const Shape param_shape{v.channels};
          if (needs[2]) grads[2] = Tensor::from_vector(sum_g, param_shape).to(g.dtype());
          if (needs[1]) grads[1] = Tensor::from_vector(sum_gh, param_shape).to(g.dtype());
          if (!needs[0]) return;
          std::vector<double> scale(inv_std.size());
          const T* pgamma = gamma_s.defined() ? gamma_s.data<T>() : nullptr;
          for (std::size_t c = 0; c < scale.size(); ++c)
            scale[c] = (pgamma ? static_cast<double>(pgamma[c]) : 1.0) * inv_std[c];
          Tensor dx = Tensor::empty(xhat.shape(), g.dtype());
          T* pdx = dx.data<T>();
          if (!training) {
            for_each_channel_row(v, [&](std::int64_t k, std::size_t c) {
              pdx[k] = static_cast<T>(scale[c] * static_cast<double>(pg[k]));
            });
            grads[0] = dx;
            return;
          }
          // dL/dxhat = g * gamma; every position is normalised with the batch statistics, which
          // depend on the weighted positions (w = 1 without a mask) through mean and var:
          //   dx = gamma * inv_std * (g - w * (sum(g) - inv_std * sum(g * xhat) * tail) / denom
          //                             - w * xhat * sum(g * xhat) / denom).
          // Without a mask (tail 0, denom the count) it is the familiar
          //   gamma * inv_std * (g - mean(g) - xhat * mean(g * xhat)).
          std::vector<double> a(scale.size()), b(scale.size());
          for (std::size_t c = 0; c < scale.size(); ++c) {
            a[c] = (sum_g[c] - inv_std[c] * sum_gh[c] * tail[c]) / denom[c];
            b[c] = sum_gh[c] / denom[c];
          }
          with_weights<T>(mask, last, [&](auto w) {
            for_each_channel_row(v, [&](std::int64_t k, std::size_t c) {
              const double wk = w(k);
              pdx[k] = static_cast<T>(scale[c] * (static_cast<double>(pg[k]) - wk * (a[c] + static_cast<double>(ph[k]) * b[c])));
            });
          });
          grads[0] = dx;
        });
        return grads;
      });
}

}  // namespace minidl
