// Helpers for the op table's sample generators (tests/ops/op_table_*.cpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "op_table.hpp"

namespace tg::test {

/// The seed of every sample generator: the samples are the same on every run.
inline constexpr std::uint64_t kSampleSeed = 20261207;

/// Values uniform in [lo, hi) of `dtype`; int64 values are the float values
/// truncated toward zero.
inline Tensor values(const Shape& shape, Dtype dtype, Generator& gen, double lo = -2.0, double hi = 2.0) {
  if (dtype == i64) return to_dtype(uniform(shape, lo, hi, gen, f64), i64);
  return uniform(shape, lo, hi, gen, dtype);
}

/// An int64 tensor of indices.
inline Tensor indices(const std::vector<std::int64_t>& v, const Shape& shape) { return from_vector(v, shape); }

inline Sample sample(std::vector<Tensor> inputs, std::string label, SampleArgs args = {}) {
  return Sample{std::move(inputs), std::move(args), std::move(label), {}};
}

inline const std::vector<Dtype> kFloating = {f32, f64};
inline const std::vector<Dtype> kAllDtypes = {f32, f64, i64};

}  // namespace tg::test
