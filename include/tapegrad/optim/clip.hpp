// Gradient clipping, by global norm and by value: torch.nn.utils'
// clip_grad_norm_ and clip_grad_value_. Both change the gradients in place
// and allocate nothing; parameters without a gradient are skipped.
#pragma once

#include <vector>

#include "../autodiff/tensor.hpp"

namespace tg::optim {

/// Clips the gradients of `params` by their global norm, the norm of all
/// their elements taken together:
///
///     n = (Σ |g|^p)^(1/p)   (p = norm_type > 0; p = ∞: n = max |g|)
///     g ← g · max_norm / (n + 1e-6)   when n > max_norm
///
/// so that afterwards n ≈ max_norm and every gradient keeps its direction
/// (Pascanu et al., 2013). Returns n as it was BEFORE clipping (0 when no
/// parameter has a gradient), worth logging. When n is not finite (a NaN or
/// an infinity in some gradient), the gradients are left as they are and n is
/// returned, or, with `error_if_nonfinite`, std::runtime_error is thrown
/// naming the first parameter whose gradient is not finite. max_norm >= 0.
/// Sums run in float64 for float32 gradients too.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                      bool error_if_nonfinite = false);

/// Clamps every gradient element into [−clip, clip] (clip >= 0); a NaN stays
/// NaN.
void clip_grad_value(const std::vector<Tensor>& params, double clip);

}  // namespace tg::optim
