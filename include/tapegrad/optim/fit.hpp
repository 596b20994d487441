// fit: the training loop, Keras-style. Epochs over a DataLoader, validation
// each epoch, a progress bar, callbacks, early stopping, schedules,
// clipping, and the history in memory, as CSV and as an SVG plot.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "../autodiff/tensor.hpp"
#include "../nn/data/loader.hpp"
#include "../nn/module.hpp"
#include "early_stopping.hpp"
#include "history.hpp"
#include "optimizer.hpp"
#include "progress.hpp"
#include "schedule.hpp"

namespace tg::optim {

/// A loss of (model output, target), e.g. nn::cross_entropy, or any
/// function of tensors the user writes.
using LossFunction = std::function<Tensor(const Tensor& output, const Tensor& target)>;

/// Sums each value over the processes of a data-parallel job, in place
/// (nn/parallel fills it in with an MPI allreduce); empty: one process.
using SumAcrossProcesses = std::function<void(std::vector<double>& values)>;

/// How fit measures accuracy.
enum class Accuracy {
  automatic,  ///< `classes` for int64 targets with (N, C) outputs, else none
  none,
  classes,  ///< argmax of the output's last axis against int64 class indices
  binary,   ///< output > 0 (a logit) against targets in {0, 1}
};

/// What a batch callback sees.
struct BatchInfo {
  int epoch;                ///< from 1
  std::int64_t batch;       ///< from 1, within the epoch
  std::int64_t batches;     ///< in the epoch
  double loss;              ///< of this batch
  const Tensor& output;     ///< the model's output for the batch
  const Tensor& target;
};

/// Hooks into fit; each member is optional. on_epoch_end may add metrics to
/// the history (they are written and plotted with the others) and returns
/// true to stop training.
struct Callback {
  std::function<void(int epoch)> on_epoch_begin{};
  std::function<void(const BatchInfo&)> on_batch_end{};
  std::function<bool(int epoch, History& history)> on_epoch_end{};
};

struct FitOptions {
  int epochs = 10;
  /// Validated after each epoch (loss and accuracy as "val_loss",
  /// "val_accuracy") when set; in evaluation mode, without recording.
  data::DataLoader* validation = nullptr;
  Accuracy accuracy = Accuracy::automatic;
  /// Watches the metric its options name (e.g. "val_loss"); stops when it
  /// says so and restores the best weights if it holds the model.
  EarlyStopping* early_stopping = nullptr;
  /// Stepped after every optimizer step (per batch) or, with
  /// schedule_per_epoch, after every epoch.
  LrScheduler* scheduler = nullptr;
  bool schedule_per_epoch = false;
  /// Stepped with `plateau_monitor` at the end of each epoch.
  ReduceLROnPlateau* plateau = nullptr;
  std::string plateau_monitor = "val_loss";
  /// Clip the gradients' global L2 norm to this before each step (0: off).
  double clip_grad_norm = 0;
  std::vector<Callback> callbacks{};
  /// Draw the progress bar (a line per epoch off a terminal).
  bool verbose = true;
  ProgressOptions progress{};
  /// Written after every epoch when set, so a long run can be watched.
  std::string history_csv{};
  std::string history_svg{};

  // Data-parallel training: nn::parallel::DistributedDataParallel fills
  // these in (fit itself knows nothing of processes).
  /// Called after each backward, before clipping and the step, with the
  /// batch's loss: makes every gradient, and the loss, their mean over the
  /// processes, so that clipping, the step and the non-finite check see the
  /// same values on every process.
  std::function<void(double& batch_loss)> after_backward{};
  /// Sums the epoch's loss, correct predictions and example counts over the
  /// processes, for training and validation alike.
  SumAcrossProcesses sum_across_processes{};
  /// False on every process but one: no history file is written there.
  bool writes_output = true;
};

struct FitResult {
  History history;
  int epochs_run = 0;
  /// Why training ended before `epochs`: "" (it did not), "early stopping",
  /// "callback", or "non-finite loss at epoch E, batch B".
  std::string stop_reason;
};

/// Trains `model` on `train` for options.epochs epochs: for each batch,
/// output = model(x), loss(output, y), backward, optional clipping, an
/// optimizer step; the gradients are dropped before each backward.
/// Records per epoch "loss" (mean over examples), "accuracy" when measured,
/// "val_loss"/"val_accuracy" with a validation loader, "lr" and "seconds".
/// A non-finite loss stops training at once and says where. The model is
/// left in training mode.
FitResult fit(nn::Module& model, const LossFunction& loss, Optimizer& optimizer, data::DataLoader& train,
              const FitOptions& options = {});

/// Loss and accuracy of `model` over `loader`, in evaluation mode without
/// recording (the model's mode is restored). The loss is the mean over
/// examples, assuming `loss` returns a batch mean; accuracy is NaN when not
/// measured. With `sum_across_processes`, each process evaluates its shard
/// and the figures are over every process's examples.
struct Evaluation {
  double loss = 0;
  double accuracy = 0;
  std::int64_t examples = 0;
};
Evaluation evaluate(nn::Module& model, const LossFunction& loss, data::DataLoader& loader,
                    Accuracy accuracy = Accuracy::automatic, const SumAcrossProcesses& sum_across_processes = {});

/// The number of correct predictions in a batch (see Accuracy), or −1 when
/// accuracy does not apply to these shapes and dtypes.
std::int64_t count_correct(const Tensor& output, const Tensor& target, Accuracy accuracy);

}  // namespace tg::optim
