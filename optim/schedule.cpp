// Learning-rate schedules, LrScheduler and ReduceLROnPlateau. Formulas as in
// torch.optim.lr_scheduler; see the header for each.
#include "tapegrad/optim/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <sstream>
#include <utility>

#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim {
namespace {

std::string list(const std::vector<std::int64_t>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

[[noreturn]] void bad(const std::string& schedule, const std::string& what) {
  throw InvalidArgument(schedule + ": " + what);
}

void check_positive_steps(const char* schedule, const char* argument, std::int64_t value) {
  if (value <= 0) bad(schedule, std::string(argument) + " must be positive, got " + std::to_string(value));
}

void check_gamma(const char* schedule, double gamma) {
  if (!(gamma > 0) || !std::isfinite(gamma)) bad(schedule, "gamma must be positive and finite, got " + number_str(gamma));
}

void check_milestones(const char* schedule, const std::vector<std::int64_t>& milestones) {
  for (std::size_t i = 0; i < milestones.size(); ++i) {
    if (milestones[i] <= 0 || (i > 0 && milestones[i] <= milestones[i - 1])) {
      bad(schedule, "milestones must be positive and strictly increasing, got " + list(milestones));
    }
  }
}

}  // namespace

// --- Schedule ------------------------------------------------------------------

Schedule::Schedule(std::string name, Rate rate, std::optional<std::int64_t> length)
    : name_(std::move(name)), rate_(std::move(rate)), length_(length) {
  if (!rate_) bad("Schedule '" + name_ + "'", "the rate function is empty");
  if (length_ && *length_ <= 0) bad("Schedule '" + name_ + "'", "length must be positive, got " + std::to_string(*length_));
}

double Schedule::operator()(std::int64_t step, double base_lr) const {
  if (step < 0) bad(name_, "the step must be >= 0, got " + std::to_string(step));
  const double lr = rate_(step, base_lr);
  if (!(lr >= 0) || !std::isfinite(lr)) {
    bad(name_, "the rate at step " + std::to_string(step) + " (base rate " + number_str(base_lr) + ") is " + number_str(lr) +
                   "; a learning rate must be finite and >= 0");
  }
  return lr;
}

Schedule Schedule::then(const Schedule& next) const {
  if (!length_) {
    bad("then", "'" + name_ + "' has no length of its own; say how many steps it runs: a.then(steps, b)");
  }
  return then(*length_, next);
}

Schedule Schedule::then(std::int64_t steps, const Schedule& next) const {
  check_positive_steps("then", "steps", steps);
  std::optional<std::int64_t> length;
  if (next.length_) length = steps + *next.length_;
  // Each part checks its own rate; the whole is checked again by operator().
  return Schedule(
      name_ + " then " + next.name_,
      [first = *this, steps, next](std::int64_t t, double base) {
        return t < steps ? first.rate_(t, base) : next.rate_(t - steps, base);
      },
      length);
}

// --- factories -------------------------------------------------------------------

Schedule constant(double factor) {
  if (!(factor >= 0) || !std::isfinite(factor)) bad("constant", "factor must be finite and >= 0, got " + number_str(factor));
  return Schedule("constant(factor=" + number_str(factor) + ")", [factor](std::int64_t, double base) { return factor * base; });
}

Schedule lambda_schedule(std::function<double(std::int64_t)> factor, std::string name) {
  if (!factor) bad(name, "the factor function is empty");
  return Schedule(std::move(name), [factor = std::move(factor)](std::int64_t t, double base) { return factor(t) * base; });
}

Schedule linear_warmup(std::int64_t warmup_steps, double start_factor) {
  check_positive_steps("linear_warmup", "warmup_steps", warmup_steps);
  if (!(start_factor >= 0 && start_factor <= 1)) {
    bad("linear_warmup", "start_factor must be in [0, 1], got " + number_str(start_factor));
  }
  return Schedule(
      "linear_warmup(warmup_steps=" + std::to_string(warmup_steps) + ", start_factor=" + number_str(start_factor) + ")",
      [warmup_steps, start_factor](std::int64_t t, double base) {
        const double done = static_cast<double>(std::min(t, warmup_steps)) / static_cast<double>(warmup_steps);
        return base * (start_factor + (1.0 - start_factor) * done);
      },
      warmup_steps);
}

Schedule step_decay(std::int64_t step_size, double gamma) {
  check_positive_steps("step_decay", "step_size", step_size);
  check_gamma("step_decay", gamma);
  return Schedule("step_decay(step_size=" + std::to_string(step_size) + ", gamma=" + number_str(gamma) + ")",
                  [step_size, gamma](std::int64_t t, double base) {
                    return base * std::pow(gamma, static_cast<double>(t / step_size));
                  });
}

Schedule multi_step(std::vector<std::int64_t> milestones, double gamma) {
  check_milestones("multi_step", milestones);
  check_gamma("multi_step", gamma);
  std::string name = "multi_step(milestones=" + list(milestones) + ", gamma=" + number_str(gamma) + ")";
  return Schedule(std::move(name), [milestones = std::move(milestones), gamma](std::int64_t t, double base) {
    const auto passed = std::upper_bound(milestones.begin(), milestones.end(), t) - milestones.begin();
    return base * std::pow(gamma, static_cast<double>(passed));
  });
}

Schedule exponential(double gamma) {
  check_gamma("exponential", gamma);
  return Schedule("exponential(gamma=" + number_str(gamma) + ")", [gamma](std::int64_t t, double base) {
    return base * std::pow(gamma, static_cast<double>(t));
  });
}

Schedule cosine_annealing(std::int64_t total_steps, double eta_min) {
  check_positive_steps("cosine_annealing", "total_steps", total_steps);
  if (!(eta_min >= 0) || !std::isfinite(eta_min)) {
    bad("cosine_annealing", "eta_min must be finite and >= 0, got " + number_str(eta_min));
  }
  return Schedule(
      "cosine_annealing(total_steps=" + std::to_string(total_steps) + ", eta_min=" + number_str(eta_min) + ")",
      [total_steps, eta_min](std::int64_t t, double base) {
        if (t >= total_steps) return eta_min;
        const double progress = static_cast<double>(t) / static_cast<double>(total_steps);
        return eta_min + (base - eta_min) * (1.0 + std::cos(std::numbers::pi * progress)) / 2.0;
      },
      total_steps);
}

Schedule sequential(const std::vector<Schedule>& schedules, const std::vector<std::int64_t>& milestones) {
  if (schedules.empty()) bad("sequential", "needs at least one schedule");
  if (milestones.size() + 1 != schedules.size()) {
    bad("sequential", "needs one milestone fewer than schedules (" + std::to_string(schedules.size() - 1) + " for " +
                          std::to_string(schedules.size()) + "), got " + std::to_string(milestones.size()));
  }
  check_milestones("sequential", milestones);
  // Built back to front: s[k] then(milestone[k] - milestone[k-1]) the rest.
  Schedule whole = schedules.back();
  for (std::size_t k = milestones.size(); k-- > 0;) {
    const std::int64_t start = k == 0 ? 0 : milestones[k - 1];
    whole = schedules[k].then(milestones[k] - start, whole);
  }
  return whole;
}

// --- LrScheduler -------------------------------------------------------------------

LrScheduler::LrScheduler(Optimizer& optimizer, Schedule schedule)
    : optimizer_(&optimizer), schedule_(std::move(schedule)) {
  for (std::size_t g = 0; g < optimizer_->group_count(); ++g) base_lrs_.push_back(optimizer_->lr(g));
  apply(0);
}

void LrScheduler::apply(std::int64_t step) {
  // A group added to the optimizer since the last call starts from its rate now.
  for (std::size_t g = base_lrs_.size(); g < optimizer_->group_count(); ++g) base_lrs_.push_back(optimizer_->lr(g));
  last_lrs_.resize(base_lrs_.size());
  std::vector<double> lrs(base_lrs_.size());
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) lrs[g] = schedule_(step, base_lrs_[g]);
  // Committed only once every rate is known to be valid: a throwing schedule changes nothing.
  for (std::size_t g = 0; g < lrs.size(); ++g) optimizer_->set_lr(g, lrs[g]);
  last_lrs_ = std::move(lrs);
  step_ = step;
}

