// Learning-rate schedules: pure functions of the step count, composable
// (warmup then cosine), bound to an optimizer by LrScheduler; and
// ReduceLROnPlateau, which follows a metric instead of the step count.
//
// The formulas are those of torch.optim.lr_scheduler (LinearLR, StepLR,
// MultiStepLR, ExponentialLR, CosineAnnealingLR, SequentialLR,
// ReduceLROnPlateau), in their closed forms.
#pragma once

#include "../requires_cxx20.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tg::optim {

class Optimizer;

/// A learning rate as a pure function of the step count t = 0, 1, 2, ...
/// and the group's base rate: lr = schedule(t, base_lr). Most schedules
/// scale the base rate by a factor; cosine annealing's floor eta_min is an
/// absolute rate, as in PyTorch, which is why the base rate is an argument.
///
/// A schedule may have a length (warmup: its warmup steps; cosine: its
/// total steps); `a.then(b)` runs a for that many steps and then b from its
/// own step 0:
///
///     auto s = optim::linear_warmup(500).then(optim::cosine_annealing(10'000));
///     optim::LrScheduler scheduler(opt, s);
///
/// A Schedule is a value: copies are cheap and independent.
class Schedule {
 public:
  using Rate = std::function<double(std::int64_t step, double base_lr)>;

  /// A schedule from a function of (step, base_lr). `name` appears in
  /// error messages and printouts; `length` is the number of steps after
  /// which it is done, for then() (none: it runs forever).
  Schedule(std::string name, Rate rate, std::optional<std::int64_t> length = std::nullopt);

  /// The learning rate at `step` (>= 0) for a group whose base rate is
  /// `base_lr`. Throws InvalidArgument for a negative step, and when the
  /// function returns a negative or non-finite rate (a user's lambda).
  double operator()(std::int64_t step, double base_lr) const;
  /// The multiplier at `step`: operator()(step, 1).
  double factor(std::int64_t step) const { return (*this)(step, 1.0); }

  /// "linear_warmup(warmup_steps=500, start_factor=0.333333)".
  const std::string& name() const { return name_; }
  std::optional<std::int64_t> length() const { return length_; }

  /// This schedule for its length() steps, then `next` (whose step 0 is
  /// this schedule's step length()). Throws InvalidArgument when this
  /// schedule has no length; pass the steps explicitly then.
  Schedule then(const Schedule& next) const;
  /// This schedule for `steps` steps (> 0), then `next` from its step 0.
  Schedule then(std::int64_t steps, const Schedule& next) const;

 private:
  std::string name_;
  Rate rate_;
  std::optional<std::int64_t> length_;
};

/// lr = factor · base_lr at every step (factor >= 0).
Schedule constant(double factor = 1.0);

/// lr = base_lr · factor(step), factor any function of the step (PyTorch's
/// LambdaLR). Its values must be finite and >= 0.
Schedule lambda_schedule(std::function<double(std::int64_t step)> factor, std::string name = "lambda_schedule");

/// Linear warmup (PyTorch's LinearLR with end_factor 1):
/// factor = start_factor + (1 − start_factor) · min(t, warmup_steps) / warmup_steps,
/// so the rate climbs from start_factor·base to base at step warmup_steps
/// and stays there. warmup_steps > 0, 0 <= start_factor <= 1; its length is
/// warmup_steps. The default start factor is PyTorch's.
Schedule linear_warmup(std::int64_t warmup_steps, double start_factor = 1.0 / 3.0);

/// Step decay (StepLR): factor = gamma^floor(t / step_size); step_size > 0,
/// gamma > 0.
Schedule step_decay(std::int64_t step_size, double gamma = 0.1);

/// Multi-step decay (MultiStepLR): factor = gamma^(number of milestones <= t);
/// the milestones are positive and strictly increasing, gamma > 0.
Schedule multi_step(std::vector<std::int64_t> milestones, double gamma = 0.1);

/// Exponential decay (ExponentialLR): factor = gamma^t, gamma > 0 (above 1
/// it grows, as in an LR range test).
Schedule exponential(double gamma);

/// Cosine annealing (CosineAnnealingLR, closed form, one half period):
/// lr = eta_min + (base_lr − eta_min) · (1 + cos(π · t / total_steps)) / 2
/// for t <= total_steps, and eta_min after (PyTorch's formula would climb
/// back up; holding the floor is what a run longer than total_steps wants).
/// total_steps > 0, eta_min >= 0 is an absolute rate; the length is
/// total_steps.
Schedule cosine_annealing(std::int64_t total_steps, double eta_min = 0.0);

/// Schedules one after another (SequentialLR): schedules[0] until
/// milestones[0], then schedules[1] from its own step 0 until milestones[1],
/// and so on. One milestone fewer than schedules; the milestones are
/// positive and strictly increasing.
Schedule sequential(const std::vector<Schedule>& schedules, const std::vector<std::int64_t>& milestones);

