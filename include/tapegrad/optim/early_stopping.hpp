// Early stopping: stop training when a validation metric has stopped
// improving, and put back the weights of the best epoch. Works inside `fit`
// and in a loop of the user's own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../autodiff/tensor.hpp"
#include "schedule.hpp"  // MetricMode

namespace tg::nn {
class Module;
}

namespace tg::optim {

/// Options of EarlyStopping; the defaults fit a validation loss.
struct EarlyStoppingOptions {
  /// The metric's name, for display ("val_loss", "val_accuracy").
  std::string monitor = "val_loss";
  MetricMode mode = MetricMode::min;
  /// Epochs without improvement tolerated before stopping (>= 0).
  std::int64_t patience = 10;
  /// An improvement must beat the best by more than this (>= 0):
  /// metric < best − min_delta (min) or metric > best + min_delta (max).
  double min_delta = 0.0;
  /// With a watched module: keep a copy of its weights at the best epoch,
  /// and put them back when update() says to stop.
  bool restore_best = true;
};

/// Keras's EarlyStopping as an object of the user's loop: call update()
/// once per epoch with the validation metric; it returns true once the
/// metric has gone `patience` epochs in a row without improving on the best
/// by more than min_delta (a NaN never improves).
///
///     nn::Linear model(4, 1);
///     optim::EarlyStopping stopper(model, {.patience = 3});
///     for (int epoch = 0; epoch < 100; ++epoch) {
///       train_one_epoch();
///       if (stopper.update(validation_loss())) break;  // best weights are back
///     }
///     stopper.restore();  // when the loop ran out instead (after a stop: the same weights again)
///
/// Given a module (which must outlive the stopper) and restore_best, each
/// improvement copies every parameter and buffer of the module into tensors
/// the stopper owns (allocated at the first improvement, then reused), and
/// the stopping update() copies them back. Epochs count update() calls
/// from 0.
class EarlyStopping {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  /// Watches `module`: with options.restore_best, snapshots its weights at
  /// each improvement and restores them on stopping.
  explicit EarlyStopping(nn::Module& module, EarlyStoppingOptions options = {});

  /// Records one epoch's metric; true when training should stop. When it
  /// returns true for the first time and a module is watched with
  /// restore_best, the best weights are restored into it.
  bool update(double metric);

  /// The best metric so far (+inf for min, −inf for max before any update).
  double best() const { return best_; }
  /// The epoch of the best metric (-1 before any update).
  std::int64_t best_epoch() const { return best_epoch_; }
  /// Consecutive epochs since the best one.
  std::int64_t epochs_without_improvement() const { return wait_; }
  /// The number of update() calls.
  std::int64_t epoch_count() const { return epochs_; }
  /// Whether an update() has said to stop.
  bool stopped() const { return stopped_; }
  /// Whether best weights have been saved (restore() will do something).
  bool has_snapshot() const { return !snapshot_.empty(); }
  const EarlyStoppingOptions& options() const { return options_; }

  /// Copies the saved best weights into `module`, which must have the
  /// watched module's parameters and buffers (same names and shapes). Throws
  /// std::logic_error when nothing was saved (no module, restore_best off,
  /// or no update yet) and InvalidArgument when the module does not match.
  void restore(nn::Module& module) const;
  /// restore() into the watched module.
  void restore() const;

  /// "val_loss: best 0.31 at epoch 4, 3 epochs without improvement (patience 3)".
  std::string summary() const;

 private:
  bool improves(double metric) const;
  void save_snapshot();

  EarlyStoppingOptions options_;
  nn::Module* module_ = nullptr;
  double best_;
  std::int64_t best_epoch_ = -1;
  std::int64_t wait_ = 0;
  std::int64_t epochs_ = 0;
  bool stopped_ = false;
  std::vector<std::string> names_;  // parameters, then buffers, as named_parameters()/named_buffers()
  std::vector<Tensor> snapshot_;    // their values at the best epoch
};

}  // namespace tg::optim
