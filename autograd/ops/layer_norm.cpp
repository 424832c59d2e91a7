#include "minidl/autograd/ops/layer_norm.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <type_traits>
#include <vector>

#include "minidl/autograd/node.h"
#include "minidl/autograd/ops/norm_param.h"
#include "minidl/autograd/ops/shape.h"
#include "minidl/core/error.h"
#include "minidl/core/kernels/fused_multiply_add.h"
#include "minidl/core/kernels/lane_sum.h"
#include "minidl/core/parallel.h"

namespace minidl {

namespace {

using kernels::lane_sum;

// Row statistics of the forward pass, kept for the backward.
struct RowStats {
  std::vector<double> mean, inv_std;  // inv_std = 1 / sqrt(var + epsilon)
};

// The rows are split in a fixed number of blocks (not one per thread) so that the per-block
// partial sums of dgamma and dbeta, added in block order, do not depend on the thread count.
constexpr std::int64_t kBlocks = 32;

template <class T>
std::vector<double> as_doubles(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<double>(p, p + t.numel());
}

// Rows [r0, r1) of x viewed as (rows, n), into y, their statistics into stats. Instantiated per
// gamma / beta presence so that the output loop carries no per-element test of either.
template <class T, bool kGamma, bool kBeta>
void normalize_rows(const T* px, const double* gd, const double* bd, T* py, std::int64_t r0, std::int64_t r1,
                    std::int64_t n, double epsilon, bool rms, RowStats& stats) {
  for (std::int64_t r = r0; r < r1; ++r) {
    const T* xr = px + r * n;
    T* yr = py + r * n;
    const double mean =
        lane_sum(n, [xr](std::int64_t i) { return static_cast<double>(xr[i]); }) / static_cast<double>(n);
    // Two passes: the centred sum of squares does not cancel catastrophically.
    const double ss = lane_sum(n, [xr, mean](std::int64_t i) {
      const double d = static_cast<double>(xr[i]) - mean;
      return d * d;
    });
    const double inv = 1.0 / std::sqrt(ss / static_cast<double>(n) + epsilon);
    stats.mean[static_cast<std::size_t>(r)] = mean;
    stats.inv_std[static_cast<std::size_t>(r)] = inv;
    const double shift = rms ? 0.0 : mean;
    for (std::int64_t i = 0; i < n; ++i) {
      double v = (static_cast<double>(xr[i]) - shift) * inv;
      if constexpr (kGamma && kBeta) {
        v = kernels::fused_multiply_add(v, gd[i], bd[i]);
      } else {
        if constexpr (kGamma) v *= gd[i];
        if constexpr (kBeta) v += bd[i];
      }
      yr[i] = static_cast<T>(v);
    }
  }
}

// Normalizes the rows of x viewed as (rows, n): the normalized axes are the trailing ones.
// gamma and beta have param_shape, whose extents multiply to n.
Tensor layer_norm_rows(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Shape& param_shape,
                       double epsilon, bool rms) {
  const std::int64_t n = param_shape.numel();
  const std::int64_t rows = n > 0 ? x.numel() / n : 0;
  auto stats = std::make_shared<RowStats>();
  stats->mean.resize(static_cast<std::size_t>(rows));
  stats->inv_std.resize(static_cast<std::size_t>(rows));
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* py = y.data<T>();
    // gamma and beta in double once per call, not converted again for every row.
    const std::vector<double> gd = gamma.defined() ? as_doubles<T>(gamma) : std::vector<double>();
    const std::vector<double> bd = beta.defined() ? as_doubles<T>(beta) : std::vector<double>();
    auto rows_with = [&](auto has_gamma, auto has_beta) {
      parallel_for(0, rows, std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(n, 1)),
                   [&](std::int64_t r0, std::int64_t r1) {
                     normalize_rows<T, decltype(has_gamma)::value, decltype(has_beta)::value>(
                         px, gd.data(), bd.data(), py, r0, r1, n, epsilon, rms, *stats);
                   });
    };
    using yes = std::true_type;
    using no = std::false_type;
    if (gamma.defined() && beta.defined()) rows_with(yes{}, yes{});
    else if (gamma.defined()) rows_with(yes{}, no{});
    else if (beta.defined()) rows_with(no{}, yes{});
    else rows_with(no{}, no{});
  });

  return autograd::record(
      "layer_norm", {x, gamma, beta}, y,
      [xs = autograd::saved(x), gs = autograd::saved(gamma), stats, param_shape, n, rows, rms](
          const Tensor& g, const autograd::GradMask& needs) {
        std::vector<Tensor> grads(3);
        const bool want_params = needs[1] || needs[2];
        const std::int64_t blocks = std::min(rows, kBlocks);
        // Per block: sum over its rows of g * z (for dgamma) and of g (for dbeta).
        std::vector<std::vector<double>> dgamma(static_cast<std::size_t>(want_params ? blocks : 0)),
            dbeta(dgamma.size());
        Tensor dx = needs[0] ? Tensor::empty(xs.shape(), g.dtype()) : Tensor();
        dispatch(g.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* pg = g.data<T>();
          const T* px = xs.data<T>();
          const T* pgamma = gs.defined() ? gs.data<T>() : nullptr;
          T* pdx = dx.defined() ? dx.data<T>() : nullptr;
          parallel_for(0, blocks, 1, [&](std::int64_t b0, std::int64_t b1) {
            std::vector<double> a(static_cast<std::size_t>(n));
            for (std::int64_t b = b0; b < b1; ++b) {
              if (want_params) {
                dgamma[static_cast<std::size_t>(b)].assign(static_cast<std::size_t>(n), 0.0);
                dbeta[static_cast<std::size_t>(b)].assign(static_cast<std::size_t>(n), 0.0);
              }
              for (std::int64_t r = rows * b / blocks; r < rows * (b + 1) / blocks; ++r) {
                const T* gr = pg + r * n;
                const T* xr = px + r * n;
                const double mean = stats->mean[static_cast<std::size_t>(r)];
                const double inv = stats->inv_std[static_cast<std::size_t>(r)];
                const double shift = rms ? 0.0 : mean;  // z = (x - shift) * inv is what gamma scales
                double* dgr = want_params ? dgamma[static_cast<std::size_t>(b)].data() : nullptr;
                double* dbr = want_params ? dbeta[static_cast<std::size_t>(b)].data() : nullptr;
                auto add_param_terms = [dgr, dbr, xr, shift, inv](std::int64_t i, double gi) {
                  if (!dgr) return;
                  dgr[i] += gi * (static_cast<double>(xr[i]) - shift) * inv;
                  dbr[i] += gi;
                };
                if (!pdx) {
                  for (std::int64_t i = 0; i < n; ++i) add_param_terms(i, static_cast<double>(gr[i]));
                  continue;
                }
                // a = dL/dz. With xhat = (x - mean) * inv, dvar/dx = 2 (x - mean) / n and, without
                // rms scaling, dmean/dx = 1 / n:
                //   dx = inv * (a - mean(a) - xhat * mean(a * xhat))    (layer norm)
                //   dx = inv * (a - xhat * mean(a * z)), z = x * inv      (rms scaling)
                // a, its sums and dgamma's and dbeta's terms in one pass over the row.
                double* pa = a.data();
                double sum_a = 0.0, sum_az = 0.0;
                kernels::lane_sum2(
                    n,
                    [&](std::int64_t i) {
                      const double gi = static_cast<double>(gr[i]);
                      add_param_terms(i, gi);
                      pa[i] = gi * (pgamma ? static_cast<double>(pgamma[i]) : 1.0);
                      return pa[i];
                    },
                    [&](std::int64_t i) { return pa[i] * (static_cast<double>(xr[i]) - shift) * inv; }, sum_a, sum_az);
                const double dn = static_cast<double>(n);
                const double mean_a = rms ? 0.0 : sum_a / dn, mean_az = sum_az / dn;
                T* dxr = pdx + r * n;
                for (std::int64_t i = 0; i < n; ++i) {
                  const double xhat = (static_cast<double>(xr[i]) - mean) * inv;
                  dxr[i] = static_cast<T>(inv * (a[static_cast<std::size_t>(i)] - mean_a - xhat * mean_az));
                }
              }
            }
          });
        });
        if (needs[0]) grads[0] = dx;
        auto total = [&](const std::vector<std::vector<double>>& partial) {
          std::vector<double> sum(static_cast<std::size_t>(n), 0.0);
          for (const auto& p : partial)
            for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += p[i];
          return Tensor::from_vector(sum, param_shape).to(g.dtype());
        };
        if (needs[1]) grads[1] = total(dgamma);
        if (needs[2]) grads[2] = total(dbeta);
        return grads;
      });
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const std::vector<std::int64_t>& axes,
                  double epsilon, bool rms_scaling) {
  if (!x.defined() || x.ndim() < 1)
    throw_invalid_argument("layer_norm: x must have at least one axis, received shape {}",
                           x.defined() ? x.shape().str() : std::string("(undefined)"));
  if (axes.empty()) throw_invalid_argument("layer_norm: axes must name at least one axis, received axes=[]");
  std::vector<std::int64_t> param_dims;
  for (auto a : axes) param_dims.push_back(x.shape()[normalize_axis(a, x.ndim(), "layer_norm axis")]);
  const std::vector<std::int64_t> sorted = normalize_axes(axes, x.ndim(), "layer_norm axes");
  const Shape param_shape(param_dims);
  auto fits = [&] { return fmt::format("the extents of axes [{}] of x of shape {}", fmt::join(axes, ", "), x.shape()); };
  check_norm_param("layer_norm", "gamma", gamma, x, param_shape, fits);
  check_norm_param("layer_norm", "beta", beta, x, param_shape, fits);
  if (rms_scaling && beta.defined())
    throw_invalid_argument("layer_norm: rms_scaling takes no beta (Keras ignores center), received beta of shape {}",
                           beta.shape());
  if (!(epsilon >= 0.0)) throw_invalid_argument("layer_norm: epsilon must be >= 0, received epsilon={}", epsilon);

  const auto k = static_cast<std::int64_t>(sorted.size());
  bool trailing = true;
  for (std::int64_t i = 0; i < k; ++i) trailing = trailing && sorted[static_cast<std::size_t>(i)] == x.ndim() - k + i;
  if (trailing) return layer_norm_rows(x, gamma, beta, param_shape, epsilon, rms_scaling);

  // Other axes: move the normalized ones to the end (in increasing order), normalize the rows, and
  // move them back. permute is differentiable, so the tape carries the gradient through both moves.
  std::vector<std::int64_t> order;
  for (std::int64_t i = 0; i < x.ndim(); ++i)
    if (!std::binary_search(sorted.begin(), sorted.end(), i)) order.push_back(i);
  order.insert(order.end(), sorted.begin(), sorted.end());
  std::vector<std::int64_t> inverse(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) inverse[static_cast<std::size_t>(order[i])] = static_cast<std::int64_t>(i);
  return permute(layer_norm_rows(permute(x, order), gamma, beta, param_shape, epsilon, rms_scaling), inverse);
}

}  // namespace minidl
