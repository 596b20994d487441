// Turning MPI's return codes and counts into tapegrad's errors.
#pragma once

#include <mpi.h>

#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "tapegrad/autodiff/errors.hpp"

namespace tg::nn::parallel {

/// Throws std::runtime_error naming `what` and MPI's message when `code` is
/// not MPI_SUCCESS (reached only under an error handler that returns).
inline void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw std::runtime_error(std::string(what) + " failed: " + std::string(text, static_cast<std::size_t>(length)));
}

/// An element count as MPI's int, refusing counts it cannot hold.
template <class N>
int mpi_count(N count, const char* what) {
  if (static_cast<std::uint64_t>(count) > static_cast<std::uint64_t>(INT_MAX)) {
    throw InvalidArgument(std::string(what) + ": " + std::to_string(count) +
                          " elements in one MPI call, more than MPI's int count holds (" + std::to_string(INT_MAX) + ")");
  }
  return static_cast<int>(count);
}

}  // namespace tg::nn::parallel
