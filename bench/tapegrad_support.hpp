// What the tapegrad-side cases share: the raw SGD update that both sides
// time, and the checksum that shows both sides computed the same step.
#pragma once

#include <cmath>
#include <vector>

#include <tapegrad/tapegrad.hpp>

namespace bench::tapegrad_side {

/// p -= lr · grad on the raw buffers, then the gradient dropped.
inline void sgd_and_reset(std::vector<tg::Tensor>& params, float lr) {
  tg::NoGrad no_grad;
  for (tg::Tensor& p : params) {
    float* d = p.mutable_data<float>();
    const tg::Tensor g = p.grad();
    const float* gd = g.data<float>();
    const std::int64_t n = p.numel();
    for (std::int64_t i = 0; i < n; ++i) d[i] -= lr * gd[i];
    p.zero_grad();
  }
}

/// Σ|p| over every element of every parameter.
inline double abs_sum(const std::vector<tg::Tensor>& params) {
  double s = 0.0;
  for (const tg::Tensor& p : params) {
    for (float v : p.to_vector<float>()) s += std::fabs(v);
  }
  return s;
}

}  // namespace bench::tapegrad_side
