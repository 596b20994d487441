// Stochastic gradient descent with momentum, dampening, Nesterov momentum and
// weight decay: the algorithm of torch.optim.SGD.
#pragma once

#include <optional>
#include <vector>

#include "optimizer.hpp"

namespace tg::optim {

/// Options of SGD, in PyTorch's order and with its defaults.
struct SGDOptions {
  double lr = 1e-3;            // >= 0
  double momentum = 0.0;       // >= 0
  double dampening = 0.0;      // finite
  double weight_decay = 0.0;   // >= 0: L2 penalty, added to the gradient
  bool nesterov = false;       // needs momentum > 0 and dampening 0
};

/// A parameter group of SGD: its parameters and the options it overrides.
struct SGDGroup {
  std::vector<Tensor> params;
  std::optional<double> lr = std::nullopt;
  std::optional<double> momentum = std::nullopt;
  std::optional<double> dampening = std::nullopt;
  std::optional<double> weight_decay = std::nullopt;
  std::optional<bool> nesterov = std::nullopt;
};

/// SGD as torch.optim.SGD (https://pytorch.org/docs/stable/generated/torch.optim.SGD.html),
/// for each parameter θ with gradient g at step t:
///
///     g ← g + λ·θ                                   (weight_decay λ ≠ 0)
///     b ← g at t = 1, else b ← μ·b + (1 − τ)·g      (momentum μ ≠ 0, dampening τ)
///     g ← g + μ·b (nesterov), else g ← b            (momentum μ ≠ 0)
///     θ ← θ − γ·g                                   (lr γ)
///
/// Nesterov momentum as in Sutskever et al., 2013, in PyTorch's form. State:
/// "momentum_buffer" when μ ≠ 0.
class SGD final : public Optimizer {
 public:
  explicit SGD(std::vector<Tensor> params, const SGDOptions& options = {});
  explicit SGD(std::vector<SGDGroup> groups, const SGDOptions& defaults = {});

  void step() override;
  /// Adds a group; options it leaves out come from the constructor's.
  void add_param_group(SGDGroup group);
  /// The options of a group (lr: its current rate).
  SGDOptions options(std::size_t group = 0) const;

 private:
  void add(SGDGroup group, bool explicit_groups);
  SGDOptions defaults_;
  std::vector<SGDOptions> options_;
};

}  // namespace tg::optim
