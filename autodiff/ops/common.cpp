#include "common.hpp"

#include <algorithm>

namespace tg::ops {

void check_defined(const Tensor& t, const char* op, const Site& site) {
  if (!t.defined()) throw InvalidArgument(std::string(op) + ": got an undefined tensor", site);
}

void check_float(const Tensor& t, const char* op, const Site& site) {
  check_defined(t, op, site);
  if (!is_floating(t.dtype())) {
    throw DtypeError(std::string(op) + ": expected a float32 or float64 tensor, got " + dtype_name(t.dtype()) +
                         " " + t.shape().str(),
                     site);
  }
}

void check_pair(const Tensor& a, const Tensor& b, const char* op, const Site& site) {
  check_float(a, op, site);
  check_float(b, op, site);
  if (a.dtype() != b.dtype()) {
    throw DtypeError(std::string(op) + ": dtypes differ: " + a.shape().str() + " " + dtype_name(a.dtype()) +
                         " and " + b.shape().str() + " " + dtype_name(b.dtype()) +
                         " (convert one with to_dtype)",
                     site);
  }
}

void check_numel(const Shape& shape, Dtype dtype, const char* op, const Site& site) {
  const std::int64_t bytes = detail::checked_bytes(shape, dtype);
  if (bytes == -1) throw ShapeError(std::string(op) + ": negative extent in shape " + shape.str(), site);
  if (bytes == -2) {
    throw ShapeError(std::string(op) + ": shape " + shape.str() + " has too many elements (its size in bytes overflows int64)",
                     site);
  }
}

int normalize_axis(int axis, int rank, const Shape& shape, const char* op, const Site& site) {
  if (axis < -rank || axis >= rank) {
    const std::string expected = rank == 0 ? "a 0-d tensor has no axes"
                                           : "expected " + std::to_string(-rank) + " to " + std::to_string(rank - 1);
    throw AxisError(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for shape " + shape.str() +
                        " (" + expected + ")",
                    site);
  }
  return axis < 0 ? axis + rank : axis;
}

Axes normalize_axes(const Axes& axes, const Shape& shape, const char* op, const Site& site) {
  const int rank = shape.rank();
  Axes out;
  if (axes.empty()) {
    for (int a = 0; a < rank; ++a) out.push_back(a);
    return out;
  }
  for (int axis : axes) out.push_back(normalize_axis(axis, rank, shape, op, site));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) {
    std::string asked;
    for (int a : axes) asked += (asked.empty() ? "" : ", ") + std::to_string(a);
    throw AxisError(std::string(op) + ": an axis is repeated in the reduction axes [" + asked + "] of shape " +
                        shape.str(),
                    site);
  }
  return out;
}

std::string pair_str(std::int64_t a, std::int64_t b) {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, falsely) on "(" + std::to_string(...).
  std::string s = "(";
  s += std::to_string(a);
  s += ", ";
  s += std::to_string(b);
  s += ")";
  return s;
}

Shape reduced_shape(const Shape& shape, const Axes& axes, bool keepdims) {
  Shape out;
  for (int a = 0; a < shape.rank(); ++a) {
    const bool reduced = std::find(axes.begin(), axes.end(), a) != axes.end();
    if (!reduced) out.push_back(shape[a]);
    else if (keepdims) out.push_back(1);
  }
  return out;
}

bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.rank() > to.rank()) return false;
  const int lead = to.rank() - from.rank();
  for (int i = 0; i < from.rank(); ++i) {
    if (from[i] != 1 && from[i] != to[i + lead]) return false;
  }
  return true;
}

}  // namespace tg::ops
