// Shape and element type of a tensor.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "tapegrad/autodiff/errors.hpp"

namespace tg {

/// Element type. float32 is the default; every op also runs in float64
/// (gradient checks do). int64 holds indices and labels; it is never
/// differentiated.
/// The axes of a reduction: one axis (`sum(x, 1)`), several (`sum(x, {0, 2})`)
/// or, when empty (`sum(x)`, `sum(x, {})`), all of them. Negative axes count
/// from the end.
struct Axes : std::vector<int> {
  Axes() = default;
  Axes(int axis) : std::vector<int>{axis} {}  // NOLINT: implicit, so sum(x, 1) reads naturally
  Axes(std::initializer_list<int> axes) : std::vector<int>(axes) {}
  Axes(std::vector<int> axes) : std::vector<int>(std::move(axes)) {}  // NOLINT
};

enum class Dtype : std::uint8_t { f32, f64, i64 };
inline constexpr Dtype f32 = Dtype::f32;
inline constexpr Dtype f64 = Dtype::f64;
inline constexpr Dtype i64 = Dtype::i64;

/// "float32", "float64", "int64".
const char* dtype_name(Dtype dtype);
/// Bytes per element.
std::size_t dtype_size(Dtype dtype);
inline bool is_floating(Dtype dtype) { return dtype != Dtype::i64; }

/// Largest rank a tensor may have. Shapes are stored inline (no heap), which
/// keeps small ops free of allocation for their shape.
inline constexpr int kMaxRank = 8;

/// The extents of a tensor, outermost first (row-major). Rank 0 is a scalar.
class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims);
  explicit Shape(std::span<const std::int64_t> dims);
  explicit Shape(const std::vector<std::int64_t>& dims)
      : Shape(std::span<const std::int64_t>(dims)) {}

  int rank() const { return rank_; }
  /// The extent of `axis` in [-rank, rank), counted from the end when
  /// negative (PyTorch's size(-1)); throws AxisError naming the axis and the
  /// rank otherwise.
  std::int64_t operator[](int axis) const { return dims_[index_of(axis)]; }
  std::int64_t& operator[](int axis) { return dims_[index_of(axis)]; }
  const std::int64_t* begin() const { return dims_.data(); }
  const std::int64_t* end() const { return dims_.data() + rank_; }
  std::int64_t* begin() { return dims_.data(); }
  std::int64_t* end() { return dims_.data() + rank_; }

  /// Product of the extents (1 for a scalar, 0 when an extent is 0, however
  /// large the others); throws ShapeError when it passes int64.
  std::int64_t numel() const;
  /// Appends an axis; throws past kMaxRank.
  void push_back(std::int64_t extent);
  std::vector<std::int64_t> to_vector() const { return {begin(), end()}; }

  /// "(32, 784)"; a scalar is "()".
  std::string str() const;

  friend bool operator==(const Shape& a, const Shape& b);
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }

 private:
  std::size_t index_of(int axis) const {
    const int index = axis < 0 ? axis + rank_ : axis;
    if (index < 0 || index >= rank_) [[unlikely]] throw_axis_out_of_range(axis);
    return static_cast<std::size_t>(index);
  }
  [[noreturn]] void throw_axis_out_of_range(int axis) const;

  std::array<std::int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

/// NumPy broadcasting of two shapes; throws ShapeError naming `op` (and the
/// caller's source line) when the shapes are incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op,
                       Site where = Site::current());

}  // namespace tg
