// How many threads tapegrad's BLAS calls use. tapegrad's own kernels run on
// the calling thread; matrix products run on OpenBLAS's pool.
#pragma once

#include "../requires_cxx20.hpp"

namespace tg {

/// Sets the number of threads of the BLAS pool (>= 1). Results are
/// bit-identical for a given thread count; they may differ in the last bits
/// between thread counts, as the products' summation order changes.
void set_num_threads(int threads);
/// The number of threads of the BLAS pool.
int num_threads();

}  // namespace tg
