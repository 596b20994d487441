// Gradients as values: grad(), and on top of it the Jacobian, the Hessian and
// Hessian-vector products that libtorch's C++ API lacks.
//
// tests/reliability/test_bad_input.cpp reads the ops of this header from the
// declarations at column 0 (return type and name on the first line; see
// tests/reliability/public_api.hpp) and requires a bad-input case for each.
#pragma once

#include <functional>
#include <vector>

#include "tensor.hpp"

namespace tg {

struct GradOptions {
  /// Keep the records for another backward. Defaults to create_graph.
  bool retain_graph = false;
  /// Record the backward pass, so the returned gradients can be
  /// differentiated again.
  bool create_graph = false;
  /// An input the outputs do not depend on gets zeros instead of an error.
  bool allow_unused = false;
};

/// d(Σ seeds·outputs)/d inputs, returned without touching any `.grad()`.
/// Scalar outputs are seeded with 1; `seeds` gives the seed of each output
/// otherwise (same shapes). Inputs may be leaves or intermediate tensors.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& seeds = {}, GradOptions options = {});
/// Single output, single input.
Tensor grad(const Tensor& output, const Tensor& input, GradOptions options = {});

using TensorFn = std::function<Tensor(const Tensor&)>;

/// ∂f(x)/∂x as a tensor of shape f(x).shape + x.shape (one backward per
/// output element: meant for small functions).
Tensor jacobian(const TensorFn& f, const Tensor& x);
/// ∂²f/∂x² for a scalar f, of shape x.shape + x.shape.
Tensor hessian(const TensorFn& f, const Tensor& x);
/// H·v for a scalar f without forming H: the gradient of (∇f · v), shape x.shape.
Tensor hvp(const TensorFn& f, const Tensor& x, const Tensor& v);

}  // namespace tg
