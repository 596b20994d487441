// Adam (Kingma & Ba, 2015), with the AMSGrad variant (Reddi et al., 2018),
// and AdamW, its decoupled weight decay (Loshchilov & Hutter, 2019): the
// algorithms of torch.optim.Adam and torch.optim.AdamW.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "optimizer.hpp"

namespace tg::optim {

/// Options of Adam, in PyTorch's order and with its defaults.
struct AdamOptions {
  double lr = 1e-3;                               // >= 0
  std::pair<double, double> betas = {0.9, 0.999};  // (β1, β2), each in [0, 1)
  double eps = 1e-8;                              // >= 0
  double weight_decay = 0.0;                      // >= 0: L2 penalty, added to the gradient
  bool amsgrad = false;                           // divide by the largest second moment so far
};

/// Options of AdamW: Adam's, with weight decay 1e-2 (PyTorch's default),
/// decoupled from the gradient.
struct AdamWOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;  // >= 0: θ ← θ − γ·λ·θ before each update
  bool amsgrad = false;
};

/// A parameter group of Adam or AdamW: its parameters and the options it
/// overrides (`.betas = std::pair{0.5, 0.9}`).
struct AdamGroup {
  std::vector<Tensor> params;
  std::optional<double> lr = std::nullopt;
  std::optional<std::pair<double, double>> betas = std::nullopt;
  std::optional<double> eps = std::nullopt;
  std::optional<double> weight_decay = std::nullopt;
  std::optional<bool> amsgrad = std::nullopt;
};
using AdamWGroup = AdamGroup;

/// Adam as torch.optim.Adam
/// (https://pytorch.org/docs/stable/generated/torch.optim.Adam.html), for
/// each parameter θ with gradient g at its step t = 1, 2, ...:
///
///     g ← g + λ·θ                          (weight_decay λ ≠ 0: L2, coupled)
///     m ← β1·m + (1 − β1)·g
///     v ← β2·v + (1 − β2)·g²
///     v̂ ← max(v̂, v) (amsgrad), else v̂ ← v
///     θ ← θ − γ/(1 − β1ᵗ) · m / (√v̂ / √(1 − β2ᵗ) + ε)
///
/// m, v and v̂ start at zero. State: "step", "exp_avg" (m), "exp_avg_sq" (v),
/// and "max_exp_avg_sq" (v̂, amsgrad).
class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<Tensor> params, const AdamOptions& options = {});
  explicit Adam(std::vector<AdamGroup> groups, const AdamOptions& defaults = {});

  void step() override;
  /// Adds a group; options it leaves out come from the constructor's.
  void add_param_group(AdamGroup group);
  /// The options of a group (lr: its current rate).
  AdamOptions options(std::size_t group = 0) const;

 protected:
  /// AdamW's: the same moments, with decoupled weight decay.
  Adam(const char* name, bool decoupled, std::vector<AdamGroup> groups, const AdamOptions& defaults,
       bool explicit_groups);

 private:
  void add(AdamGroup group, bool explicit_groups);
  bool decoupled_;
  AdamOptions defaults_;
  std::vector<AdamOptions> options_;
};

/// AdamW as torch.optim.AdamW
/// (https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html;
/// Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019): the
/// weight decay shrinks the parameter instead of entering the moments,
///
///     θ ← θ − γ·λ·θ,  then Adam's update with the plain gradient g.
///
/// State as Adam's.
class AdamW final : public Adam {
 public:
  explicit AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});
  explicit AdamW(std::vector<AdamWGroup> groups, const AdamWOptions& defaults = {});

  /// The options of a group (lr: its current rate).
  AdamWOptions options(std::size_t group = 0) const;
};

}  // namespace tg::optim
