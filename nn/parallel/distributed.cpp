// DistributedDataParallel: rank 0's weights on every rank, then gradients
// averaged by bucketed allreduce after each backward.
#include "tapegrad/nn/parallel/distributed.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <string>

#include "mpi_check.hpp"
#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/dispatch.hpp"

namespace tg::nn::parallel {

namespace {

// Note [Gradient buckets]
// One MPI_Allreduce per parameter costs a round trip each (tens of
// microseconds between machines), which dominates for models with many
// small tensors. So consecutive parameters of one dtype are flattened into
// a bucket of about bucket_bytes and each bucket is summed by one call. A
// bucket also carries one presence flag per parameter (1 when this rank has
// a gradient for it): the summed flag says whether any rank had one, so a
// parameter no rank used keeps no gradient on every rank alike.
struct Bucket {
  Dtype dtype = f32;
  std::vector<Tensor> params;
  std::vector<std::size_t> offsets;  // of each parameter's values in the buffer
  std::size_t elements = 0;          // gradient values; the flags follow them
  std::vector<float> f32_values;
  std::vector<double> f64_values;
};

template <class T>
MPI_Datatype mpi_type();
template <>
MPI_Datatype mpi_type<float>() { return MPI_FLOAT; }
template <>
MPI_Datatype mpi_type<double>() { return MPI_DOUBLE; }

std::byte* writable_bytes(Tensor& t) {
  return dispatch_all(t.dtype(), [&]<class T>() { return reinterpret_cast<std::byte*>(t.mutable_data<T>()); });
}

const std::byte* readable_bytes(const Tensor& t) {
  return dispatch_all(t.dtype(), [&]<class T>() { return reinterpret_cast<const std::byte*>(t.data<T>()); });
}

std::size_t byte_size(const Tensor& t) { return static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype()); }

// Copies root's values of `tensors` into every rank's, in one broadcast
// (chunked below MPI's int count).
void broadcast_values(std::vector<Tensor> tensors) {
  std::size_t total = 0;
  for (const Tensor& t : tensors) total += byte_size(t);
  if (total == 0) return;
  std::vector<std::byte> packed(total);
  const bool root = rank() == 0;
  if (root) {
    std::size_t at = 0;
    for (const Tensor& t : tensors) {
      std::memcpy(packed.data() + at, readable_bytes(t), byte_size(t));
      at += byte_size(t);
    }
  }
  constexpr std::size_t kChunk = std::size_t{1} << 30;
  for (std::size_t at = 0; at < total; at += kChunk) {
    const std::size_t n = std::min(kChunk, total - at);
    check_mpi(MPI_Bcast(packed.data() + at, static_cast<int>(n), MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast of the model");
  }
  if (root) return;
  std::size_t at = 0;
  for (Tensor& t : tensors) {
    std::memcpy(writable_bytes(t), packed.data() + at, byte_size(t));
    at += byte_size(t);
  }
}

// A fingerprint of the tensors' number, dtypes and shapes (FNV-1a).
std::uint64_t layout_fingerprint(const std::vector<Tensor>& tensors) {
  std::uint64_t h = 1469598103934665603ULL;
  const auto mix = [&h](std::int64_t v) {
    h ^= static_cast<std::uint64_t>(v);
    h *= 1099511628211ULL;
  };
  mix(static_cast<std::int64_t>(tensors.size()));
  for (const Tensor& t : tensors) {
    mix(static_cast<std::int64_t>(t.dtype()));
    mix(t.rank());
    for (int a = 0; a < t.rank(); ++a) mix(t.size(a));
  }
  return h;
}

std::string describe_layout(const std::vector<std::int64_t>& layout) {
  return std::to_string(layout[1]) + " parameters and buffers, " + std::to_string(layout[2]) + " bytes";
}

template <class T>
std::vector<T>& values_of(Bucket& b);
template <>
std::vector<float>& values_of<float>(Bucket& b) { return b.f32_values; }
template <>
std::vector<double>& values_of<double>(Bucket& b) { return b.f64_values; }

// Sums the bucket's gradients over the ranks and stores their mean.
template <class T>
void reduce_bucket(Bucket& b, int world_size) {
  std::vector<T>& values = values_of<T>(b);
  T* flags = values.data() + b.elements;
  for (std::size_t i = 0; i < b.params.size(); ++i) {
    const Tensor g = b.params[i].grad();
    T* dst = values.data() + b.offsets[i];
    const auto n = static_cast<std::size_t>(b.params[i].numel());
    if (g.defined()) {
      std::memcpy(dst, g.data<T>(), n * sizeof(T));
      flags[i] = 1;
    } else {
      std::fill_n(dst, n, T(0));
      flags[i] = 0;
    }
  }
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, values.data(), mpi_count(values.size(), "average_gradients"),
                          mpi_type<T>(), MPI_SUM, MPI_COMM_WORLD),
            "MPI_Allreduce of the gradients");
  const T scale = T(1) / static_cast<T>(world_size);
  for (std::size_t i = 0; i < b.params.size(); ++i) {
    if (flags[i] == 0) continue;  // no rank has a gradient for it
    Tensor& p = b.params[i];
    Tensor g = p.grad();
    // A gradient the user shares with another tensor is replaced, not
    // overwritten (backward's own gradients are never shared).
    if (!g.defined() || !g.is_leaf() || g.storage_use_count() != 1) {
      g = zeros(p.shape(), p.dtype());
      p.set_grad(g);
    }
    T* out = g.mutable_data<T>();
    const T* sum = values.data() + b.offsets[i];
    const auto n = static_cast<std::size_t>(p.numel());
    for (std::size_t k = 0; k < n; ++k) out[k] = sum[k] * scale;
  }
}

}  // namespace

