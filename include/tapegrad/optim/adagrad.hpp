// Adagrad (Duchi, Hazan & Singer, 2011): the algorithm of torch.optim.Adagrad.
#pragma once

#include <optional>
#include <vector>

#include "optimizer.hpp"

namespace tg::optim {

/// Options of Adagrad, in PyTorch's order and with its defaults.
struct AdagradOptions {
  double lr = 1e-2;                        // >= 0
  double lr_decay = 0.0;                   // >= 0
  double weight_decay = 0.0;               // >= 0: L2 penalty, added to the gradient
  double initial_accumulator_value = 0.0;  // >= 0: where the sum of squares starts
  double eps = 1e-10;                      // >= 0
};

/// A parameter group of Adagrad: its parameters and the options it overrides.
struct AdagradGroup {
  std::vector<Tensor> params;
  std::optional<double> lr = std::nullopt;
  std::optional<double> lr_decay = std::nullopt;
  std::optional<double> weight_decay = std::nullopt;
  std::optional<double> initial_accumulator_value = std::nullopt;
  std::optional<double> eps = std::nullopt;
};

/// Adagrad as torch.optim.Adagrad
/// (https://pytorch.org/docs/stable/generated/torch.optim.Adagrad.html), for
/// each parameter θ with gradient g at its step t = 1, 2, ...:
///
///     g ← g + λ·θ                      (weight_decay λ ≠ 0)
///     γ̃ ← γ / (1 + (t − 1)·η)          (lr γ, lr_decay η)
///     s ← s + g²                       (s starts at initial_accumulator_value)
///     θ ← θ − γ̃ · g / (√s + ε)
///
/// State: "step", "sum" (s).
class Adagrad final : public Optimizer {
 public:
  explicit Adagrad(std::vector<Tensor> params, const AdagradOptions& options = {});
  explicit Adagrad(std::vector<AdagradGroup> groups, const AdagradOptions& defaults = {});

  void step() override;
  /// Adds a group; options it leaves out come from the constructor's.
  void add_param_group(AdagradGroup group);
  /// The options of a group (lr: its current rate).
  AdagradOptions options(std::size_t group = 0) const;

 private:
  void add(AdagradGroup group, bool explicit_groups);
  AdagradOptions defaults_;
  std::vector<AdagradOptions> options_;
};

}  // namespace tg::optim
