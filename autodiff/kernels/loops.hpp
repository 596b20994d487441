// Loops over contiguous buffers seen through strides: the one mechanism behind
// broadcasting, reductions, permutes, slices and padding. Private.
#pragma once

#include <array>
#include <cstdint>

#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/shape.hpp"

namespace tg::kernels {

/// Element strides of one operand over an iteration shape (0 on a broadcast axis).
using Strides = std::array<std::int64_t, kMaxRank>;

/// Row-major strides of a contiguous tensor of `shape`.
Strides contiguous_strides(const Shape& shape);

/// Strides that read a contiguous tensor of shape `in` broadcast to `out`
/// (NumPy rules, right-aligned): 0 on axes where `in` has extent 1 or none.
Strides broadcast_strides(const Shape& in, const Shape& out);

/// Calls `run(offsets, n, steps)` for each innermost run of the iteration over
/// `shape`: operand k's elements are at offsets[k] + j*steps[k], j < n.
/// Axes of extent 1 are skipped and axes that are contiguous in every operand
/// are merged, so the common cases reach `run` as one long run.
template <int N, class Run>
void for_each_run(const Shape& shape, const std::array<Strides, N>& strides, Run&& run) {
  // Nothing to visit; checked before the merging below, which multiplies the
  // other extents and can pass int64 for a zero-size (2^40, 2^40, 0).
  if (shape.numel() == 0) return;
  // Collapse axes.
  std::int64_t extent[kMaxRank];
  std::int64_t step[N][kMaxRank];
  int rank = 0;
  for (int axis = 0; axis < shape.rank(); ++axis) {
    const std::int64_t e = shape[axis];
    if (e == 1) continue;
    bool merge = rank > 0;
    for (int k = 0; k < N && merge; ++k)
      merge = step[k][rank - 1] == strides[k][static_cast<std::size_t>(axis)] * e;
    if (merge) {
      extent[rank - 1] *= e;
      for (int k = 0; k < N; ++k) step[k][rank - 1] = strides[k][static_cast<std::size_t>(axis)];
    } else {
      extent[rank] = e;
      for (int k = 0; k < N; ++k) step[k][rank] = strides[k][static_cast<std::size_t>(axis)];
      ++rank;
    }
  }
  std::array<std::int64_t, N> offsets{};
  std::array<std::int64_t, N> inner{};
  if (rank == 0) {
    for (int k = 0; k < N; ++k) inner[k] = 1;
    run(offsets, std::int64_t{1}, inner);
    return;
  }
  const int last = rank - 1;
  for (int k = 0; k < N; ++k) inner[k] = step[k][last];
  std::int64_t counter[kMaxRank] = {};
  while (true) {
    run(offsets, extent[last], inner);
    int axis = last - 1;
    for (; axis >= 0; --axis) {
      if (++counter[axis] < extent[axis]) {
        for (int k = 0; k < N; ++k) offsets[k] += step[k][axis];
        break;
      }
      for (int k = 0; k < N; ++k) offsets[k] -= step[k][axis] * (extent[axis] - 1);
      counter[axis] = 0;
    }
    if (axis < 0) return;
  }
}

/// Calls f(T{}) with T the C++ type of a float dtype; throws DtypeError for int64.
template <class F>
decltype(auto) dispatch_float(Dtype dtype, const char* op, const Site& site, F&& f) {
  switch (dtype) {
    case Dtype::f32: return f(float{});
    case Dtype::f64: return f(double{});
    default:
      throw DtypeError(std::string(op) + ": expected a float32 or float64 tensor, got " +
                           dtype_name(dtype),
                       site);
  }
}

/// Calls f(T{}) for any dtype.
template <class F>
decltype(auto) dispatch_any(Dtype dtype, F&& f) {
  switch (dtype) {
    case Dtype::f32: return f(float{});
    case Dtype::f64: return f(double{});
    default: return f(std::int64_t{});
  }
}

}  // namespace tg::kernels