void LrScheduler::step() { apply(step_ + 1); }

void LrScheduler::set_step_count(std::int64_t step) {
  if (step < 0) throw InvalidArgument("LrScheduler::set_step_count: the step must be >= 0, got " + std::to_string(step));
  apply(step);
}

double LrScheduler::lr(std::size_t group) const {
  if (group >= last_lrs_.size()) {
    throw InvalidArgument("LrScheduler::lr: no group " + std::to_string(group) + "; the optimizer has " +
                          std::to_string(last_lrs_.size()));
  }
  return last_lrs_[group];
}

// --- ReduceLROnPlateau ----------------------------------------------------------------

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, const PlateauOptions& options)
    : optimizer_(&optimizer), options_(options) {
  const char* who = "ReduceLROnPlateau";
  if (!(options.factor > 0 && options.factor < 1)) bad(who, "factor must be in (0, 1), got " + number_str(options.factor));
  if (options.patience < 0) bad(who, "patience must be >= 0, got " + std::to_string(options.patience));
  if (!(options.threshold >= 0) || !std::isfinite(options.threshold)) {
    bad(who, "threshold must be finite and >= 0, got " + number_str(options.threshold));
  }
  if (options.cooldown < 0) bad(who, "cooldown must be >= 0, got " + std::to_string(options.cooldown));
  if (!(options.min_lr >= 0) || !std::isfinite(options.min_lr)) {
    bad(who, "min_lr must be finite and >= 0, got " + number_str(options.min_lr));
  }
  if (!(options.eps >= 0) || !std::isfinite(options.eps)) bad(who, "eps must be finite and >= 0, got " + number_str(options.eps));
  const double inf = std::numeric_limits<double>::infinity();
  best_ = options.mode == MetricMode::min ? inf : -inf;
}

bool ReduceLROnPlateau::improves(double metric) const {
  const double t = options_.threshold;
  const bool rel = options_.threshold_mode == ThresholdMode::rel;
  if (options_.mode == MetricMode::min) return metric < (rel ? best_ * (1 - t) : best_ - t);
  return metric > (rel ? best_ * (1 + t) : best_ + t);
}

bool ReduceLROnPlateau::step(double metric) {
  ++epoch_;
  if (improves(metric)) {
    best_ = metric;
    bad_epochs_ = 0;
  } else {
    ++bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    bad_epochs_ = 0;  // bad epochs in cooldown are not counted
  }
  if (bad_epochs_ <= options_.patience) return false;

  bool lowered = false;
  for (std::size_t g = 0; g < optimizer_->group_count(); ++g) {
    const double old_lr = optimizer_->lr(g);
    const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
    if (old_lr - new_lr > options_.eps) {
      optimizer_->set_lr(g, new_lr);
      lowered = true;
    }
  }
  cooldown_counter_ = options_.cooldown;
  bad_epochs_ = 0;
  if (lowered) ++reductions_;
  return lowered;
}

double ReduceLROnPlateau::lr(std::size_t group) const { return optimizer_->lr(group); }

}  // namespace tg::optim
