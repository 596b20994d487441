// Exceptions thrown by tapegrad. Every message names the op (or file), what
// came and what was expected; errors raised by an op call also carry the
// caller's source file and line.
#pragma once

#include "../requires_cxx20.hpp"

#include <source_location>
#include <stdexcept>
#include <string>

namespace tg {

/// Where the user called an op: a defaulted `std::source_location` argument,
/// so a shape error in a deep model points at the line that built the layer.
#if defined(__cpp_lib_source_location)
using Site = std::source_location;
#else
// clang 14 with libstdc++ has no std::source_location (it lacks
// __builtin_source_location); the fuzz build needs that clang, so the same
// interface from the older builtins.
class Site {
 public:
  static constexpr Site current(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE(),
                                const char* function = __builtin_FUNCTION()) noexcept {
    Site site;
    site.file_ = file;
    site.line_ = line;
    site.function_ = function;
    return site;
  }
  constexpr const char* file_name() const noexcept { return file_; }
  constexpr const char* function_name() const noexcept { return function_; }
  constexpr unsigned line() const noexcept { return line_; }
  constexpr unsigned column() const noexcept { return 0; }

 private:
  const char* file_ = "";
  const char* function_ = "";
  unsigned line_ = 0;
};
#endif

/// Appends " [at file:line]" to `message` when `where` is known.
std::string with_site(const std::string& message, const Site& where);

/// A bad argument: wrong shapes, rank, axis, dtype or value.
class InvalidArgument : public std::invalid_argument {
 public:
  InvalidArgument(const std::string& message, const Site& where);
  explicit InvalidArgument(const std::string& message) : std::invalid_argument(message) {}
};

/// Shapes that do not fit the op: "matmul: inner dimensions differ: (32, 784) x (256, 128)".
class ShapeError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

/// An axis or index outside the tensor's range.
class AxisError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

/// Dtypes that do not fit the op (float32 with float64, int64 where a float is needed).
class DtypeError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

/// The state of the recorded graph forbids the request: a second backward
/// through released records, backward of a tensor that does not require grad,
/// a non-scalar backward without a seed.
class GraphError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tg
