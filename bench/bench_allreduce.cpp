// bench_allreduce: the time DistributedDataParallel::average_gradients takes
// per training step, with gradients bucketed (the default, 4 MiB buckets)
// and with one MPI_Allreduce per tensor, on two models: the demo's funnel MLP
// (8 tensors, 567k parameters) and a deep narrow MLP (64 tensors of 4 KiB or
// less, where per-call latency dominates).
//
//   make bench-allreduce                 # mpirun -np 2 on this machine
//   mpirun -np 2 build/bench/bench_allreduce [--steps=N]
//
// Only the averaging is timed (the gradients are set once, then averaged
// again and again); ranks are lined up with a barrier before every step so
// that one rank's lateness is not counted as the other's allreduce time.
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <tapegrad/nn/parallel/distributed.hpp>
#include <tapegrad/tapegrad.hpp>

namespace nn = tg::nn;
namespace parallel = tg::nn::parallel;

namespace {

nn::Sequential funnel_mlp(tg::Generator& gen) {
  return nn::Sequential(nn::Linear(784, 512, {.generator = &gen}), nn::ReLU(), nn::Linear(512, 256, {.generator = &gen}),
                        nn::ReLU(), nn::Linear(256, 128, {.generator = &gen}), nn::ReLU(),
                        nn::Linear(128, 10, {.generator = &gen}));
}

nn::Sequential deep_narrow_mlp(tg::Generator& gen) {
  nn::Sequential model;
  for (int i = 0; i < 32; ++i) {
    model.push_back(nn::Linear(32, 32, {.generator = &gen}));
    model.push_back(nn::Tanh());
  }
  return model;
}

// Median seconds of one average_gradients() over `steps` steps.
double median_step_seconds(nn::Module& model, std::int64_t bucket_bytes, int steps, std::int64_t& buckets) {
  tg::Generator gen(1);
  for (tg::Tensor& p : model.parameters()) p.set_grad(tg::randn(p.shape(), gen));
  parallel::DistributedDataParallel ddp(model, {.bucket_bytes = bucket_bytes});
  buckets = ddp.bucket_count();
  std::vector<double> seconds;
  for (int s = 0; s < steps + 10; ++s) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double before = ddp.stats().seconds;
    ddp.average_gradients();
    if (s >= 10) seconds.push_back(ddp.stats().seconds - before);  // the first 10 warm up
  }
  std::nth_element(seconds.begin(), seconds.begin() + static_cast<std::ptrdiff_t>(seconds.size() / 2), seconds.end());
  double median = seconds[seconds.size() / 2];
  // The job's step is as slow as its slowest rank.
  MPI_Allreduce(MPI_IN_PLACE, &median, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return median;
}

}  // namespace

int main(int argc, char** argv) {
  parallel::Environment mpi(argc, argv);
  int steps = 200;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--steps=", 8) == 0) steps = std::max(1, std::atoi(argv[i] + 8));
  return parallel::run_or_abort([&] {
    const bool root = mpi.rank() == 0;
    if (root) {
      std::printf("average_gradients per step, %d ranks, median of %d steps (max over ranks)\n", mpi.world_size(), steps);
      std::printf("%-34s %9s %9s %12s %12s %7s\n", "model", "tensors", "params", "bucketed", "per tensor", "ratio");
    }
    tg::Generator gen(42);
    nn::Sequential funnel = funnel_mlp(gen), deep = deep_narrow_mlp(gen);
    const std::pair<const char*, nn::Sequential*> models[] = {{"funnel MLP 784-512-256-128-10", &funnel},
                                                               {"deep narrow MLP 32 x Linear(32, 32)", &deep}};
    for (const auto& [name, model] : models) {
      std::int64_t bucketed_count = 0, per_tensor_count = 0;
      const double bucketed = median_step_seconds(*model, parallel::DistributedOptions{}.bucket_bytes, steps, bucketed_count);
      const double per_tensor = median_step_seconds(*model, 0, steps, per_tensor_count);
      if (root) {
        std::printf("%-34s %9lld %9lld %8.1f us %8.1f us %7.2f   (%lld vs %lld allreduce calls)\n", name,
                    static_cast<long long>(model->parameters().size()), static_cast<long long>(model->parameter_count()),
                    bucketed * 1e6, per_tensor * 1e6, per_tensor / bucketed, static_cast<long long>(bucketed_count),
                    static_cast<long long>(per_tensor_count));
      }
    }
    return 0;
  });
}
