// DataLoader: a data set in batches, shuffled by seed, epoch after epoch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <vector>

#include "dataset.hpp"

namespace tg::data {

/// Options of DataLoader: `DataLoader loader(train, {.batch_size = 64, .shuffle = true, .seed = 1});`.
struct LoaderOptions {
  std::int64_t batch_size = 32;
  /// A new order each epoch, drawn from (seed, epoch) alone: a run is
  /// reproducible, and epoch 7 has the same order whether or not epochs 0-6
  /// ran in this process (resuming from a checkpoint, see set_epoch).
  bool shuffle = false;
  std::uint64_t seed = 0;
  /// Drop the last batch when it has fewer than batch_size examples.
  bool drop_last = false;
  /// Data-parallel training: this process's rank among world_size
  /// processes. Each rank iterates its own shard of every epoch's order (the
  /// same permutation on every rank, from the shared seed): the entries
  /// rank, rank + world_size, ..., wrapping around so that every shard has
  /// ceil(N / world_size) examples (PyTorch's DistributedSampler).
  int rank = 0;
  int world_size = 1;
};

/// Batches of a data set, for a range-for:
///
///     data::DataLoader loader(train, {.batch_size = 32, .shuffle = true, .seed = 42});
///     for (int epoch = 0; epoch < 10; ++epoch)
///       for (auto [x, y] : loader) { ... }   // x (32, ...), y (32, ...)
///
/// Each begin() starts one epoch, the one epoch() names, and moves epoch() on
/// by one, so consecutive loops see consecutive epochs. Each epoch visits
/// every example exactly once (the last batch is smaller, or dropped with
/// drop_last). Batches are copies made when an iterator is dereferenced; the
/// loader (and its data set's tensors, which it shares) must outlive its
/// iterators.
class DataLoader {
 public:
  /// An input iterator over one epoch's batches.
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Batch;

    Iterator() = default;
    /// The current batch: x (B, ...) and y (B, ...), B = batch_size except
    /// perhaps for the last batch.
    Batch operator*() const;
    Iterator& operator++() {
      ++batch_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator before = *this;
      ++batch_;
      return before;
    }
    /// Position within the epoch (0 for the first batch).
    std::int64_t index() const { return batch_; }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.batch_ == b.batch_; }

   private:
    friend class DataLoader;
    Iterator(const DataLoader* loader, std::shared_ptr<const std::vector<std::int64_t>> order, std::int64_t batch)
        : loader_(loader), order_(std::move(order)), batch_(batch) {}
    const DataLoader* loader_ = nullptr;
    std::shared_ptr<const std::vector<std::int64_t>> order_;  ///< null: examples in order
    std::int64_t batch_ = 0;
  };

  /// Throws InvalidArgument for batch_size < 1 or an invalid (rank, world_size).
  DataLoader(Dataset dataset, const LoaderOptions& options = {});

  /// Batches per epoch: ceil(M / batch_size), or floor with drop_last, where
  /// M = examples_per_epoch().
  std::int64_t size() const;
  const Dataset& dataset() const { return dataset_; }
  const LoaderOptions& options() const { return options_; }

  /// The epoch the next begin() iterates (0 at first).
  std::int64_t epoch() const { return epoch_; }
  /// Makes the next begin() iterate epoch `epoch` (>= 0), e.g. when resuming.
  void set_epoch(std::int64_t epoch);
  /// Examples this rank visits per epoch: N, or ceil(N / world_size) when sharded.
  std::int64_t examples_per_epoch() const;
  /// The example indices of `epoch` in the order its batches take them:
  /// 0..N−1 without shuffle, else a permutation that depends on (seed,
  /// epoch) only; this rank's shard of it when world_size > 1. With drop_last, the entries past size() · batch_size are
  /// the examples left out of that epoch.
  std::vector<std::int64_t> order(std::int64_t epoch) const;

  /// Starts epoch(), then moves epoch() on by one.
  Iterator begin();
  Iterator end() const;

 private:
  Batch batch_at(const std::vector<std::int64_t>* order, std::int64_t b) const;

  Dataset dataset_;
  LoaderOptions options_;
  std::int64_t epoch_ = 0;
};

}  // namespace tg::data
