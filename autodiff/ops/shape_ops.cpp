// Shape primitives: reshape (a view), permute, slice and its adjoint,
// broadcast_to, pad, concat, dtype conversion; and their compositions
// (transpose, stack, flatten, squeeze, unsqueeze).
#include <algorithm>
#include <numeric>
#include <sstream>

#include "common.hpp"

namespace tg {

using namespace ops;

namespace {

// normalize_axis, naming the tensor's shape when `axis` is out of range
// (`rank` is the rank the axis counts in: one more where an axis is inserted).
struct SliceSpec {
  int axis;
  std::int64_t start, step, length;
};

// A strided window of a contiguous tensor of `shape`: its strides and offset.
void window(const Shape& shape, const SliceSpec& s, kernels::Strides& strides, std::int64_t& offset) {
  strides = kernels::contiguous_strides(shape);
  offset = s.start * strides[static_cast<std::size_t>(s.axis)];
  strides[static_cast<std::size_t>(s.axis)] *= s.step;
}

Tensor slice_of(const Tensor& x, const SliceSpec& s, const Site& site);

// Float to int64 truncates toward zero; a value int64 cannot hold (NaN, ±inf,
// beyond ±2^63) has no result: converting it would be undefined behaviour.
void check_fits_int64(const Tensor& x, const Site& site) {
  if (!is_floating(x.dtype())) return;
  kernels::dispatch_float(x.dtype(), "to_dtype", site, [&](auto tag) {
    using T = decltype(tag);
    const T* p = x.impl()->data<T>();
    constexpr double kLimit = 0x1.0p63;
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      const double v = static_cast<double>(p[i]);
      if (!(v >= -kLimit && v < kLimit)) {
        std::ostringstream value;
        value << v;
        throw InvalidArgument("to_dtype: cannot convert " + value.str() + " (element " + std::to_string(i) + " of " +
                                  x.shape().str() + " " + dtype_name(x.dtype()) + ") to int64",
                              site);
      }
    }
  });
}

// The adjoint of slice: g placed into zeros of `shape` at the slice.
Tensor unslice(const Tensor& g, const Shape& shape, const SliceSpec& s, const Site& site) {
  Tensor out = zeros(shape, g.dtype());
  kernels::Strides strides;
  std::int64_t offset = 0;
  window(shape, s, strides, offset);
  kernels::scatter_strided(out, strides, offset, g);
  if (should_record(g)) {
    record("unslice", site, out, [s, site](const Tensor& gg, VjpContext& ctx) { ctx.set(0, slice_of(gg, s, site)); }, g);
  }
  return out;
}

Tensor slice_of(const Tensor& x, const SliceSpec& s, const Site& site) {
  Shape shape = x.shape();
  shape[s.axis] = s.length;
  kernels::Strides strides;
  std::int64_t offset = 0;
  window(x.shape(), s, strides, offset);
  Tensor y = kernels::gather_strided(x, shape, strides, offset);
  if (should_record(x)) {
    record("slice", site, y, [s, site, in = x.shape()](const Tensor& g, VjpContext& ctx) {
      // Several slices of one tensor (an LSTM's gates): each adds its window
      // to the sum the others started, instead of a zero tensor of its own.
      if (Tensor* sum = ctx.accumulated(0)) {
        kernels::Strides strides;
        std::int64_t offset = 0;
        window(in, s, strides, offset);
        kernels::add_strided(*sum, strides, offset, g);
      } else {
        ctx.set(0, unslice(g, in, s, site));
      }
    }, x);
  }
  return y;
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape_in, Site site) {
  check_defined(x, "reshape", site);
  Shape shape = shape_in;
  int inferred = -1;
  std::int64_t known = 1;
  for (int i = 0; i < shape.rank(); ++i) {
    if (shape[i] == -1 && inferred < 0) {
      inferred = i;
    } else if (shape[i] < 0) {
      throw ShapeError("reshape: invalid target shape " + shape_in.str() +
                           " (one extent may be -1, the others must be >= 0)",
                       site);
    } else if (__builtin_mul_overflow(known, shape[i], &known)) {
      throw ShapeError("reshape: target shape " + shape_in.str() + " has too many elements", site);
    }
  }
  if (inferred >= 0) {
    if (known == 0 || x.numel() % known != 0) {
      throw ShapeError("reshape: cannot reshape " + x.shape().str() + " (" + std::to_string(x.numel()) +
                           " elements) to " + shape_in.str(),
                       site);
    }
    shape[inferred] = x.numel() / known;
  }
  if (shape.numel() != x.numel()) {
    throw ShapeError("reshape: cannot reshape " + x.shape().str() + " (" + std::to_string(x.numel()) +
                         " elements) to " + shape_in.str() + " (" + std::to_string(shape.numel()) +
                         " elements)",
                     site);
  }
  Tensor y = detail::alias(x, shape);
  if (should_record(x)) {
    record("reshape", site, y, [in = x.shape()](const Tensor& g, VjpContext& ctx) { ctx.set(0, reshape(g, in)); }, x);
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
  const kernels::Strides own = kernels::contiguous_strides(x.shape());
  Shape shape;
  kernels::Strides strides{};
  std::vector<int> inverse(dims.size());
  for (int i = 0; i < rank; ++i) {
    const auto a = static_cast<std::size_t>(axes[static_cast<std::size_t>(i)]);
    shape.push_back(x.shape()[static_cast<int>(a)]);
    strides[static_cast<std::size_t>(i)] = own[a];
    inverse[a] = i;
  }
  Tensor y = kernels::gather_strided(x, shape, strides);
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
  return slice_of(x, SliceSpec{a, start, step, length}, site);
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
  Tensor y = kernels::gather_strided(x, shape, kernels::broadcast_strides(x.shape(), shape));
  if (should_record(x)) {
    record("broadcast_to", site, y, [in = x.shape()](const Tensor& g, VjpContext& ctx) { ctx.set(0, sum_to(g, in)); }, x);
  }
  return y;
}

Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& widths, double value, Site site) {
  check_defined(x, "pad", site);
  if (static_cast<int>(widths.size()) > x.rank()) {
    throw ShapeError("pad: " + std::to_string(widths.size()) + " (before, after) pairs for a tensor of rank " +
                         std::to_string(x.rank()) + " " + x.shape().str(),
                     site);
  }
  Shape shape = x.shape();
  for (std::size_t i = 0; i < widths.size(); ++i) {
    if (widths[i].first < 0 || widths[i].second < 0) {
      throw InvalidArgument("pad: widths must be >= 0, axis " + std::to_string(i) + " of " + x.shape().str() +
                                " has (" + std::to_string(widths[i].first) + ", " + std::to_string(widths[i].second) +
                                ")",
                            site);
    }
    std::int64_t& extent = shape[static_cast<int>(i)];
    if (__builtin_add_overflow(extent, widths[i].first, &extent) ||
        __builtin_add_overflow(extent, widths[i].second, &extent)) {
      throw ShapeError("pad: widths (" + std::to_string(widths[i].first) + ", " + std::to_string(widths[i].second) +
                           ") on axis " + std::to_string(i) + " of " + x.shape().str() + " overflow int64",
                       site);
    }
  }
  check_numel(shape, x.dtype(), "pad", site);
  Tensor y = full(shape, value, x.dtype());
  const kernels::Strides strides = kernels::contiguous_strides(shape);
  std::int64_t offset = 0;
  for (std::size_t i = 0; i < widths.size(); ++i) offset += widths[i].first * strides[i];
  kernels::scatter_strided(y, strides, offset, x);
  if (should_record(x)) {
    record("pad", site, y, [widths, in = x.shape()](const Tensor& g, VjpContext& ctx) {
      Tensor inner = g;
      for (std::size_t i = 0; i < widths.size(); ++i) {
        const auto axis = static_cast<int>(i);
        if (widths[i].first || widths[i].second)
          inner = slice(inner, axis, widths[i].first, widths[i].first + in[axis]);
      }
      ctx.set(0, inner);
    }, x);
  }
  return y;
}

Tensor concat(const std::vector<Tensor>& tensors, int axis, Site site) {
  if (tensors.empty()) throw InvalidArgument("concat: needs at least one tensor", site);
  const Tensor& first = tensors.front();
  check_defined(first, "concat", site);
  const int a = normalize_axis(axis, first.rank(), first.shape(), "concat", site);
  Shape shape = first.shape();
  shape[a] = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    check_defined(t, "concat", site);
    if (t.dtype() != first.dtype()) {
      throw DtypeError("concat: tensor " + std::to_string(i) + " is " + dtype_name(t.dtype()) + ", tensor 0 " +
                           dtype_name(first.dtype()) + "; all must have one dtype",
                       site);
    }
    bool fits = t.rank() == first.rank();
    for (int d = 0; fits && d < t.rank(); ++d) fits = d == a || t.shape()[d] == first.shape()[d];
    if (!fits) {
      throw ShapeError("concat: tensor " + std::to_string(i) + " " + t.shape().str() + " does not match tensor 0 " +
                           first.shape().str() + " outside axis " + std::to_string(a),
                       site);
    }
    shape[a] += t.shape()[a];
  }
  Tensor y = detail::empty(shape, first.dtype());
  const kernels::Strides strides = kernels::contiguous_strides(shape);
  std::vector<std::int64_t> starts;
  std::int64_t start = 0;
  for (const Tensor& t : tensors) {
    starts.push_back(start);
    kernels::scatter_strided(y, strides, start * strides[static_cast<std::size_t>(a)], t);
    start += t.shape()[a];
  }
  if (detail::should_record_list(tensors)) {
    std::vector<std::int64_t> lengths;
    for (const Tensor& t : tensors) lengths.push_back(t.shape()[a]);
    detail::record_list("concat", site, y, [a, starts, lengths](const Tensor& g, VjpContext& ctx) {
      for (std::size_t i = 0; i < starts.size(); ++i)
        if (ctx.needs(i)) ctx.set(i, slice(g, a, starts[i], starts[i] + lengths[i]));
    }, tensors);
  }
  return y;
}

