// The per-epoch record of a training run: kept in memory, written to CSV,
// drawn as SVG.
#pragma once

#include "../requires_cxx20.hpp"

#include <string>
#include <vector>

namespace tg::optim {

/// One row per epoch, one column per metric ("loss", "accuracy",
/// "val_loss", "val_accuracy", "lr", "seconds", ...), in the order metrics
/// first appear. A metric missing from an epoch is NaN (an empty CSV cell).
class History {
 public:
  /// Starts the row of the next epoch (epochs count from 1).
  void begin_epoch();
  /// Sets a metric of the current epoch; begins the first epoch if none.
  void set(const std::string& metric, double value);

  int epochs() const { return static_cast<int>(rows_.size()); }
  const std::vector<std::string>& metrics() const { return names_; }
  bool has(const std::string& metric) const;
  /// The metric's value at every epoch; throws naming the known metrics when
  /// there is no such metric.
  std::vector<double> values(const std::string& metric) const;
  /// The value at the last epoch.
  double last(const std::string& metric) const;

  /// "epoch,loss,accuracy,..." then a row per epoch, full precision.
  std::string csv() const;
  /// Writes csv() to `path`; throws std::runtime_error naming the path on failure.
  void write_csv(const std::string& path) const;
  /// One chart per metric, with its "val_" twin on the same axes (dashed):
  /// loss and accuracy per epoch, train and validation.
  void write_svg(const std::string& path, const std::string& title = "") const;

 private:
  std::size_t column(const std::string& metric);
  std::vector<std::string> names_;
  std::vector<std::vector<double>> rows_;
};

}  // namespace tg::optim
