#include "minidl/core/kernels/strided_copy.h"

#include <algorithm>
#include <cstring>

#include "minidl/core/parallel.h"

namespace minidl::kernels {

void strided_copy(void* dst, const std::vector<std::int64_t>& dst_strides, const void* src,
                  const std::vector<std::int64_t>& src_strides, const std::vector<std::int64_t>& extents,
                  std::size_t elem_size) {
  // Drop unit axes and merge axes that are contiguous in both views.
  std::vector<std::int64_t> ext, ds, ss;
  for (std::size_t i = 0; i < extents.size(); ++i) {
    if (extents[i] == 0) return;
    if (extents[i] == 1) continue;
    if (!ext.empty() && ds.back() == dst_strides[i] * extents[i] && ss.back() == src_strides[i] * extents[i]) {
      ext.back() *= extents[i];
      ds.back() = dst_strides[i];
      ss.back() = src_strides[i];
    } else {
      ext.push_back(extents[i]);
      ds.push_back(dst_strides[i]);
      ss.push_back(src_strides[i]);
    }
  }
  if (ext.empty()) {
    std::memcpy(dst, src, elem_size);
    return;
  }
  const std::size_t nd = ext.size();
  const std::int64_t inner = ext.back();
  const bool contiguous_inner = ds.back() == 1 && ss.back() == 1;
  std::int64_t rows = 1;
  for (std::size_t i = 0; i + 1 < nd; ++i) rows *= ext[i];
  auto* d8 = static_cast<unsigned char*>(dst);
  const auto* s8 = static_cast<const unsigned char*>(src);
  const auto es = static_cast<std::int64_t>(elem_size);
  parallel_for(0, rows, std::max<std::int64_t>(1, (1 << 15) / inner), [&](std::int64_t lo, std::int64_t hi) {
    std::vector<std::int64_t> idx(nd, 0);
    std::int64_t doff = 0, soff = 0, r = lo;
    for (std::size_t d = nd - 1; d-- > 0;) {
      idx[d] = r % ext[d];
      r /= ext[d];
      doff += idx[d] * ds[d];
      soff += idx[d] * ss[d];
    }
    for (std::int64_t row = lo; row < hi; ++row) {
      if (contiguous_inner) {
        std::memcpy(d8 + doff * es, s8 + soff * es, static_cast<std::size_t>(inner * es));
      } else if (es == 4) {
        auto* dp = reinterpret_cast<std::uint32_t*>(d8) + doff;
        const auto* sp = reinterpret_cast<const std::uint32_t*>(s8) + soff;
        for (std::int64_t j = 0; j < inner; ++j) dp[j * ds.back()] = sp[j * ss.back()];
      } else {
        auto* dp = reinterpret_cast<std::uint64_t*>(d8) + doff;
        const auto* sp = reinterpret_cast<const std::uint64_t*>(s8) + soff;
        for (std::int64_t j = 0; j < inner; ++j) dp[j * ds.back()] = sp[j * ss.back()];
      }
      for (std::size_t d = nd - 1; d-- > 0;) {
        doff += ds[d];
        soff += ss[d];
        if (++idx[d] < ext[d]) break;
        doff -= idx[d] * ds[d];
        soff -= idx[d] * ss[d];
        idx[d] = 0;
      }
    }
  });
}

}  // namespace minidl::kernels
