// The LR range test: geometric rates, a smoothed loss, a suggestion.
#include "tapegrad/optim/lr_finder.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"
#include "tapegrad/optim/plot.hpp"

namespace tg::optim {

namespace {

// Deep copies of a list of tensors, to put back later.
std::vector<Tensor> copies(const std::vector<Tensor>& tensors) {
  std::vector<Tensor> out;
  for (const Tensor& t : tensors) out.push_back(t.detach().clone());
  return out;
}

void check_options(const LrFinderOptions& o) {
  auto fail = [](const std::string& what) { throw InvalidArgument("lr_range_test: " + what); };
  if (!(o.start_lr > 0) || !std::isfinite(o.start_lr)) fail("start_lr must be finite and > 0");
  if (!(o.end_lr > o.start_lr) || !std::isfinite(o.end_lr)) fail("end_lr must be finite and > start_lr");
  if (!(o.factor > 1) || !std::isfinite(o.factor)) fail("factor must be finite and > 1");
  if (o.steps_per_rate < 1) fail("steps_per_rate must be >= 1");
  if (!(o.diverge_threshold > 1)) fail("diverge_threshold must be > 1");
  if (!(o.smoothing >= 0 && o.smoothing < 1)) fail("smoothing must be in [0, 1)");
  if (o.max_steps < 2) fail("max_steps must be >= 2");
}

}  // namespace

LrFinderResult lr_range_test(nn::Module& model, const LossFunction& loss, Optimizer& optimizer,
                             data::DataLoader& train, const LrFinderOptions& options) {
  check_options(options);
  if (!loss) throw InvalidArgument("lr_range_test: the loss function is empty");
  if (train.size() == 0) throw InvalidArgument("lr_range_test: the training loader yields no batches");

  // What to put back: weights, buffers, the optimizer's state (deep copies)
  // and every group's rate.
  const std::vector<Tensor> params = model.parameters(), buffers = model.buffers();
  const std::vector<Tensor> saved_params = copies(params), saved_buffers = copies(buffers);
  auto saved_state = optimizer.state();
  for (auto& [name, t] : saved_state) t = t.detach().clone();
  std::vector<double> saved_lrs;
  for (std::size_t g = 0; g < optimizer.group_count(); ++g) saved_lrs.push_back(optimizer.lr(g));
  const bool was_training = model.is_training();

  LrFinderResult r;
  model.train();
  double lr = options.start_lr, average = 0, best = std::numeric_limits<double>::infinity();
  std::int64_t step = 0;
  bool done = false;
  while (!done) {
    for (const data::Batch batch : train) {
      optimizer.set_lr(lr);
      const Tensor l = loss(model(batch.x), batch.y);
      const double value = l.item();
      r.lrs.push_back(lr);
      r.losses.push_back(value);
      // Bias-corrected exponential average, as in Smith's and fastai's finders.
      const double beta = 1 - options.smoothing;
      average = beta * average + (1 - beta) * value;
      const double smooth = options.smoothing > 0 ? average / (1 - std::pow(beta, static_cast<double>(step + 1))) : value;
      r.smoothed.push_back(smooth);
      ++step;
      if (!std::isfinite(smooth) || smooth > options.diverge_threshold * best) {
        r.diverged = true;
        done = true;
        break;
      }
      best = std::min(best, smooth);
      optimizer.zero_grad();
      l.backward();
      optimizer.step();
      if (step % options.steps_per_rate == 0) lr *= options.factor;
      if (lr > options.end_lr * (1 + 1e-12) || step >= options.max_steps) {
        done = true;
        break;
      }
    }
  }

  // The suggestion: steepest fall of the smoothed loss per decade of rate,
  // among the points up to the minimum.
  std::size_t lowest = 0;
  for (std::size_t i = 0; i < r.smoothed.size(); ++i)
    if (std::isfinite(r.smoothed[i]) && r.smoothed[i] < r.smoothed[lowest]) lowest = i;
  r.min_loss_lr = r.lrs[lowest];
  r.suggested_lr = r.lrs[lowest];
  double steepest = 0;
  for (std::size_t i = 1; i <= lowest; ++i) {
    const double run = std::log10(r.lrs[i]) - std::log10(r.lrs[i - 1]);
    if (run <= 0) continue;  // same rate (steps_per_rate > 1): no slope over log(lr)
    const double slope = (r.smoothed[i] - r.smoothed[i - 1]) / run;
    if (slope < steepest) {
      steepest = slope;
      r.suggested_lr = r.lrs[i - 1];
    }
  }

  if (options.restore) {
    NoGrad no_grad;
    for (std::size_t i = 0; i < params.size(); ++i) Tensor(params[i]).copy_(saved_params[i]);
    for (std::size_t i = 0; i < buffers.size(); ++i) Tensor(buffers[i]).copy_(saved_buffers[i]);
    optimizer.load_state(saved_state);
    for (std::size_t g = 0; g < saved_lrs.size(); ++g) optimizer.set_lr(g, saved_lrs[g]);
    optimizer.zero_grad();
  }
  model.train(was_training);

  if (!options.plot_path.empty()) {
    Chart chart;
    chart.title = "learning-rate range test";
    chart.x_label = "learning rate";
    chart.y_label = "loss";
    chart.log_x = true;
    chart.series.push_back({"batch loss", r.lrs, r.losses, true});
    chart.series.push_back({"smoothed", r.lrs, r.smoothed});
    chart.has_marker = true;
    chart.marker_x = r.suggested_lr;
    std::ostringstream label;
    label << "suggested " << r.suggested_lr;
    chart.marker_label = label.str();
    write_svg(options.plot_path, {chart});
  }
  return r;
}

}  // namespace tg::optim
