// Starting and ending MPI, the job's shape, and ending the whole job when
// one rank fails.
#include <mpi.h>

#include <cstdio>
#include <exception>
#include <string>

#include "tapegrad/nn/parallel/distributed.hpp"
#include "mpi_check.hpp"

namespace tg::nn::parallel {

namespace {

bool mpi_running() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

[[noreturn]] void abort_job(const std::string& message) {
  std::fprintf(stderr,
               "tapegrad: rank %d of %d failed: %s\n"
               "tapegrad: ending every rank of the job (MPI_Abort) so that none waits for this one\n",
               rank(), world_size(), message.c_str());
  std::fflush(stderr);
  std::fflush(stdout);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);  // MPI_Abort does not return; this is in case it does
}

}  // namespace

Environment::Environment(int& argc, char**& argv) {
  if (mpi_running()) return;
  int provided = 0;
  check_mpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  finalize_ = true;
}

Environment::~Environment() {
  if (!finalize_ || !mpi_running()) return;
  // Unwinding from an exception: the other ranks may be waiting in a
  // collective for this one, and MPI_Finalize would wait for them.
  if (std::uncaught_exceptions() > 0) abort_job("an exception left main");
  MPI_Finalize();
}

int Environment::rank() const { return parallel::rank(); }
int Environment::world_size() const { return parallel::world_size(); }

int rank() {
  if (!mpi_running()) return 0;
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int world_size() {
  if (!mpi_running()) return 1;
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

int run_or_abort(const std::function<int()>& body) {
  std::string message;
  try {
    return body();
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
    message = "an exception that is not a std::exception";
  }
  if (mpi_running()) abort_job(message);
  std::fprintf(stderr, "tapegrad: %s\n", message.c_str());
  return 1;
}

void sum_across_processes(std::vector<double>& values) {
  if (!mpi_running() || values.empty()) return;
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, values.data(), mpi_count(values.size(), "sum_across_processes"), MPI_DOUBLE,
                          MPI_SUM, MPI_COMM_WORLD),
            "MPI_Allreduce in sum_across_processes");
}

}  // namespace tg::nn::parallel
