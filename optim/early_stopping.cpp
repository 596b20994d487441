// EarlyStopping: the patience counter and the best-weights snapshot.
#include "tapegrad/optim/early_stopping.hpp"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"
#include "tapegrad/nn/module.hpp"

namespace tg::optim {
namespace {

// A module's parameters then its buffers, each once, in registration order.
std::vector<Tensor> weights_of(const nn::Module& module) {
  std::vector<Tensor> out = module.parameters();
  for (const Tensor& b : module.buffers()) out.push_back(b);
  return out;
}

std::vector<nn::NamedTensor> named_weights_of(const nn::Module& module) {
  std::vector<nn::NamedTensor> out = module.named_parameters();
  for (nn::NamedTensor& b : module.named_buffers()) out.push_back(std::move(b));
  return out;
}

}  // namespace

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : options_(std::move(options)) {
  if (options_.patience < 0) {
    throw InvalidArgument("EarlyStopping: patience must be >= 0, got " + std::to_string(options_.patience));
  }
  if (!(options_.min_delta >= 0) || !std::isfinite(options_.min_delta)) {
    std::ostringstream got;
    got << options_.min_delta;
    throw InvalidArgument("EarlyStopping: min_delta must be finite and >= 0, got " + got.str());
  }
  const double inf = std::numeric_limits<double>::infinity();
  best_ = options_.mode == MetricMode::min ? inf : -inf;
}

EarlyStopping::EarlyStopping(nn::Module& module, EarlyStoppingOptions options) : EarlyStopping(std::move(options)) {
  module_ = &module;
}

bool EarlyStopping::improves(double metric) const {
  if (options_.mode == MetricMode::min) return metric < best_ - options_.min_delta;
  return metric > best_ + options_.min_delta;
}

bool EarlyStopping::update(double metric) {
  const std::int64_t epoch = epochs_++;
  if (improves(metric)) {
    best_ = metric;
    best_epoch_ = epoch;
    wait_ = 0;
    if (module_ && options_.restore_best) save_snapshot();
    return false;
  }
  ++wait_;
  if (wait_ < options_.patience) return false;
  if (!stopped_ && module_ && options_.restore_best && has_snapshot()) restore(*module_);
  stopped_ = true;
  return true;
}

void EarlyStopping::save_snapshot() {
  const std::vector<Tensor> weights = weights_of(*module_);
  if (weights.size() != snapshot_.size()) {
    // First snapshot (or the module changed): name and allocate the slots.
    snapshot_.assign(weights.size(), Tensor());
    names_.clear();
    for (const nn::NamedTensor& w : named_weights_of(*module_)) names_.push_back(w.name);
  }
  for (std::size_t i = 0; i < weights.size(); ++i) {
    Tensor& saved = snapshot_[i];
    // A slot is reallocated only when the module's tensor changed shape or
    // dtype (Module::to); otherwise the copy reuses it.
    if (!saved.defined() || saved.shape() != weights[i].shape() || saved.dtype() != weights[i].dtype()) {
      saved = zeros(weights[i].shape(), weights[i].dtype());
    }
    NoGrad no_grad;  // a snapshot, not a step of the graph
    saved.copy_(weights[i]);
  }
}

void EarlyStopping::restore(nn::Module& module) const {
  if (snapshot_.empty()) {
    throw std::logic_error("EarlyStopping::restore: no best weights were saved for '" + options_.monitor +
                           "' (they are saved when the stopper watches a module with restore_best and update() "
                           "sees an improvement)");
  }
  const std::vector<nn::NamedTensor> target = named_weights_of(module);
  if (target.size() != snapshot_.size()) {
    throw InvalidArgument("EarlyStopping::restore: the saved weights have " + std::to_string(snapshot_.size()) +
                          " parameters and buffers, the module " + module.type_name() + " has " +
                          std::to_string(target.size()));
  }
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i].name != names_[i] || target[i].tensor.shape() != snapshot_[i].shape()) {
      throw InvalidArgument("EarlyStopping::restore: saved '" + names_[i] + "' " + snapshot_[i].shape().str() +
                            " does not match the module's '" + target[i].name + "' " +
                            target[i].tensor.shape().str());
    }
  }
  NoGrad no_grad;  // parameters take values outside the graph
  for (std::size_t i = 0; i < target.size(); ++i) {
    Tensor destination = target[i].tensor;
    destination.copy_(snapshot_[i]);
  }
}

void EarlyStopping::restore() const {
  if (!module_) {
    throw std::logic_error("EarlyStopping::restore: no module is watched; pass the module to restore into");
  }
  restore(*module_);
}

std::string EarlyStopping::summary() const {
  std::ostringstream out;
  out << options_.monitor << ": ";
  if (best_epoch_ < 0) {
    out << "no epoch yet";
  } else {
    out << "best " << best_ << " at epoch " << best_epoch_ << ", " << wait_ << " epoch" << (wait_ == 1 ? "" : "s")
        << " without improvement";
  }
  out << " (patience " << options_.patience << ")";
  if (stopped_) out << ", stopped";
  return out.str();
}

}  // namespace tg::optim