Tensor stack(const std::vector<Tensor>& tensors, int axis, Site site) {
  if (tensors.empty()) throw InvalidArgument("stack: needs at least one tensor", site);
  check_defined(tensors.front(), "stack", site);
  if (tensors.front().rank() >= kMaxRank) {
    throw ShapeError("stack: tensors of shape " + tensors.front().shape().str() + " have rank " +
                         std::to_string(kMaxRank) + ", the maximum: a new axis does not fit",
                     site);
  }
  const int a = normalize_axis(axis, tensors.front().rank() + 1, tensors.front().shape(), "stack", site);
  std::vector<Tensor> expanded;
  expanded.reserve(tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    check_defined(tensors[i], "stack", site);
    if (tensors[i].dtype() != tensors.front().dtype()) {
      throw DtypeError("stack: tensor " + std::to_string(i) + " is " + dtype_name(tensors[i].dtype()) + ", tensor 0 " +
                           dtype_name(tensors.front().dtype()) + "; all must have one dtype",
                       site);
    }
    if (tensors[i].shape() != tensors.front().shape()) {
      throw ShapeError("stack: tensor " + std::to_string(i) + " has shape " + tensors[i].shape().str() +
                           ", tensor 0 has " + tensors.front().shape().str() + "; all must match",
                       site);
    }
    expanded.push_back(unsqueeze(tensors[i], a, site));
  }
  return concat(expanded, a, site);
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

Tensor to_dtype(const Tensor& x, Dtype dtype, Site site) {
  check_defined(x, "to_dtype", site);
  if (x.dtype() == dtype) return x;
  if (dtype == i64) check_fits_int64(x, site);
  Tensor y = kernels::convert(x, dtype);
  if (is_floating(dtype) && should_record(x)) {
    record("to_dtype", site, y, [from = x.dtype()](const Tensor& g, VjpContext& ctx) { ctx.set(0, to_dtype(g, from)); }, x);
  }
  return y;
}

}  // namespace tg
