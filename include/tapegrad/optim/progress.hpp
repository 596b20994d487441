// A progress bar for training epochs: redrawn in place on a terminal, one
// plain line per epoch otherwise (CI logs, files).
#pragma once

#include "../requires_cxx20.hpp"

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tg::optim {

/// Metric names and values in display order.
using Metrics = std::vector<std::pair<std::string, double>>;

struct ProgressOptions {
  /// Where to draw; standard output when null.
  std::ostream* out = nullptr;
  /// Redraw in place (true) or print one line at the end (false). Unset:
  /// true when standard output is a terminal and TERM is not "dumb".
  std::optional<bool> interactive{};
  int bar_width = 24;
};

/// `epoch 3/10 [=========>      ] 120/469 loss 0.4213 accuracy 0.8512 5,120 samples/s ETA 0:07`
class ProgressBar {
 public:
  ProgressBar(std::string label, std::int64_t total_batches, const ProgressOptions& options = {});
  /// After `done` batches (of total_batches) and `samples` samples in all,
  /// with the running metrics. Redraws at most ten times a second.
  void update(std::int64_t done, std::int64_t samples, const Metrics& running);
  /// Ends the epoch: the final line with `metrics` (training and validation).
  void finish(const Metrics& metrics);
  /// Seconds since construction.
  double elapsed() const;
  bool interactive() const { return interactive_; }

 private:
  std::string line(std::int64_t done, const Metrics& metrics, bool final) const;
  std::string label_;
  std::int64_t total_;
  std::int64_t done_ = 0, samples_ = 0;
  std::ostream* out_;
  bool interactive_;
  int bar_width_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::size_t last_length_ = 0;
};

}  // namespace tg::optim
