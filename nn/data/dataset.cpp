// Dataset: selections of examples through the shape ops (slice,
// index_select), run with the tape off.
#include "tapegrad/nn/data/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg::data {

namespace {

Shape example_shape(const Tensor& t) {
  Shape s;
  for (int a = 1; a < t.rank(); ++a) s.push_back(t.shape()[a]);
  return s;
}

}  // namespace

Dataset::Dataset(Tensor features, Tensor targets, Site site)
    : features_(std::move(features)), targets_(std::move(targets)) {
  if (!features_.defined()) throw InvalidArgument("Dataset: the features tensor is undefined", site);
  if (features_.rank() < 1) {
    throw ShapeError("Dataset: features need a first axis of examples, got a scalar " + features_.shape().str(), site);
  }
  if (targets_.defined()) {
    if (targets_.rank() < 1) {
      throw ShapeError("Dataset: targets need a first axis of examples, got a scalar " + targets_.shape().str(), site);
    }
    if (targets_.size(0) != features_.size(0)) {
      throw ShapeError("Dataset: features " + features_.shape().str() + " and targets " + targets_.shape().str() +
                           " differ in the number of examples (" + std::to_string(features_.size(0)) + " vs " +
                           std::to_string(targets_.size(0)) + ")",
                       site);
    }
  }
}

std::int64_t Dataset::size() const { return features_.defined() ? features_.size(0) : 0; }

Batch Dataset::get(std::int64_t i, Site site) const {
  if (i < 0 || i >= size()) {
    throw AxisError("Dataset::get: index " + std::to_string(i) + " is out of range for " + std::to_string(size()) +
                        " examples",
                    site);
  }
  NoGrad no_grad;
  Batch one;
  one.x = reshape(slice(features_, 0, i, i + 1), example_shape(features_));
  if (targets_.defined()) one.y = reshape(slice(targets_, 0, i, i + 1), example_shape(targets_));
  return one;
}

Batch Dataset::batch(std::int64_t begin, std::int64_t end, Site site) const {
  if (begin < 0 || begin > end || end > size()) {
    throw AxisError("Dataset::batch: range [" + std::to_string(begin) + ", " + std::to_string(end) +
                        ") is not within the " + std::to_string(size()) + " examples (0 <= begin <= end <= " +
                        std::to_string(size()) + ")",
                    site);
  }
  NoGrad no_grad;
  Batch b;
  b.x = slice(features_, 0, begin, end);
  if (targets_.defined()) b.y = slice(targets_, 0, begin, end);
  return b;
}

Batch Dataset::select(const std::vector<std::int64_t>& indices, Site site) const {
  const std::int64_t n = size();
  for (std::size_t k = 0; k < indices.size(); ++k) {
    if (indices[k] < 0 || indices[k] >= n) {
      throw AxisError("Dataset::select: index " + std::to_string(indices[k]) + " (entry " + std::to_string(k) +
                          ") is out of range for " + std::to_string(n) + " examples",
                      site);
    }
  }
  if (!features_.defined()) return {};
  NoGrad no_grad;
  const Tensor idx = from_vector(indices, Shape{static_cast<std::int64_t>(indices.size())});
  Batch b;
  b.x = index_select(features_, 0, idx);
  if (targets_.defined()) b.y = index_select(targets_, 0, idx);
  return b;
}

Dataset Dataset::subset(const std::vector<std::int64_t>& indices, Site site) const {
  Batch b = select(indices, site);
  if (!b.x.defined()) return {};
  return Dataset(b.x, b.y, site);
}

Split Dataset::split(double fraction, std::uint64_t seed, Site site) const {
  if (!(fraction >= 0 && fraction <= 1)) {
    throw InvalidArgument("Dataset::split: fraction must be in [0, 1], got " + std::to_string(fraction), site);
  }
  const std::int64_t n = size();
  const auto n_validation = static_cast<std::int64_t>(std::llround(fraction * static_cast<double>(n)));
  Generator gen(seed);
  const std::vector<std::int64_t> order = randperm(n, gen).to_vector<std::int64_t>();
  std::vector<std::int64_t> validation(order.begin(), order.begin() + n_validation);
  std::vector<std::int64_t> train(order.begin() + n_validation, order.end());
  std::sort(validation.begin(), validation.end());
  std::sort(train.begin(), train.end());
  return {subset(train, site), subset(validation, site)};
}

}  // namespace tg::data
