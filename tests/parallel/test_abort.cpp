// A rank that throws ends the whole job with its message, not a hang:
// starts `mpirun -np 2 abort_on_one_rank` and reads what it prints.
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../support.hpp"

namespace {

struct Run {
  int exit_status = -1;
  std::string output;  // stdout and stderr
  double seconds = 0;
};

Run run(const std::string& command) {
  const auto start = std::chrono::steady_clock::now();
  Run r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> chunk{};
  while (std::fgets(chunk.data(), static_cast<int>(chunk.size()), pipe)) r.output += chunk.data();
  const int status = pclose(pipe);
  r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  REQUIRE_MESSAGE(v != nullptr, name << " is not set (meson sets it)");
  return v;
}

}  // namespace

TEST_CASE("a rank that throws ends the job with its message instead of a hang") {
  // timeout(1) is the backstop: a hang fails this test after 60 s instead of blocking CI.
  const Run r = run("timeout 60 " + env("TAPEGRAD_MPIRUN") + " -np 2 --oversubscribe " + env("TAPEGRAD_ABORT_HELPER"));
  INFO(r.output);
  CHECK(r.exit_status != 0);
  CHECK(r.exit_status != 124);  // 124: timeout(1) had to end it
  tg::test::check_contains(r.output, {"tapegrad: rank 1 of 2 failed:", "/nonexistent/rank-1-only/train-images-idx3-ubyte",
                                      "ending every rank of the job (MPI_Abort)"});
  CHECK(r.seconds < 30);
}
