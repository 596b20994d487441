// Reference products for the matmul and addmm suites: the triple loop in
// float64, with NumPy batch broadcasting.
#pragma once

#include <cstdint>
#include <vector>

#include <tapegrad/tapegrad.hpp>

namespace tg::test {

// Row-major offset of multi-index `pos` in `shape`, reading a broadcast axis
// (extent 1) at 0; `pos` is right-aligned against `shape`.
inline std::int64_t broadcast_offset(const std::vector<std::int64_t>& pos, const Shape& shape) {
  std::int64_t off = 0;
  const int shift = static_cast<int>(pos.size()) - shape.rank();
  for (int a = 0; a < shape.rank(); ++a) {
    off = off * shape[a] + (shape[a] == 1 ? 0 : pos[static_cast<std::size_t>(a + shift)]);
  }
  return off;
}

// op(a) @ op(b) by the triple loop, with NumPy batch broadcasting; rank >= 2.
inline std::vector<double> naive_matmul(const Tensor& a, const Tensor& b, bool ta = false, bool tb = false) {
  const std::vector<double> va = a.to_vector<double>(), vb = b.to_vector<double>();
  const std::int64_t ra = a.size(-2), ca = a.size(-1), rb = b.size(-2), cb = b.size(-1);
  const std::int64_t m = ta ? ca : ra, k = ta ? ra : ca, n = tb ? rb : cb;
  Shape batch_a, batch_b;
  for (int i = 0; i + 2 < a.rank(); ++i) batch_a.push_back(a.shape()[i]);
  for (int i = 0; i + 2 < b.rank(); ++i) batch_b.push_back(b.shape()[i]);
  const Shape batch = broadcast_shapes(batch_a, batch_b, "naive");
  std::vector<double> out;
  std::vector<std::int64_t> pos(static_cast<std::size_t>(batch.rank()), 0);
  for (std::int64_t flat = 0; flat < batch.numel(); ++flat) {
    std::int64_t rest = flat;
    for (int d = batch.rank() - 1; d >= 0; --d) {
      pos[static_cast<std::size_t>(d)] = rest % batch[d];
      rest /= batch[d];
    }
    const double* pa = va.data() + broadcast_offset(pos, batch_a) * ra * ca;
    const double* pb = vb.data() + broadcast_offset(pos, batch_b) * rb * cb;
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        double s = 0.0;
        for (std::int64_t p = 0; p < k; ++p)
          s += (ta ? pa[p * ca + i] : pa[i * ca + p]) * (tb ? pb[j * cb + p] : pb[p * cb + j]);
        out.push_back(s);
      }
  }
  return out;
}

// c + op(a)·op(b) by the triple loop, c broadcast to the (m, n) product.
inline std::vector<double> naive_addmm(const Tensor& c, const Tensor& a, const Tensor& b, bool ta, bool tb) {
  std::vector<double> out = naive_matmul(a, b, ta, tb);
  const std::int64_t m = ta ? a.size(1) : a.size(0), n = tb ? b.size(0) : b.size(1);
  const std::vector<double> vc = c.to_vector<double>();
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) out[static_cast<std::size_t>(i * n + j)] += vc[static_cast<std::size_t>(broadcast_offset({i, j}, c.shape()))];
  return out;
}

// The tolerance of every float64 comparison with the triple loop, in both
// dtypes' slots of check_values: sums of k products of random normals.
constexpr double kEps = 1e-12;

}  // namespace tg::test
