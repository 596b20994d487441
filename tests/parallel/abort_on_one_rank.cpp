// A job in which rank 1 fails to read a data file while rank 0 waits for it
// in a collective: run_or_abort must end the job with rank 1's message
// instead of leaving rank 0 waiting. Run by test_abort.cpp.
#include <tapegrad/nn/parallel/distributed.hpp>
#include <tapegrad/tapegrad.hpp>

namespace parallel = tg::nn::parallel;

int main(int argc, char** argv) {
  parallel::Environment mpi(argc, argv);
  return parallel::run_or_abort([] {
    if (parallel::rank() == 1) tg::data::read_idx("/nonexistent/rank-1-only/train-images-idx3-ubyte");
    std::vector<double> waits_for_rank_1{1.0};
    parallel::sum_across_processes(waits_for_rank_1);
    return 0;
  });
}
