// Data-parallel training on MPI, as Horovod and PyTorch's
// DistributedDataParallel do it: every process (rank) holds the whole model,
// trains on its own shard of each batch, and the ranks average their
// gradients with an allreduce before the optimizer step.
//
// Built into libtapegrad_mpi only when Open MPI is installed (meson's
// `tapegrad_mpi_dep`); this header includes no MPI header.
//
//     int main(int argc, char** argv) {
//       nn::parallel::Environment mpi(argc, argv);
//       return nn::parallel::run_or_abort([&] {
//         ... build the model ...
//         nn::parallel::DistributedDataParallel ddp(model);   // rank 0's weights everywhere
//         data::DataLoader train(set, ddp.shard({.batch_size = 64, .shuffle = true, .seed = 42}));
//         optim::fit(model, loss, adam, train, optim::fit_options(ddp, {.epochs = 10}));
//         return 0;
//       });
//     }
//
// and run it with `mpirun -np 4 ./program`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "../../autodiff/tensor.hpp"
#include "../data/loader.hpp"
#include "../module.hpp"

namespace tg::nn::parallel {

/// Starts MPI in this process (MPI_Init_thread, funneled: only the thread
/// that made it calls MPI) and finalizes it when destroyed. One per program,
/// first thing in main. When it is destroyed by an exception unwinding the
/// stack it ends the whole job with MPI_Abort instead, since MPI_Finalize
/// would wait for ranks that may be waiting for this one.
class Environment {
 public:
  Environment(int& argc, char**& argv);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  int rank() const;
  int world_size() const;

 private:
  bool finalize_ = false;  ///< false when MPI was already running
};

/// This process's rank in the job (0 when MPI has not been started).
int rank();
/// The number of processes in the job (1 when MPI has not been started).
int world_size();

/// Runs `body` and returns its result. When it throws, prints
/// "tapegrad: rank R of W failed: <message>" to stderr and ends every rank
/// of the job with MPI_Abort, so that none is left waiting in a collective
/// for the failed one (without MPI running: prints and returns 1).
int run_or_abort(const std::function<int()>& body);

/// Sums each value over every rank, in place (an MPI_Allreduce); what fit's
/// `sum_across_processes` is set to.
void sum_across_processes(std::vector<double>& values);

/// Options of DistributedDataParallel.
struct DistributedOptions {
  /// Gradients are flattened into buffers of about this many bytes, one
  /// allreduce per buffer; a tensor larger than this gets a buffer of its
  /// own. 0: one allreduce per tensor (for comparison; slower with many
  /// small tensors).
  std::int64_t bucket_bytes = std::int64_t{4} << 20;
  /// Copy rank 0's buffers (BatchNorm's running statistics) to every rank
  /// after each averaging, as PyTorch's DDP does before each forward, so
  /// that evaluation gives the same result on every rank. False: each rank
  /// keeps statistics of its own shard.
  bool broadcast_buffers = true;
  /// Ranks other than 0 draw their progress bar too (their own shard's
  /// running figures); otherwise only rank 0 does.
  bool verbose_all_ranks = false;
};

/// Timing of average_gradients(), summed since construction.
struct AllreduceStats {
  std::int64_t calls = 0;     ///< average_gradients() calls
  std::int64_t messages = 0;  ///< MPI_Allreduce calls they made
  double seconds = 0;
};

/// Keeps one model identical on every rank of an MPI job: the constructor
/// copies rank 0's parameters and buffers to every rank, and
/// average_gradients(), called after each backward, replaces every
/// parameter's gradient by its mean over the ranks. Use it through
/// optim::fit_options(ddp, ...) with optim::fit (optim/distributed.hpp), or
/// call average_gradients() in a hand-written loop between backward() and
/// the optimizer's step. The model must outlive it; every rank must build the same architecture.
class DistributedDataParallel {
 public:
  /// Throws InvalidArgument (on every rank) when the ranks' models differ
  /// in their parameters' or buffers' number, shapes or dtypes.
  explicit DistributedDataParallel(Module& model, const DistributedOptions& options = {});
  ~DistributedDataParallel();
  DistributedDataParallel(const DistributedDataParallel&) = delete;
  DistributedDataParallel& operator=(const DistributedDataParallel&) = delete;

  /// Every parameter's gradient becomes the mean of that gradient over the
  /// ranks: gradients are flattened into buckets, each summed by one
  /// MPI_Allreduce and divided by world_size(). A rank whose parameter has
  /// no gradient contributes zeros; a parameter with no gradient on any
  /// rank keeps none. Then, with broadcast_buffers, rank 0's buffers are
  /// copied to every rank.
  void average_gradients();
  /// Copies rank 0's parameters and buffers to every rank (the constructor
  /// does this; call it again after loading a checkpoint on rank 0 alone).
  void broadcast_parameters_and_buffers();
  /// Copies rank 0's buffers to every rank.
  void broadcast_buffers();

  /// `options` with this rank's place in the job, so the loader gives it its
  /// shard of each epoch (the same shuffled order on every rank).
  data::LoaderOptions shard(data::LoaderOptions options) const;

  int rank() const { return rank_; }
  /// The options it was made with.
  const DistributedOptions& options() const { return options_; }
  int world_size() const { return world_size_; }
  /// True on rank 0, the rank that writes files and progress.
  bool writes_output() const { return rank_ == 0; }
  /// Number of gradient buckets (allreduce calls per step).
  std::int64_t bucket_count() const;
  const AllreduceStats& stats() const { return stats_; }

 private:
  struct Buckets;
  Module& model_;
  DistributedOptions options_;
  int rank_ = 0;
  int world_size_ = 1;
  std::unique_ptr<Buckets> buckets_;
  AllreduceStats stats_;
};

}  // namespace tg::nn::parallel
