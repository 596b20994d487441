// What the distributed suites share: rank 0's values on every rank, a
// model's values flattened, and the batch of 64 both sides of a comparison
// train on.
#pragma once

#include <mpi.h>

#include <vector>

#include "../support.hpp"
#include <tapegrad/nn/parallel/distributed.hpp>

namespace tg::test {

namespace parallel = tg::nn::parallel;

/// Rank 0's `values` (the same length on every rank).
inline std::vector<double> rank0_values(std::vector<double> values) {
  MPI_Bcast(values.data(), static_cast<int>(values.size()), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  return values;
}

/// Every parameter's values, then every buffer's, in one vector.
inline std::vector<double> model_values(const nn::Module& model) {
  std::vector<double> all;
  for (const Tensor& p : model.parameters()) {
    const std::vector<double> v = p.to_vector<double>();
    all.insert(all.end(), v.begin(), v.end());
  }
  for (const Tensor& b : model.buffers()) {
    const std::vector<double> v = b.to_vector<double>();
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

/// The largest |a − b| / max(1, |b|) over the elements.
inline double max_relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]) / std::max(1.0, std::abs(b[i])));
  return worst;
}

/// A batch of 64 examples of 6 features in 3 classes, the same on every rank.
struct Batch64 {
  Tensor x, y;
};
inline Batch64 batch64() {
  Generator gen(2024);
  std::vector<std::int64_t> labels;
  for (std::int64_t i = 0; i < 64; ++i) labels.push_back((i * 7) % 3);
  return {randn({64, 6}, gen), from_vector(labels, {64})};
}

}  // namespace tg::test
