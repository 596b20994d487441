// doctest's main for the suites that run under mpirun: MPI is started
// before the tests and ended after them. Every rank runs every test case and
// prints its own summary (scripts/run-tests.sh adds them up); the job fails
// when any rank fails.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <tapegrad/nn/parallel/distributed.hpp>

int main(int argc, char** argv) {
  tg::nn::parallel::Environment mpi(argc, argv);
  doctest::Context context(argc, argv);
  return context.run();
}
