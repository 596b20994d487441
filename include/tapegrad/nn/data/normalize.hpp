// Normalising inputs: scaling to [0, 1], and standardising with statistics
// of the training split applied unchanged to the others.
#pragma once

#include <optional>

#include "../../autodiff/tensor.hpp"

namespace tg::data {

/// x / max: pixel values 0..255 -> [0, 1] with max = 255. Without `max`,
/// divides by x's largest value (which must be positive). For non-negative
/// data. float32 for integer input, the same dtype for float input.
Tensor scale_to_unit(const Tensor& x, std::optional<double> max = std::nullopt, Site site = Site::current());

/// Options of Standardizer::fit.
struct StandardizerOptions {
  /// One mean and standard deviation per feature (over the first axis, the
  /// examples: shape x.shape[1:]), or a single pair over all values.
  bool per_feature = true;
  /// A standard deviation below this is taken as 1 (a constant feature is
  /// centred, not divided by ~0).
  double min_std = 1e-8;
};

/// (x − mean) / std with mean and std computed once, on the training split:
///
///     auto standardize = data::Standardizer::fit(train.features());
///     Tensor x_train = standardize(train.features());
///     Tensor x_test  = standardize(test.features());   // the training split's statistics
///
/// The statistics are population ones (divide by N), accumulated in float64.
class Standardizer {
 public:
  /// Computes the statistics of `train` (N, ...), N >= 1; throws
  /// InvalidArgument for an undefined, scalar or empty tensor.
  static Standardizer fit(const Tensor& train, const StandardizerOptions& options = {},
                          Site site = Site::current());

  /// (x − mean) / std for x (..., features) whose trailing axes match the
  /// fitted feature shape (any leading axes: a batch, or one example); float32
  /// for integer input. Taped ops: differentiable in x. Throws ShapeError for
  /// another feature shape.
  Tensor apply(const Tensor& x, Site site = Site::current()) const;
  Tensor operator()(const Tensor& x, Site site = Site::current()) const { return apply(x, site); }
  /// x · std + mean: back to the original units.
  Tensor inverse(const Tensor& x, Site site = Site::current()) const;

  /// float64, shape x.shape[1:] per feature or () globally. `std` holds the
  /// divisor actually used (min_std applied).
  const Tensor& mean() const { return mean_; }
  const Tensor& std() const { return std_; }

 private:
  Tensor mean_;
  Tensor std_;
  void check_fitted(const Tensor& x, const char* op, const Site& site) const;
};

}  // namespace tg::data
