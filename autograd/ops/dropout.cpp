#include "minidl/autograd/ops/dropout.h"

#include <cstdint>

#include "minidl/core/parallel.h"

#include <vector>

#include "minidl/autograd/pointwise.h"
#include "minidl/core/error.h"

namespace minidl {

namespace {

// Resolves -1 extents to x's and checks that the mask broadcasts onto x.
Shape resolve_noise_shape(const Tensor& x, const std::optional<Shape>& noise_shape) {
  if (!noise_shape) return x.shape();
  if (noise_shape->ndim() != x.ndim())
    throw_invalid_argument("dropout: noise_shape must have x's rank {}, received noise_shape={} for x of shape {}",
                           x.ndim(), *noise_shape, x.shape());
  std::vector<std::int64_t> dims = noise_shape->dims();
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const std::int64_t have = x.shape().dims()[i];
    if (dims[i] == -1) dims[i] = have;
    if (dims[i] != 1 && dims[i] != have)
      throw_invalid_argument(
          "dropout: each noise_shape extent must be 1, -1 or x's extent, received noise_shape={} for x of shape {}",
          *noise_shape, x.shape());
  }
  return Shape(std::move(dims));
}

}  // namespace

Tensor dropout(const Tensor& x, double rate, Generator& gen, bool training, const std::optional<Shape>& noise_shape) {
  if (!(rate >= 0.0 && rate < 1.0))
    throw_invalid_argument("dropout: rate must be in [0, 1), received rate={}", rate);
  const Shape mask_shape = resolve_noise_shape(x, noise_shape);
  if (!training || rate == 0.0) return x;

  // The mask holds 0 or 1 / (1 - rate): one multiply applies both the drop and the rescale.
  Tensor mask = Tensor::empty(mask_shape, x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T keep_scale = static_cast<T>(1.0 / (1.0 - rate));
    T* pm = mask.data<T>();
    // One draw from `gen` keys a counter-based hash (splitmix64 of key + i): the mask depends only on
    // the generator's state, not on the thread count, and threads fill it in parallel. Each 64-bit
    // hash decides two elements with 32 bits each.
    const std::uint64_t key = gen.next_u64();
    const auto threshold = static_cast<std::uint64_t>(rate * 4294967296.0);
    const std::int64_t n = mask.numel();
    parallel_for(0, (n + 1) / 2, 1 << 14, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t p = lo; p < hi; ++p) {
        std::uint64_t z = key + static_cast<std::uint64_t>(p) * 0x9E3779B97F4A7C15ULL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        pm[2 * p] = (z & 0xFFFFFFFFULL) >= threshold ? keep_scale : T(0);
        if (2 * p + 1 < n) pm[2 * p + 1] = (z >> 32) >= threshold ? keep_scale : T(0);
      }
    });
  });
  auto times = [](auto a, auto b) { return a * b; };
  Tensor y = autograd::map_tensors<2>("dropout", {x, mask}, times);
  return autograd::record("dropout", {x}, y, [mask = autograd::saved(mask), times](const Tensor& g,
                                                                                  const autograd::GradMask&) {
    return std::vector<Tensor>{autograd::map_tensors<2>("dropout backward", {g, mask}, times)};
  });
}

}  // namespace minidl
