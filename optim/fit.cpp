// The training loop and evaluation.
#include "tapegrad/optim/fit.hpp"

#include <chrono>
#include <iostream>
#include <cmath>
#include <limits>
#include <sstream>

#include "tapegrad/autodiff/dispatch.hpp"
#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"
#include "tapegrad/autodiff/memory.hpp"
#include "tapegrad/optim/clip.hpp"

namespace tg::optim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Restores a module's training mode when it goes out of scope.
class ModeRestore {
 public:
  explicit ModeRestore(nn::Module& m) : module_(m), training_(m.is_training()) {}
  ~ModeRestore() { module_.train(training_); }

 private:
  nn::Module& module_;
  bool training_;
};

template <class T>
std::int64_t correct_classes(const Tensor& output, const Tensor& target) {
  const T* out = output.data<T>();
  const std::int64_t* labels = target.data<std::int64_t>();
  const std::int64_t n = output.size(0), classes = output.size(1);
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const T* row = out + i * classes;
    std::int64_t best = 0;
    for (std::int64_t c = 1; c < classes; ++c)
      if (row[c] > row[best]) best = c;
    correct += best == labels[i];
  }
  return correct;
}

template <class T>
std::int64_t correct_binary(const Tensor& output, const Tensor& target) {
  const T* out = output.data<T>();
  const std::vector<double> t = target.to_vector<double>();
  std::int64_t correct = 0;
  for (std::size_t i = 0; i < t.size(); ++i) correct += (out[i] > 0) == (t[i] > 0.5);
  return correct;
}

// Turns one process's totals into the job's; nothing without a reducer.
void sum_over_processes(const SumAcrossProcesses& sum, double& loss_sum, std::int64_t& correct,
                        std::int64_t& examples, bool& measured) {
  if (!sum) return;
  std::vector<double> totals{loss_sum, static_cast<double>(correct), static_cast<double>(examples),
                             measured ? 0.0 : 1.0};
  sum(totals);
  loss_sum = totals[0];
  correct = static_cast<std::int64_t>(totals[1]);
  examples = static_cast<std::int64_t>(totals[2]);
  measured = totals[3] == 0;  // measured only when every process measured it
}

double batch_loss(const Tensor& loss, const char* where) {
  if (!loss.defined() || loss.numel() != 1) {
    throw ShapeError(std::string(where) + ": the loss function must return a one-element tensor (reduce with mean), got " +
                     (loss.defined() ? loss.shape().str() : "undefined"));
  }
  return loss.item();
}

}  // namespace

std::int64_t count_correct(const Tensor& output, const Tensor& target, Accuracy accuracy) {
  if (accuracy == Accuracy::none || !output.defined() || !target.defined()) return -1;
  const bool floating = is_floating(output.dtype());
  const bool class_shapes = floating && output.rank() == 2 && target.dtype() == i64 && target.rank() == 1 &&
                            target.size(0) == output.size(0);
  if (accuracy == Accuracy::automatic) accuracy = class_shapes ? Accuracy::classes : Accuracy::none;
  if (accuracy == Accuracy::classes) {
    if (!class_shapes) return -1;
    return dispatch_floating(output.dtype(), "fit", [&]<class T>() { return correct_classes<T>(output, target); });
  }
  if (accuracy == Accuracy::binary) {
    if (!floating || output.numel() != target.numel()) return -1;
    return dispatch_floating(output.dtype(), "fit", [&]<class T>() { return correct_binary<T>(output, target); });
  }
  return -1;
}

Evaluation evaluate(nn::Module& model, const LossFunction& loss, data::DataLoader& loader, Accuracy accuracy,
                    const SumAcrossProcesses& sum_across_processes) {
  ModeRestore restore(model);
  model.eval();
  NoGrad no_grad;
  Evaluation result;
  double loss_sum = 0;
  std::int64_t correct = 0;
  bool measured = accuracy != Accuracy::none;
  for (const data::Batch batch : loader) {
    const Tensor output = model(batch.x);
    const std::int64_t n = batch.x.size(0);
    loss_sum += batch_loss(loss(output, batch.y), "evaluate") * static_cast<double>(n);
    const std::int64_t c = count_correct(output, batch.y, accuracy);
    if (c < 0) measured = false;
    correct += std::max<std::int64_t>(c, 0);
    result.examples += n;
  }
  sum_over_processes(sum_across_processes, loss_sum, correct, result.examples, measured);
  if (result.examples == 0) throw InvalidArgument("evaluate: the loader yields no examples");
  result.loss = loss_sum / static_cast<double>(result.examples);
  result.accuracy = measured ? static_cast<double>(correct) / static_cast<double>(result.examples) : kNaN;
  return result;
}

