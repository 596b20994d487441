// RMSprop (Hinton, Lecture 6e of "Neural Networks for Machine Learning",
// 2012), centered as in Graves, 2013: the algorithm of torch.optim.RMSprop.
#pragma once

#include <optional>
#include <vector>

#include "optimizer.hpp"

namespace tg::optim {

/// Options of RMSprop, in PyTorch's order and with its defaults.
struct RMSpropOptions {
  double lr = 1e-2;           // >= 0
  double alpha = 0.99;        // smoothing constant, in [0, 1]
  double eps = 1e-8;          // >= 0, added to the root mean square
  double weight_decay = 0.0;  // >= 0: L2 penalty, added to the gradient
  double momentum = 0.0;      // >= 0
  bool centered = false;      // divide by an estimate of the variance instead of the second moment
};

/// A parameter group of RMSprop: its parameters and the options it overrides.
struct RMSpropGroup {
  std::vector<Tensor> params;
  std::optional<double> lr = std::nullopt;
  std::optional<double> alpha = std::nullopt;
  std::optional<double> eps = std::nullopt;
  std::optional<double> weight_decay = std::nullopt;
  std::optional<double> momentum = std::nullopt;
  std::optional<bool> centered = std::nullopt;
};

/// RMSprop as torch.optim.RMSprop
/// (https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html), for
/// each parameter θ with gradient g:
///
///     g ← g + λ·θ                              (weight_decay λ ≠ 0)
///     v ← α·v + (1 − α)·g²
///     v̄ ← v − ḡ², with ḡ ← α·ḡ + (1 − α)·g     (centered), else v̄ ← v
///     b ← μ·b + g / (√v̄ + ε),  θ ← θ − γ·b     (momentum μ > 0)
///     θ ← θ − γ·g / (√v̄ + ε)                   (otherwise)
///
/// v, ḡ and b start at zero. State: "step", "square_avg", and
/// "momentum_buffer" (μ > 0), "grad_avg" (centered).
class RMSprop final : public Optimizer {
 public:
  explicit RMSprop(std::vector<Tensor> params, const RMSpropOptions& options = {});
  explicit RMSprop(std::vector<RMSpropGroup> groups, const RMSpropOptions& defaults = {});

  void step() override;
  /// Adds a group; options it leaves out come from the constructor's.
  void add_param_group(RMSpropGroup group);
  /// The options of a group (lr: its current rate).
  RMSpropOptions options(std::size_t group = 0) const;

 private:
  void add(RMSpropGroup group, bool explicit_groups);
  RMSpropOptions defaults_;
  std::vector<RMSpropOptions> options_;
};

}  // namespace tg::optim