struct DistributedDataParallel::Buckets {
  std::vector<Bucket> list;
  std::vector<Tensor> params;
  std::vector<std::pair<Dtype, std::int64_t>> layout;  // each parameter's when the buckets were made

  void build(const std::vector<Tensor>& all_params, std::int64_t bucket_bytes) {
    list.clear();
    params.clear();
    layout.clear();
    for (const Tensor& p : all_params) {
      if (!p.requires_grad() || !is_floating(p.dtype())) continue;
      params.push_back(p);
      layout.emplace_back(p.dtype(), p.numel());
      const std::size_t bytes = byte_size(p);
      const bool fits = !list.empty() && list.back().dtype == p.dtype() && bucket_bytes > 0 &&
                        (list.back().elements * dtype_size(p.dtype()) + bytes) <= static_cast<std::size_t>(bucket_bytes);
      if (!fits) list.emplace_back();
      Bucket& b = list.back();
      b.dtype = p.dtype();
      b.params.push_back(p);
      b.offsets.push_back(b.elements);
      b.elements += static_cast<std::size_t>(p.numel());
    }
    for (Bucket& b : list) {
      const std::size_t n = b.elements + b.params.size();
      dispatch_floating(b.dtype, "DistributedDataParallel", [&]<class T>() { values_of<T>(b).resize(n); });
    }
  }

  bool stale() const {
    for (std::size_t i = 0; i < params.size(); ++i)
      if (params[i].dtype() != layout[i].first || params[i].numel() != layout[i].second) return true;
    return false;
  }
};

DistributedDataParallel::DistributedDataParallel(Module& model, const DistributedOptions& options)
    : model_(model), options_(options), rank_(parallel::rank()), world_size_(parallel::world_size()),
      buckets_(std::make_unique<Buckets>()) {
  if (options.bucket_bytes < 0) {
    throw InvalidArgument("DistributedDataParallel: bucket_bytes must be >= 0 (0: one allreduce per tensor), got " +
                          std::to_string(options.bucket_bytes));
  }
  buckets_->build(model_.parameters(), options_.bucket_bytes);
  broadcast_parameters_and_buffers();
}

DistributedDataParallel::~DistributedDataParallel() = default;

void DistributedDataParallel::broadcast_parameters_and_buffers() {
  std::vector<Tensor> tensors = model_.parameters();
  for (const Tensor& b : model_.buffers()) tensors.push_back(b);
  if (world_size_ == 1) return;
  // Agree on the layout first: a broadcast between different models would
  // corrupt memory or wait forever.
  std::size_t bytes = 0;
  for (const Tensor& t : tensors) bytes += byte_size(t);
  const std::vector<std::int64_t> mine{static_cast<std::int64_t>(layout_fingerprint(tensors)),
                                       static_cast<std::int64_t>(tensors.size()), static_cast<std::int64_t>(bytes)};
  std::vector<std::int64_t> root = mine;
  check_mpi(MPI_Bcast(root.data(), 3, MPI_INT64_T, 0, MPI_COMM_WORLD), "MPI_Bcast of the model's layout");
  int differing_rank = root == mine ? -1 : rank_;
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &differing_rank, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD),
            "MPI_Allreduce of the layout check");
  if (differing_rank >= 0) {
    std::string message = "DistributedDataParallel: the model on rank " + std::to_string(differing_rank) +
                          " differs from rank 0's in its parameters' or buffers' number, shapes or dtypes (rank 0: " +
                          describe_layout(root);
    if (differing_rank == rank_) message += "; this rank: " + describe_layout(mine);
    throw InvalidArgument(message + "); every rank must build the same model");
  }
  broadcast_values(std::move(tensors));
}

void DistributedDataParallel::broadcast_buffers() {
  if (world_size_ > 1) broadcast_values(model_.buffers());
}

void DistributedDataParallel::average_gradients() {
  const auto start = std::chrono::steady_clock::now();
  if (buckets_->stale()) buckets_->build(model_.parameters(), options_.bucket_bytes);  // e.g. after model.to(f64)
  if (world_size_ > 1) {
    for (Bucket& b : buckets_->list) {
      dispatch_floating(b.dtype, "average_gradients", [&]<class T>() { reduce_bucket<T>(b, world_size_); });
    }
    if (options_.broadcast_buffers) broadcast_buffers();
    stats_.messages += static_cast<std::int64_t>(buckets_->list.size());
  }
  ++stats_.calls;
  stats_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::int64_t DistributedDataParallel::bucket_count() const { return static_cast<std::int64_t>(buckets_->list.size()); }

data::LoaderOptions DistributedDataParallel::shard(data::LoaderOptions options) const {
  options.rank = rank_;
  options.world_size = world_size_;
  return options;
}

}  // namespace tg::nn::parallel