FitResult fit(nn::Module& model, const LossFunction& loss, Optimizer& optimizer, data::DataLoader& train,
              const FitOptions& options) {
  if (!loss) throw InvalidArgument("fit: the loss function is empty");
  if (options.epochs < 0) throw InvalidArgument("fit: epochs must be >= 0, got " + std::to_string(options.epochs));
  if (options.clip_grad_norm < 0) throw InvalidArgument("fit: clip_grad_norm must be >= 0 (0 is off)");
  if (train.size() == 0) throw InvalidArgument("fit: the training loader yields no batches");
  FitResult result;
  History& history = result.history;
  const std::vector<Tensor> params = model.parameters();
  model.train();

  for (int epoch = 1; epoch <= options.epochs && result.stop_reason.empty(); ++epoch) {
    for (const Callback& c : options.callbacks)
      if (c.on_epoch_begin) c.on_epoch_begin(epoch);
    const auto start = std::chrono::steady_clock::now();
    ProgressBar bar("epoch " + std::to_string(epoch) + "/" + std::to_string(options.epochs), train.size(),
                    options.progress);
    double loss_sum = 0;
    std::int64_t seen = 0, correct = 0, batch_index = 0;
    bool measured = options.accuracy != Accuracy::none;
    for (const data::Batch batch : train) {
      ++batch_index;
      const Tensor output = model(batch.x);
      const Tensor l = loss(output, batch.y);
      double value = batch_loss(l, "fit");
      optimizer.zero_grad();
      l.backward();
      // Every process of a data-parallel job averages here, so all of them
      // see the same loss and stop together at a non-finite one.
      if (options.after_backward) options.after_backward(value);
      if (!std::isfinite(value)) {
        result.stop_reason = "non-finite loss at epoch " + std::to_string(epoch) + ", batch " +
                             std::to_string(batch_index) + " (" + (std::isnan(value) ? "nan" : "inf") +
                             "): lower the learning rate, clip gradients, or check the data";
        break;
      }
      if (options.clip_grad_norm > 0) clip_grad_norm(params, options.clip_grad_norm);
      optimizer.step();
      if (options.scheduler && !options.schedule_per_epoch) options.scheduler->step();

      const std::int64_t n = batch.x.size(0);
      loss_sum += value * static_cast<double>(n);
      seen += n;
      {
        NoGrad no_grad;
        const std::int64_t c = count_correct(output, batch.y, options.accuracy);
        if (c < 0) measured = false;
        correct += std::max<std::int64_t>(c, 0);
      }
      for (const Callback& c : options.callbacks)
        if (c.on_batch_end) c.on_batch_end({epoch, batch_index, train.size(), value, output, batch.y});
      if (options.verbose) {
        Metrics running{{"loss", loss_sum / static_cast<double>(seen)}};
        if (measured) running.emplace_back("accuracy", static_cast<double>(correct) / static_cast<double>(seen));
        bar.update(batch_index, seen, running);
      }
    }

    sum_over_processes(options.sum_across_processes, loss_sum, correct, seen, measured);
    history.begin_epoch();
    if (seen > 0) {
      history.set("loss", loss_sum / static_cast<double>(seen));
      if (measured) history.set("accuracy", static_cast<double>(correct) / static_cast<double>(seen));
    }
    if (options.validation && result.stop_reason.empty()) {
      // Validation asks for other sizes than training (its own batch size,
      // no saved activations): each phase gives back what it cached before
      // the other runs (see Note [The pool follows the working set]).
      tg::release_cached_memory();
      const Evaluation v = evaluate(model, loss, *options.validation, options.accuracy, options.sum_across_processes);
      tg::release_cached_memory();
      history.set("val_loss", v.loss);
      if (!std::isnan(v.accuracy)) history.set("val_accuracy", v.accuracy);
    }
    history.set("lr", optimizer.lr());
    history.set("seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    result.epochs_run = epoch;

    if (options.scheduler && options.schedule_per_epoch) options.scheduler->step();
    if (options.plateau && result.stop_reason.empty()) options.plateau->step(history.last(options.plateau_monitor));
    for (const Callback& c : options.callbacks) {
      if (c.on_epoch_end && c.on_epoch_end(epoch, history) && result.stop_reason.empty()) result.stop_reason = "callback";
    }
    if (options.early_stopping && result.stop_reason.empty()) {
      const std::string& monitor = options.early_stopping->options().monitor;
      if (options.early_stopping->update(history.last(monitor))) result.stop_reason = "early stopping";
    }
    if (options.verbose) {
      Metrics final_metrics;
      for (const std::string& name : history.metrics()) {
        if (name == "seconds") continue;
        const double v = history.last(name);
        if (!std::isnan(v)) final_metrics.emplace_back(name, v);
      }
      bar.finish(final_metrics);
      if (!result.stop_reason.empty()) {
        std::ostream& out = options.progress.out ? *options.progress.out : std::cout;
        out << "stopped: " << result.stop_reason;
        if (result.stop_reason == "early stopping") out << " (" << options.early_stopping->summary() << ")";
        out << "\n";
      }
    }
    if (options.writes_output && !options.history_csv.empty()) history.write_csv(options.history_csv);
    if (options.writes_output && !options.history_svg.empty()) history.write_svg(options.history_svg);
  }
  model.train();
  return result;
}

}  // namespace tg::optim
