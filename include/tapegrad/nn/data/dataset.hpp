// An in-memory data set: a tensor of features and a tensor of targets whose
// first axis counts the examples.
#pragma once

#include <cstdint>
#include <vector>

#include "../../autodiff/tensor.hpp"

namespace tg::data {

/// Inputs and targets of some examples: `auto [x, y] = dataset.batch(0, 32);`.
/// `y` is undefined for a data set without targets.
struct Batch {
  Tensor x;
  Tensor y;
};

struct Split;

/// Examples held in memory: features (N, ...) and targets (N, ...) or none.
/// Copies share the tensors. Selecting examples copies them into new tensors
/// and records nothing on the tape (data does not require grad).
class Dataset {
 public:
  /// An empty data set (size 0, no tensors).
  Dataset() = default;
  /// `features` of rank >= 1; `targets` undefined, or of rank >= 1 with as
  /// many examples (the same first extent). Throws ShapeError otherwise.
  explicit Dataset(Tensor features, Tensor targets = {}, Site site = Site::current());

  /// Number of examples N.
  std::int64_t size() const;
  const Tensor& features() const { return features_; }
  const Tensor& targets() const { return targets_; }

  /// Example `i` (0 <= i < N): x of shape features.shape[1:], y of shape
  /// targets.shape[1:] (a 0-d label). Throws AxisError outside the range.
  Batch get(std::int64_t i, Site site = Site::current()) const;
  /// Examples begin..end-1 (0 <= begin <= end <= N), in order: x (end − begin, ...).
  Batch batch(std::int64_t begin, std::int64_t end, Site site = Site::current()) const;
  /// The examples at `indices` (each in 0..N−1; repeats allowed), in that order.
  Batch select(const std::vector<std::int64_t>& indices, Site site = Site::current()) const;
  /// A data set of the examples at `indices`, in that order.
  Dataset subset(const std::vector<std::int64_t>& indices, Site site = Site::current()) const;

  /// A random split for validation: `validation` holds round(fraction · N)
  /// examples drawn by a permutation seeded with `seed`, `train` the rest;
  /// both keep the examples in their original order. 0 <= fraction <= 1.
  Split split(double fraction, std::uint64_t seed = 0, Site site = Site::current()) const;

 private:
  Tensor features_;
  Tensor targets_;
};

/// The two parts of Dataset::split: `auto [train, validation] = ds.split(0.1, 42);`.
struct Split {
  Dataset train;
  Dataset validation;
};

}  // namespace tg::data
