// The exception of data loading: a file that is missing, unreadable or not
// what its format says.
#pragma once

#include "../../requires_cxx20.hpp"

#include <stdexcept>

namespace tg::data {

/// A data file that cannot be used: missing (the message names every path
/// looked for), unreadable, corrupt or truncated (what was expected, what
/// came), a CSV cell that is not a number (line and column). A
/// std::runtime_error: the state of a file, not a bad argument, which throws
/// tg::InvalidArgument as everywhere else.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tg::data
