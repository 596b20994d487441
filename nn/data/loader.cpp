// DataLoader: one permutation per epoch, seeded from (seed, epoch).
#include "tapegrad/nn/data/loader.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "tapegrad/autodiff/creation.hpp"

namespace tg::data {

namespace {

// SplitMix64 of the seed and the epoch: neighbouring epochs (and seeds) get
// unrelated generator seeds.
std::uint64_t epoch_seed(std::uint64_t seed, std::int64_t epoch) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (static_cast<std::uint64_t>(epoch) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

DataLoader::DataLoader(Dataset dataset, const LoaderOptions& options)
    : dataset_(std::move(dataset)), options_(options) {
  if (options_.batch_size < 1) {
    throw InvalidArgument("DataLoader: batch_size must be at least 1, got " + std::to_string(options_.batch_size));
  }
  if (options_.world_size < 1 || options_.rank < 0 || options_.rank >= options_.world_size) {
    throw InvalidArgument("DataLoader: rank " + std::to_string(options_.rank) + " of world_size " +
                          std::to_string(options_.world_size) + " is not a process (need 0 <= rank < world_size)");
  }
}

std::int64_t DataLoader::examples_per_epoch() const {
  const std::int64_t n = dataset_.size(), w = options_.world_size;
  return (n + w - 1) / w;
}

std::int64_t DataLoader::size() const {
  const std::int64_t n = examples_per_epoch(), b = options_.batch_size;
  // 1 + (n − 1) / b rather than (n + b − 1) / b: b may be INT64_MAX.
  return options_.drop_last || n == 0 ? n / b : 1 + (n - 1) / b;
}

void DataLoader::set_epoch(std::int64_t epoch) {
  if (epoch < 0) throw InvalidArgument("DataLoader::set_epoch: epoch must be >= 0, got " + std::to_string(epoch));
  epoch_ = epoch;
}

std::vector<std::int64_t> DataLoader::order(std::int64_t epoch) const {
  std::vector<std::int64_t> all(static_cast<std::size_t>(dataset_.size()));
  if (options_.shuffle) {
    Generator gen(epoch_seed(options_.seed, epoch));
    all = randperm(dataset_.size(), gen).to_vector<std::int64_t>();
  } else {
    std::iota(all.begin(), all.end(), std::int64_t{0});
  }
  if (options_.world_size == 1) return all;
  // Every rank takes every world_size-th entry from its rank on, the order
  // wrapping around so that all shards have examples_per_epoch() entries
  // (PyTorch's DistributedSampler): the ranks step in lockstep.
  const auto world = static_cast<std::size_t>(options_.world_size);
  std::vector<std::int64_t> shard;
  for (std::size_t k = 0; k < static_cast<std::size_t>(examples_per_epoch()); ++k) {
    shard.push_back(all[(k * world + static_cast<std::size_t>(options_.rank)) % all.size()]);
  }
  return shard;
}

DataLoader::Iterator DataLoader::begin() {
  std::shared_ptr<const std::vector<std::int64_t>> shuffled;
  // Without shuffling or sharding the order is 0..N−1: batches are plain slices.
  if (options_.shuffle || options_.world_size > 1) {
    shuffled = std::make_shared<const std::vector<std::int64_t>>(order(epoch_));
  }
  ++epoch_;
  return Iterator(this, std::move(shuffled), 0);
}

DataLoader::Iterator DataLoader::end() const { return Iterator(this, nullptr, size()); }

Batch DataLoader::batch_at(const std::vector<std::int64_t>* order, std::int64_t b) const {
  if (b < 0 || b >= size()) {
    throw AxisError("DataLoader: batch " + std::to_string(b) + " is past the end of the epoch (" +
                    std::to_string(size()) + " batches)");
  }
  const std::int64_t start = b * options_.batch_size;
  const std::int64_t stop = start + std::min(options_.batch_size, examples_per_epoch() - start);
  if (order == nullptr) return dataset_.batch(start, stop);
  return dataset_.select(std::vector<std::int64_t>(order->begin() + start, order->begin() + stop));
}

Batch DataLoader::Iterator::operator*() const {
  if (loader_ == nullptr) throw InvalidArgument("DataLoader::Iterator: dereferencing an iterator of no loader");
  return loader_->batch_at(order_.get(), batch_);
}

}  // namespace tg::data
