// The learning-rate range test (Smith, 2017, "Cyclical Learning Rates for
// Training Neural Networks", section 3.3): train briefly at geometrically
// growing rates and watch where the loss falls fastest and where it blows up.
#pragma once

#include <string>
#include <vector>

#include "fit.hpp"

namespace tg::optim {

struct LrFinderOptions {
  double start_lr = 1e-6;
  /// Never go past this rate.
  double end_lr = 10.0;
  /// The rate is multiplied by `factor` every `steps_per_rate` steps: 10 by
  /// default (one decade per stage); e.g. 10^(1/4) for a finer curve.
  double factor = 10.0;
  std::int64_t steps_per_rate = 1;
  /// Stop when the smoothed loss exceeds `diverge_threshold` × its best.
  double diverge_threshold = 4.0;
  /// Exponential smoothing of the loss curve (0: none).
  double smoothing = 0.05;
  /// Stop after this many steps in any case.
  std::int64_t max_steps = 1000;
  /// Write the curve with the suggestion marked, when set.
  std::string plot_path{};
  /// Put the model's weights and the optimizer's state and rates back
  /// afterwards, so training can start from where it was.
  bool restore = true;
};

struct LrFinderResult {
  std::vector<double> lrs;       ///< the rate of each step
  std::vector<double> losses;    ///< each step's batch loss
  std::vector<double> smoothed;  ///< the smoothed curve
  /// The rate where the smoothed loss fell fastest per decade of rate
  /// (steepest descent of loss against log10(lr)), before its minimum.
  double suggested_lr = 0;
  /// The rate at the smoothed curve's minimum; a common heuristic takes a
  /// tenth of it.
  double min_loss_lr = 0;
  bool diverged = false;
};

/// Runs the range test on batches of `train` (cycling through epochs as
/// needed) with `optimizer`'s update rule, setting every group's rate.
LrFinderResult lr_range_test(nn::Module& model, const LossFunction& loss, Optimizer& optimizer,
                             data::DataLoader& train, const LrFinderOptions& options = {});

}  // namespace tg::optim
