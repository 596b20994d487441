// Linear interpolation as torch.lerp computes it, which Adam's and RMSprop's
// running averages use (exp_avg.lerp_(grad, 1 − β1)).
#pragma once

#include <cmath>

namespace tg::optim {

/// self + weight·(end − self), in PyTorch's two forms (ATen's lerp): the one
/// exact at weight 0 for |weight| < 0.5, the one exact at weight 1 otherwise.
template <class T>
inline T torch_lerp(T self, T end, T weight) {
  return std::abs(weight) < T(0.5) ? self + weight * (end - self) : end - (end - self) * (T(1) - weight);
}

}  // namespace tg::optim
