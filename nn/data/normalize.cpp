// scale_to_unit and Standardizer: statistics in float64 loops over the raw
// values, the transforms in taped ops.
#include "tapegrad/nn/data/normalize.hpp"

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/dispatch.hpp"
#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg::data {

namespace {

Tensor as_float(const Tensor& x, Site site) { return is_floating(x.dtype()) ? x : to_dtype(x, f32, site); }

// Per column c of `rows` × `cols` values: the mean and the population
// standard deviation, two passes in double.
template <class T>
void moments(const T* v, std::int64_t rows, std::int64_t cols, std::vector<double>& mean, std::vector<double>& stdev) {
  const auto c_size = static_cast<std::size_t>(cols);
  mean.assign(c_size, 0.0);
  stdev.assign(c_size, 0.0);
  const auto r_size = static_cast<std::size_t>(rows);
  for (std::size_t r = 0; r < r_size; ++r) {
    for (std::size_t c = 0; c < c_size; ++c) mean[c] += static_cast<double>(v[r * c_size + c]);
  }
  for (double& m : mean) m /= static_cast<double>(rows);
  for (std::size_t r = 0; r < r_size; ++r) {
    for (std::size_t c = 0; c < c_size; ++c) {
      const double d = static_cast<double>(v[r * c_size + c]) - mean[c];
      stdev[c] += d * d;
    }
  }
  for (double& s : stdev) s = std::sqrt(s / static_cast<double>(rows));
}

}  // namespace

Tensor scale_to_unit(const Tensor& x, std::optional<double> max, Site site) {
  if (!x.defined()) throw InvalidArgument("scale_to_unit: the tensor is undefined", site);
  const Tensor xf = as_float(x, site);
  double divisor = 0;
  if (max) {
    divisor = *max;
    if (!(divisor > 0 && std::isfinite(divisor))) {
      throw InvalidArgument("scale_to_unit: max must be positive and finite, got " + number_str(divisor), site);
    }
  } else {
    if (x.numel() == 0) throw InvalidArgument("scale_to_unit: x " + x.shape().str() + " has no values", site);
    NoGrad no_grad;
    divisor = tg::max(xf).item();
    if (!(divisor > 0 && std::isfinite(divisor))) {
      throw InvalidArgument("scale_to_unit: the largest value of x " + x.shape().str() + " is " +
                                number_str(divisor) + ", expected a positive finite one; pass max explicitly",
                            site);
    }
  }
  return xf / divisor;
}

Standardizer Standardizer::fit(const Tensor& train, const StandardizerOptions& options, Site site) {
  if (!train.defined()) throw InvalidArgument("Standardizer::fit: the tensor is undefined", site);
  if (train.rank() < 1 || train.size(0) == 0) {
    throw InvalidArgument("Standardizer::fit: expected examples (N, ...) with N >= 1, got " + train.shape().str(),
                          site);
  }
  Shape feature_shape;
  for (int a = 1; a < train.rank(); ++a) feature_shape.push_back(train.shape()[a]);
  const std::int64_t rows = options.per_feature ? train.size(0) : train.numel();
  const std::int64_t cols = options.per_feature ? feature_shape.numel() : 1;

  std::vector<double> mean, stdev;
  dispatch_all(train.dtype(), [&]<class T>() { moments(train.data<T>(), rows, cols, mean, stdev); });
  for (double& s : stdev) {
    if (s < options.min_std) s = 1.0;  // a constant feature; NaN (from NaN data) stays NaN
  }

  Standardizer out;
  const Shape stats_shape = options.per_feature ? feature_shape : Shape{};
  out.mean_ = from_vector(mean, stats_shape, f64);
  out.std_ = from_vector(stdev, stats_shape, f64);
  return out;
}

void Standardizer::check_fitted(const Tensor& x, const char* op, const Site& site) const {
  if (!mean_.defined()) throw InvalidArgument(std::string(op) + ": the Standardizer was not fitted (use fit)", site);
  if (!x.defined()) throw InvalidArgument(std::string(op) + ": the tensor is undefined", site);
  const Shape& fs = mean_.shape();
  bool ok = x.rank() >= fs.rank();
  for (int a = 0; ok && a < fs.rank(); ++a) ok = x.shape()[x.rank() - fs.rank() + a] == fs[a];
  if (!ok) {
    throw ShapeError(std::string(op) + ": x " + x.shape().str() + " does not end in the feature shape " + fs.str() +
                         " the Standardizer was fitted on",
                     site);
  }
}

Tensor Standardizer::apply(const Tensor& x, Site site) const {
  check_fitted(x, "Standardizer::apply", site);
  const Tensor xf = as_float(x, site);
  return (xf - to_dtype(mean_, xf.dtype(), site)) / to_dtype(std_, xf.dtype(), site);
}

Tensor Standardizer::inverse(const Tensor& x, Site site) const {
  check_fitted(x, "Standardizer::inverse", site);
  const Tensor xf = as_float(x, site);
  return xf * to_dtype(std_, xf.dtype(), site) + to_dtype(mean_, xf.dtype(), site);
}

}  // namespace tg::data
