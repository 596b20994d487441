#include "tapegrad/autodiff/threads.hpp"

#include <string>

#include "tapegrad/autodiff/errors.hpp"

extern "C" {
void openblas_set_num_threads(int threads);
int openblas_get_num_threads(void);
}

namespace tg {

void set_num_threads(int threads) {
  if (threads < 1) throw InvalidArgument("set_num_threads: the thread count must be >= 1, got " + std::to_string(threads));
  openblas_set_num_threads(threads);
}

int num_threads() { return openblas_get_num_threads(); }

}  // namespace tg
