// What the libtorch-side cases share: tensors from plain values, the raw
// SGD update that both sides time, and the checksum that shows both sides
// computed the same step.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace bench::torch_side {

inline torch::Tensor from_floats(const std::vector<float>& v, const std::vector<std::int64_t>& shape) {
  return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32).clone();
}

/// p -= lr · grad on the raw buffers, then the gradient dropped
/// (set_to_none), as the tapegrad side does.
inline void sgd_and_reset(std::vector<torch::Tensor>& params, float lr) {
  torch::NoGradGuard no_grad;
  for (auto& p : params) {
    float* d = p.data_ptr<float>();
    const torch::Tensor g = p.grad();
    const float* gd = g.data_ptr<float>();
    const std::int64_t n = p.numel();
    for (std::int64_t i = 0; i < n; ++i) d[i] -= lr * gd[i];
    p.mutable_grad().reset();
  }
}

/// Σ|p| over every element of every parameter.
inline double abs_sum(const std::vector<torch::Tensor>& params) {
  double s = 0.0;
  for (const auto& p : params) s += p.detach().abs().sum().item<double>();
  return s;
}

}  // namespace bench::torch_side
