// View ops: new geometry on the input's storage, nothing copied (Note
// [Strided views] in tensor_impl.hpp). reshape, view, permute/transpose/t,
// slice/narrow/select, expand/broadcast_to, diagonal, squeeze/unsqueeze,
// flatten, chunk/split/unbind, contiguous.
//
// Note [The adjoint of a window]
// slice, select and diagonal pick a strided window of their input. Their
// VJP puts the gradient into zeros of the input's shape at the same window
// — the window computed on the contiguous layout of that shape, which is the
// gradient's — and that op's own VJP takes the window again, so both differ-
// entiate to any order. Several windows of one tensor (an LSTM's gate slices)
// add into the sum the others started (Note [Accumulating in place]) instead
// of each filling a zero tensor of its own.
#include <algorithm>
#include <numeric>

#include "common.hpp"
#include "view_windows.hpp"
#include "tapegrad/autodiff/views.hpp"

namespace tg {

using namespace ops;

namespace {

using kernels::Strides;

struct Geometry {
  Shape shape;
  Strides strides{};
  std::int64_t offset = 0;
};

// A window's geometry from the input's: `pick(shape, strides, offset)` for
// the forward view (the input's own strides) and for the adjoint (the
// contiguous layout of the input's shape, offset 0).
template <class Pick>
Tensor window_view(const Tensor& x, const char* name, const Site& site, Pick pick);

template <class Pick>
Tensor unwindow(const Tensor& g, const Shape& in, const char* name, const Site& site, Pick pick) {
  const Geometry w = pick(in, kernels::contiguous_strides(in), std::int64_t{0});
  Tensor out = zeros(in, g.dtype());
  kernels::add_strided(out, w.strides, w.offset, g);
  if (should_record(g)) {
    record(name, site, out, [name, site, pick](const Tensor& gg, VjpContext& ctx) {
      ctx.set(0, window_view(gg.contiguous(), name, site, pick));
    }, g);
  }
  return out;
}

template <class Pick>
Tensor window_view(const Tensor& x, const char* name, const Site& site, Pick pick) {
  const TensorImpl& in = *x.impl();
  const Geometry w = pick(in.shape, in.strides, in.offset);
  Tensor y = detail::view_of(x, w.shape, w.strides, w.offset);
  detail::mark_view(y, x);
  if (should_record(x)) {
    record(name, site, y, [name, site, pick, shape = in.shape](const Tensor& g, VjpContext& ctx) {
      if (Tensor* sum = ctx.accumulated(0)) {
        const Geometry w = pick(shape, kernels::contiguous_strides(shape), std::int64_t{0});
        kernels::add_strided(*sum, w.strides, w.offset, g);
      } else {
        ctx.set(0, unwindow(g, shape, name, site, pick));
      }
    }, x);
  }
  return y;
}

// The window start, start+step, ... (length elements) of `axis`.
struct SlicePick {
  int axis;
  std::int64_t start, step, length;
  Geometry operator()(const Shape& shape, const Strides& strides, std::int64_t offset) const {
    Geometry w{shape, strides, offset};
    const auto a = static_cast<std::size_t>(axis);
    w.shape[axis] = length;
    if (length > 0) w.offset += start * strides[a];
    w.strides[a] *= step;
    return w;
  }
};

// Element `index` of `axis`, the axis removed.
struct SelectPick {
  int axis;
  std::int64_t index;
  Geometry operator()(const Shape& shape, const Strides& strides, std::int64_t offset) const {
    Geometry w;
    w.offset = offset + index * strides[static_cast<std::size_t>(axis)];
    for (int i = 0; i < shape.rank(); ++i) {
      if (i == axis) continue;
      w.strides[static_cast<std::size_t>(w.shape.rank())] = strides[static_cast<std::size_t>(i)];
      w.shape.push_back(shape[i]);
    }
    return w;
  }
};

// Elements (i, i + diag) of axes a0 and a1, both removed, the diagonal
// appended as the last axis (PyTorch's diagonal).
struct DiagonalPick {
  std::int64_t diag;
  int a0, a1;
  Geometry operator()(const Shape& shape, const Strides& strides, std::int64_t offset) const {
    const std::int64_t n0 = shape[a0], n1 = shape[a1];
    const std::int64_t s0 = strides[static_cast<std::size_t>(a0)], s1 = strides[static_cast<std::size_t>(a1)];
    const std::int64_t length =
        diag >= 0 ? std::max<std::int64_t>(0, std::min(n0, n1 - diag)) : std::max<std::int64_t>(0, std::min(n0 + diag, n1));
    Geometry w;
    w.offset = offset;
    if (length > 0) w.offset += diag >= 0 ? diag * s1 : -diag * s0;
    for (int i = 0; i < shape.rank(); ++i) {
      if (i == a0 || i == a1) continue;
      w.strides[static_cast<std::size_t>(w.shape.rank())] = strides[static_cast<std::size_t>(i)];
      w.shape.push_back(shape[i]);
    }
    w.strides[static_cast<std::size_t>(w.shape.rank())] = s0 + s1;
    w.shape.push_back(length);
    return w;
  }
};

// A view's window in its root base, for a base laid out contiguously (the
// base itself, checked by the caller, and every gradient): the view's shape
// and strides, `offset` elements past the base's first (Note [In-place ops]).
struct BaseWindowPick {
  Shape shape;
  Strides strides;
  std::int64_t offset;
  Geometry operator()(const Shape&, const Strides&, std::int64_t base_offset) const {
    return Geometry{shape, strides, base_offset + offset};
  }
};

}  // namespace

Tensor detail::window_of_base(const Tensor& base, const Shape& shape, const Strides& strides, std::int64_t offset,
                              const char* name, const Site& site) {
  return window_view(base, name, site, BaseWindowPick{shape, strides, offset});
}

namespace {

// The target shape with one -1 resolved against x's element count.
Shape resolve_shape(const Tensor& x, const Shape& shape_in, const char* op, const Site& site) {
  Shape shape = shape_in;
  int inferred = -1;
  std::int64_t known = 1;
  for (int i = 0; i < shape.rank(); ++i) {
    if (shape[i] == -1 && inferred < 0) {
      inferred = i;
    } else if (shape[i] < 0) {
      throw ShapeError(std::string(op) + ": invalid target shape " + shape_in.str() +
                           " (one extent may be -1, the others must be >= 0)",
                       site);
    } else if (__builtin_mul_overflow(known, shape[i], &known)) {
      throw ShapeError(std::string(op) + ": target shape " + shape_in.str() + " has too many elements", site);
    }
  }
  if (inferred >= 0) {
    if (known == 0 || x.numel() % known != 0) {
      throw ShapeError(std::string(op) + ": cannot reshape " + x.shape().str() + " (" + std::to_string(x.numel()) +
                           " elements) to " + shape_in.str(),
                       site);
    }
    shape[inferred] = x.numel() / known;
  }
  if (shape.numel() != x.numel()) {
    throw ShapeError(std::string(op) + ": cannot reshape " + x.shape().str() + " (" + std::to_string(x.numel()) +
                         " elements) to " + shape_in.str() + " (" + std::to_string(shape.numel()) + " elements)",
                     site);
  }
  return shape;
}

// reshape and view: the view when the strides allow one; otherwise reshape
// copies and view refuses.
Tensor reshape_or_view(const Tensor& x, const Shape& shape_in, bool may_copy, const char* op, const Site& site) {
  check_defined(x, op, site);
  const Shape shape = resolve_shape(x, shape_in, op, site);
  Strides strides;
  Tensor y;
  if (detail::view_strides(x.shape(), x.impl()->strides, shape, strides)) {
    y = detail::view_of(x, shape, strides, x.impl()->offset);
    detail::mark_view(y, x);
  } else if (may_copy) {
    y = detail::alias(detail::copy_values(x), shape);
  } else {
    throw ShapeError(std::string(op) + ": the tensor " + x.shape().str() + " with strides " + detail::strides_str(*x.impl()) +
                         " cannot be viewed as " + shape.str() +
                         " without a copy; use reshape() (which copies when it must) or contiguous() first",
                     site);
  }
  if (should_record(x)) {
    record(op, site, y, [in = x.shape()](const Tensor& g, VjpContext& ctx) { ctx.set(0, reshape(g, in)); }, x);
  }
  return y;
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape, Site site) { return reshape_or_view(x, shape, true, "reshape", site); }

Tensor view(const Tensor& x, const Shape& shape, Site site) { return reshape_or_view(x, shape, false, "view", site); }

Tensor Tensor::contiguous() const { return tg::contiguous(*this); }

Tensor contiguous(const Tensor& x, Site site) {
  check_defined(x, "contiguous", site);
  if (x.is_contiguous()) return x;
  Tensor y = detail::copy_values(x);
  if (should_record(x)) {
    record("contiguous", site, y, [](const Tensor& g, VjpContext& ctx) { ctx.set(0, g); }, x);
  }
  return y;
}

Tensor Tensor::clone(Site site) const { return tg::clone(*this, site); }

Tensor clone(const Tensor& x, Site site) {
  check_defined(x, "clone", site);
  Tensor y = detail::copy_values(x);
  if (should_record(x)) {
    record("clone", site, y, [](const Tensor& g, VjpContext& ctx) { ctx.set(0, g); }, x);
  }
  return y;
}

Tensor permute(const Tensor& x, const std::vector<int>& dims, Site site) {
  check_defined(x, "permute", site);
  const int rank = x.rank();
  std::string got = "(";
  for (std::size_t i = 0; i < dims.size(); ++i) got += (i ? ", " : "") + std::to_string(dims[i]);
  got += ")";
  if (static_cast<int>(dims.size()) != rank) {
    throw AxisError("permute: " + got + " has " + std::to_string(dims.size()) + " axes, the tensor " +
                        x.shape().str() + " has " + std::to_string(rank),
                    site);
  }
  std::vector<int> axes(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    axes[i] = normalize_axis(dims[i], rank, x.shape(), "permute", site);
    if (seen[static_cast<std::size_t>(axes[i])]) {
      throw AxisError("permute: " + got + " is not a permutation of the axes of " + x.shape().str(), site);
    }
    seen[static_cast<std::size_t>(axes[i])] = true;
  }
  const Strides& own = x.impl()->strides;
  Shape shape;
  Strides strides{};
  std::vector<int> inverse(dims.size());
  for (int i = 0; i < rank; ++i) {
    const auto a = static_cast<std::size_t>(axes[static_cast<std::size_t>(i)]);
    shape.push_back(x.shape()[static_cast<int>(a)]);
    strides[static_cast<std::size_t>(i)] = own[a];
    inverse[a] = i;
  }
  Tensor y = detail::view_of(x, shape, strides, x.impl()->offset);
  detail::mark_view(y, x);
  if (should_record(x)) {
    record("permute", site, y, [inverse](const Tensor& g, VjpContext& ctx) { ctx.set(0, permute(g, inverse)); }, x);
  }
  return y;
}

Tensor transpose(const Tensor& x, int axis0, int axis1, Site site) {
  check_defined(x, "transpose", site);
  const int a0 = normalize_axis(axis0, x.rank(), x.shape(), "transpose", site);
  const int a1 = normalize_axis(axis1, x.rank(), x.shape(), "transpose", site);
  std::vector<int> dims(static_cast<std::size_t>(x.rank()));
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[static_cast<std::size_t>(a0)], dims[static_cast<std::size_t>(a1)]);
  return permute(x, dims, site);
}

Tensor t(const Tensor& x, Site site) {
  check_defined(x, "t", site);
  if (x.rank() > 2) {
    throw ShapeError("t: expects a tensor of rank <= 2, got " + x.shape().str() + " (use transpose(x, a, b))", site);
  }
  return x.rank() < 2 ? x : transpose(x, 0, 1, site);
}

Tensor slice(const Tensor& x, int axis, std::int64_t start, std::int64_t stop, std::int64_t step, Site site) {
  check_defined(x, "slice", site);
  const int a = normalize_axis(axis, x.rank(), x.shape(), "slice", site);
  if (step <= 0) {
    throw InvalidArgument("slice: step must be > 0, got " + std::to_string(step) + " (axis " + std::to_string(axis) +
                              " of " + x.shape().str() + ")",
                          site);
  }
  const std::int64_t n = x.shape()[a];
  auto clip = [n](std::int64_t i) { return std::clamp(i < 0 ? i + n : i, std::int64_t{0}, n); };
  start = clip(start);
  stop = clip(stop);
  // ceil((stop − start) / step), written so that a huge step cannot overflow.
  const std::int64_t length = stop > start ? (stop - start - 1) / step + 1 : 0;
  return window_view(x, "slice", site, SlicePick{a, start, length > 1 ? step : 1, length});
}

Tensor narrow(const Tensor& x, int axis, std::int64_t start, std::int64_t length, Site site) {
  check_defined(x, "narrow", site);
  const int a = normalize_axis(axis, x.rank(), x.shape(), "narrow", site);
  const std::int64_t n = x.shape()[a];
  const std::int64_t s = start < 0 ? start + n : start;
  if (s < 0 || s > n || length < 0 || length > n - s) {
    throw InvalidArgument("narrow: start " + std::to_string(start) + " and length " + std::to_string(length) +
                              " do not fit axis " + std::to_string(axis) + " of " + x.shape().str() +
                              " (extent " + std::to_string(n) + ")",
                          site);
  }
  return window_view(x, "narrow", site, SlicePick{a, s, 1, length});
}

Tensor select(const Tensor& x, int axis, std::int64_t index, Site site) {
  check_defined(x, "select", site);
  const int a = normalize_axis(axis, x.rank(), x.shape(), "select", site);
  const std::int64_t n = x.shape()[a];
  if (index < -n || index >= n) {
    throw AxisError("select: index " + std::to_string(index) + " is out of range for axis " + std::to_string(axis) +
                         " of " + x.shape().str() + " (expected " + std::to_string(-n) + " to " +
                         std::to_string(n - 1) + ")",
                     site);
  }
  return window_view(x, "select", site, SelectPick{a, index < 0 ? index + n : index});
}

Tensor diagonal(const Tensor& x, std::int64_t offset, int axis0, int axis1, Site site) {
  check_defined(x, "diagonal", site);
  if (x.rank() < 2) throw ShapeError("diagonal: expects a tensor of rank >= 2, got " + x.shape().str(), site);
  const int a0 = normalize_axis(axis0, x.rank(), x.shape(), "diagonal", site);
  const int a1 = normalize_axis(axis1, x.rank(), x.shape(), "diagonal", site);
  if (a0 == a1) {
    throw AxisError("diagonal: axis0 and axis1 are the same axis (" + std::to_string(a0) + ") of " +
                        x.shape().str(),
                    site);
  }
  return window_view(x, "diagonal", site, DiagonalPick{offset, a0, a1});
}

Tensor broadcast_to(const Tensor& x, const Shape& shape, Site site) {
  check_defined(x, "broadcast_to", site);
  if (x.shape() == shape) return x;
  bool fits = broadcasts_to(x.shape(), shape);
  for (std::int64_t t : shape) fits = fits && t >= 0;
  if (!fits) {
    throw ShapeError("broadcast_to: cannot broadcast " + x.shape().str() + " to " + shape.str(), site);
  }
  check_numel(shape, x.dtype(), "broadcast_to", site);
  Tensor y = detail::view_of(x, shape, kernels::operand_strides(x, shape), x.impl()->offset);
  detail::mark_view(y, x);
  if (should_record(x)) {
    record("broadcast_to", site, y, [in = x.shape()](const Tensor& g, VjpContext& ctx) { ctx.set(0, sum_to(g, in)); }, x);
  }
  return y;
}

Tensor expand(const Tensor& x, const Shape& shape_in, Site site) {
  check_defined(x, "expand", site);
  if (shape_in.rank() < x.rank()) {
    throw ShapeError("expand: the target " + shape_in.str() + " has fewer axes than the tensor " + x.shape().str(),
                     site);
  }
  Shape shape = shape_in;
  const int shift = shape.rank() - x.rank();
  for (int i = 0; i < shape.rank(); ++i) {
    if (shape[i] != -1) continue;
    if (i < shift) {
      throw ShapeError("expand: -1 is not allowed for the new leading axis " + std::to_string(i) + " of " +
                           shape_in.str(),
                       site);
    }
    shape[i] = x.shape()[i - shift];
  }
  return broadcast_to(x, shape, site);
}

Tensor flatten(const Tensor& x, int start_axis, int end_axis, Site site) {
  check_defined(x, "flatten", site);
  if (x.rank() == 0) return reshape(x, {1}, site);
  const int s = normalize_axis(start_axis, x.rank(), x.shape(), "flatten", site);
  const int e = normalize_axis(end_axis, x.rank(), x.shape(), "flatten", site);
  if (s > e) {
    throw AxisError("flatten: start axis " + std::to_string(start_axis) + " comes after end axis " +
                        std::to_string(end_axis) + " for shape " + x.shape().str(),
                    site);
  }
  Shape shape;
  for (int i = 0; i < s; ++i) shape.push_back(x.shape()[i]);
  std::int64_t merged = 1;
  for (int i = s; i <= e; ++i) merged *= x.shape()[i];
  shape.push_back(merged);
  for (int i = e + 1; i < x.rank(); ++i) shape.push_back(x.shape()[i]);
  return reshape(x, shape, site);
}

Tensor squeeze(const Tensor& x, int axis, Site site) {
  check_defined(x, "squeeze", site);
  const int a = normalize_axis(axis, x.rank(), x.shape(), "squeeze", site);
  if (x.shape()[a] != 1) {
    throw ShapeError("squeeze: axis " + std::to_string(axis) + " of " + x.shape().str() +
                         " has extent " + std::to_string(x.shape()[a]) + ", expected 1",
                     site);
  }
  Shape shape;
  for (int i = 0; i < x.rank(); ++i)
    if (i != a) shape.push_back(x.shape()[i]);
  return reshape(x, shape, site);
}

Tensor unsqueeze(const Tensor& x, int axis, Site site) {
  check_defined(x, "unsqueeze", site);
  if (x.rank() >= kMaxRank) {
    throw ShapeError("unsqueeze: " + x.shape().str() + " has rank " + std::to_string(kMaxRank) +
                         ", the maximum: a new axis does not fit",
                     site);
  }
  const int a = normalize_axis(axis, x.rank() + 1, x.shape(), "unsqueeze", site);
  Shape shape;
  for (int i = 0; i < x.rank(); ++i) {
    if (i == a) shape.push_back(1);
    shape.push_back(x.shape()[i]);
  }
  if (a == x.rank()) shape.push_back(1);
  return reshape(x, shape, site);
}

std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, int axis, Site site) {
  check_defined(x, "split", site);
  const int a = normalize_axis(axis, x.rank(), x.shape(), "split", site);
  const std::int64_t n = x.shape()[a];
  if (split_size <= 0 && !(split_size == 0 && n == 0)) {
    throw InvalidArgument("split: split_size must be > 0, got " + std::to_string(split_size) + " for axis " +
                              std::to_string(axis) + " of " + x.shape().str(),
                          site);
  }
  std::vector<Tensor> parts;
  if (n == 0) {
    parts.push_back(narrow(x, a, 0, 0, site));
    return parts;
  }
  for (std::int64_t start = 0; start < n; start += split_size)
    parts.push_back(narrow(x, a, start, std::min(split_size, n - start), site));
  return parts;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes, int axis, Site site) {
  check_defined(x, "split", site);
  const int a = normalize_axis(axis, x.rank(), x.shape(), "split", site);
  std::int64_t total = 0;
  bool valid = true;
  for (std::int64_t s : sizes) valid = valid && s >= 0 && !__builtin_add_overflow(total, s, &total);
  if (!valid || total != x.shape()[a]) {
    std::string got;
    for (std::size_t i = 0; i < sizes.size(); ++i) got += (i ? ", " : "") + std::to_string(sizes[i]);
    throw InvalidArgument("split: sizes (" + got + ") do not add up to the extent " + std::to_string(x.shape()[a]) +
                              " of axis " + std::to_string(axis) + " of " + x.shape().str(),
                          site);
  }
  std::vector<Tensor> parts;
  std::int64_t start = 0;
  for (std::int64_t s : sizes) {
    parts.push_back(narrow(x, a, start, s, site));
    start += s;
  }
  return parts;
}

std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, int axis, Site site) {
  check_defined(x, "chunk", site);
  if (chunks <= 0) {
    throw InvalidArgument("chunk: chunks must be > 0, got " + std::to_string(chunks) + " for " + x.shape().str(), site);
  }
  const int a = normalize_axis(axis, x.rank(), x.shape(), "chunk", site);
  const std::int64_t n = x.shape()[a];
  // PyTorch's rule: chunks of ceil(n / chunks), the last one smaller; fewer
  // than `chunks` pieces when n does not allow more.
  const std::int64_t size = n == 0 ? 0 : (n + chunks - 1) / chunks;
  return split(x, size, a, site);
}

std::vector<Tensor> unbind(const Tensor& x, int axis, Site site) {
  check_defined(x, "unbind", site);
  const int a = normalize_axis(axis, x.rank(), x.shape(), "unbind", site);
  std::vector<Tensor> parts;
  for (std::int64_t i = 0; i < x.shape()[a]; ++i) parts.push_back(select(x, a, i, site));
  return parts;
}

}  // namespace tg
