#include "tapegrad/autodiff/shape.hpp"

#include <sstream>

#include "tapegrad/autodiff/errors.hpp"

namespace tg {

const char* dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::f32: return "float32";
    case Dtype::f64: return "float64";
    case Dtype::i64: return "int64";
  }
  return "unknown";
}

std::size_t dtype_size(Dtype dtype) { return dtype == Dtype::f32 ? 4 : 8; }

Shape::Shape(std::initializer_list<std::int64_t> dims)
    : Shape(std::span<const std::int64_t>(dims.begin(), dims.size())) {}

Shape::Shape(std::span<const std::int64_t> dims) {
  if (dims.size() > static_cast<std::size_t>(kMaxRank)) {
    throw ShapeError("Shape: rank " + std::to_string(dims.size()) + " exceeds the maximum rank " +
                     std::to_string(kMaxRank));
  }
  for (std::int64_t d : dims) dims_[static_cast<std::size_t>(rank_++)] = d;
}

std::int64_t Shape::numel() const {
  // A zero anywhere first: (2^40, 2^40, 0) holds nothing, and its other
  // extents multiplied would pass int64.
  for (std::int64_t d : *this)
    if (d == 0) return 0;
  std::int64_t n = 1;
  for (std::int64_t d : *this) {
    if (__builtin_mul_overflow(n, d, &n)) {
      throw ShapeError("Shape: " + str() + " has more elements than int64 counts");
    }
  }
  return n;
}

void Shape::throw_axis_out_of_range(int axis) const {
  const std::string expected = rank_ == 0 ? "a scalar has no axes"
                                          : "expected " + std::to_string(-rank_) + " to " + std::to_string(rank_ - 1);
  throw AxisError("Shape: index " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank_) + " " +
                  str() + " (" + expected + ")");
}

void Shape::push_back(std::int64_t extent) {
  if (rank_ == kMaxRank) {
    throw ShapeError("Shape: cannot add an axis to " + str() + ": the maximum rank is " +
                     std::to_string(kMaxRank));
  }
  dims_[static_cast<std::size_t>(rank_++)] = extent;
}

std::string Shape::str() const {
  std::ostringstream out;
  out << "(";
  for (int i = 0; i < rank_; ++i) out << (i ? ", " : "") << dims_[static_cast<std::size_t>(i)];
  if (rank_ == 1) out << ",";
  out << ")";
  return out.str();
}

bool operator==(const Shape& a, const Shape& b) {
  if (a.rank_ != b.rank_) return false;
  for (int i = 0; i < a.rank_; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op, Site where) {
  if (a == b) return a;
  const int rank = std::max(a.rank(), b.rank());
  Shape out;
  for (int i = 0; i < rank; ++i) {
    const int ia = i - (rank - a.rank());
    const int ib = i - (rank - b.rank());
    const std::int64_t da = ia >= 0 ? a[ia] : 1;
    const std::int64_t db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      throw ShapeError(std::string(op) + ": cannot broadcast shapes " + a.str() + " and " + b.str() +
                           " (axis " + std::to_string(i) + ": " + std::to_string(da) + " vs " +
                           std::to_string(db) + ")",
                       where);
    }
    out.push_back(da == 1 ? db : da);
  }
  return out;
}

std::string with_site(const std::string& message, const Site& where) {
  if (where.line() == 0) return message;
  std::string file = where.file_name();
  return message + " [at " + file + ":" + std::to_string(where.line()) + "]";
}

InvalidArgument::InvalidArgument(const std::string& message, const Site& where)
    : std::invalid_argument(with_site(message, where)) {}

}  // namespace tg
