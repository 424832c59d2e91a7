#pragma once
// Building blocks for elementwise ops: a forward map and its backward as fused loops, with NumPy
// broadcasting. Op files and users writing their own ops use these.
#include <array>
#include <string>
#include <utility>

#include "minidl/autograd/node.h"
#include "minidl/core/error.h"
#include "minidl/core/kernels/broadcast.h"

namespace minidl::autograd {

// Sums `g` over the axes that broadcasting expanded, giving a tensor of `shape`.
Tensor sum_to(const Tensor& g, const Shape& shape);

// out = f(in_0, ..., in_{N-1}) elementwise over the broadcast shape; f is a generic lambda that
// works for float and double. No autograd.
template <std::size_t N, class F>
Tensor map_tensors(std::string_view op, const std::array<Tensor, N>& in, F f) {
  Shape shape = in[0].shape();
  for (std::size_t k = 1; k < N; ++k) {
    check_same_dtype(in[0], in[k], op);
    shape = broadcast_shapes(shape, in[k].shape(), op);
  }
  Tensor out = Tensor::empty(shape, in[0].dtype());
  dispatch(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    std::array<const T*, N> ptrs;
    std::array<const Shape*, N> shapes;
    for (std::size_t k = 0; k < N; ++k) {
      ptrs[k] = in[k].template data<T>();
      shapes[k] = &in[k].shape();
    }
    kernels::map_broadcast<T, N>(out.data<T>(), out.shape(), ptrs, shapes, f);
  });
  return out;
}

// y = f(x); backward: dx = g * df(x, y). Both f and df are generic lambdas.
template <class F, class DF>
Tensor unary_pointwise(std::string name, const Tensor& x, F f, DF df) {
  Tensor y = map_tensors<1>(name, {x}, f);
  return record(std::move(name), {x}, y,
                [xs = saved(x), ys = saved(y), df](const Tensor& g, const GradMask&) -> std::vector<Tensor> {
                  return {map_tensors<3>("backward", {g, xs, ys},
                                         [df](auto gv, auto xv, auto yv) { return gv * df(xv, yv); })};
                });
}

// y = f(a, b) with broadcasting; backward: da = sum_to(g * dfa(a, b, y)), db likewise.
template <class F, class DA, class DB>
Tensor binary_pointwise(std::string name, const Tensor& a, const Tensor& b, F f, DA dfa, DB dfb) {
  Tensor y = map_tensors<2>(name, {a, b}, f);
  return record(std::move(name), {a, b}, y,
                [as = saved(a), bs = saved(b), ys = saved(y), dfa, dfb](const Tensor& g,
                                                                        const GradMask& needs) -> std::vector<Tensor> {
                  std::vector<Tensor> grads(2);
                  if (needs[0])
                    grads[0] = sum_to(map_tensors<4>("backward", {g, as, bs, ys},
                                                     [dfa](auto gv, auto av, auto bv, auto yv) {
                                                       return gv * dfa(av, bv, yv);
                                                     }),
                                      as.shape());
                  if (needs[1])
                    grads[1] = sum_to(map_tensors<4>("backward", {g, as, bs, ys},
                                                     [dfb](auto gv, auto av, auto bv, auto yv) {
                                                       return gv * dfb(av, bv, yv);
                                                     }),
                                      bs.shape());
                  return grads;
                });
}

}  // namespace minidl::autograd