/// Binds a Schedule to an optimizer. At construction it remembers each
/// group's current rate as that group's base rate and sets every group to
/// schedule(0, base); each step() advances the count t and sets every group
/// to schedule(t, base). The optimizer must outlive the scheduler and stay
/// where it is (the scheduler keeps its address; do not move it).
///
/// When to call step() is the caller's choice, and it sets the unit of the
/// schedule's steps:
///   - per batch (warmup, cosine over the whole run): call it after each
///     optimizer step, so the optimizer's k-th step uses schedule(k, base);
///   - per epoch (step decay by epochs): call it after each epoch.
///
///     for (int epoch = 0; epoch < epochs; ++epoch) {
///       for (auto& [x, y] : loader) {
///         opt.zero_grad(); loss(model(x), y).backward(); opt.step();
///         scheduler.step();                       // per-batch schedule
///       }
///     }
///
/// A group the optimizer gains after construction takes its rate at that
/// moment as its base.
class LrScheduler {
 public:
  LrScheduler(Optimizer& optimizer, Schedule schedule);

  /// Advances one step and sets every group's rate to schedule(t, base).
  void step();
  /// The rate this scheduler last set for `group`.
  double lr(std::size_t group = 0) const;
  /// The rates it last set, one per group.
  const std::vector<double>& lrs() const { return last_lrs_; }
  /// The number of step() calls: the step the current rates belong to.
  std::int64_t step_count() const { return step_; }
  /// Jumps to step `step` (>= 0) and sets the rates for it: resuming a run.
  void set_step_count(std::int64_t step);
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  const Schedule& schedule() const { return schedule_; }

 private:
  void apply(std::int64_t step);

  Optimizer* optimizer_;
  Schedule schedule_;
  std::vector<double> base_lrs_;
  std::vector<double> last_lrs_;
  std::int64_t step_ = 0;
};

/// Whether a lower (loss) or a higher (accuracy) metric is better.
enum class MetricMode { min, max };

/// How ReduceLROnPlateau's threshold counts: relative to the best value
/// (best · (1 ∓ threshold)) or absolute (best ∓ threshold).
enum class ThresholdMode { rel, abs };

/// Options of ReduceLROnPlateau; the defaults are PyTorch's.
struct PlateauOptions {
  MetricMode mode = MetricMode::min;
  /// new lr = max(lr · factor, min_lr); 0 < factor < 1.
  double factor = 0.1;
  /// Epochs without improvement tolerated; the rate drops on the next one.
  std::int64_t patience = 10;
  /// An improvement must beat the best by this much (see threshold_mode).
  double threshold = 1e-4;
  ThresholdMode threshold_mode = ThresholdMode::rel;
  /// Epochs after a reduction during which bad epochs are not counted.
  std::int64_t cooldown = 0;
  /// The floor of every group's rate.
  double min_lr = 0.0;
  /// A reduction smaller than this is not applied.
  double eps = 1e-8;
};

/// Lowers every group's learning rate by `factor` when a metric has stopped
/// improving (PyTorch's ReduceLROnPlateau). Call step(metric) once per
/// epoch with the validation metric. An epoch improves when the metric
/// beats the best so far (mode min, rel: metric < best · (1 − threshold);
/// abs: metric < best − threshold; mirrored for max); a NaN never improves.
/// After more than `patience` consecutive epochs without improvement the
/// rates drop to max(lr · factor, min_lr) and the count restarts; for
/// `cooldown` epochs after that, bad epochs are not counted.
class ReduceLROnPlateau {
 public:
  /// The optimizer must outlive the scheduler and stay where it is.
  explicit ReduceLROnPlateau(Optimizer& optimizer, const PlateauOptions& options = {});

  /// Records one epoch's metric; returns true when it lowered the rates.
  bool step(double metric);
  /// The optimizer's current rate of `group`.
  double lr(std::size_t group = 0) const;
  /// The best metric so far (+inf for min, −inf for max before any step).
  double best() const { return best_; }
  /// Consecutive epochs without improvement, as counted (not in cooldown).
  std::int64_t bad_epochs() const { return bad_epochs_; }
  /// Epochs of cooldown left.
  std::int64_t cooldown_remaining() const { return cooldown_counter_; }
  /// The number of step() calls.
  std::int64_t step_count() const { return epoch_; }
  /// How many times the rates were lowered.
  std::int64_t reduction_count() const { return reductions_; }
  const PlateauOptions& options() const { return options_; }

 private:
  bool improves(double metric) const;

  Optimizer* optimizer_;
  PlateauOptions options_;
  double best_;
  std::int64_t bad_epochs_ = 0;
  std::int64_t cooldown_counter_ = 0;
  std::int64_t epoch_ = 0;
  std::int64_t reductions_ = 0;
};

}  // namespace tg::optim
