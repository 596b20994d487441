// The MPI library from outside the tree (scripts/consumer-test.sh runs it
// under mpirun with 2 ranks): the ranks sum their rank numbers.
#include <tapegrad/nn/parallel/distributed.hpp>
#include <tapegrad/tapegrad.hpp>

#include <iostream>

namespace parallel = tg::nn::parallel;

int main(int argc, char** argv) {
  parallel::Environment mpi(argc, argv);
  return parallel::run_or_abort([&] {
    std::vector<double> values{static_cast<double>(mpi.rank())};
    parallel::sum_across_processes(values);
    const double expected = mpi.world_size() * (mpi.world_size() - 1) / 2.0;
    if (mpi.rank() == 0) std::cout << "consumer_mpi: " << mpi.world_size() << " ranks, sum of ranks " << values[0] << "\n";
    return values[0] == expected ? 0 : 1;
  });
}
