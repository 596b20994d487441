// Indexing primitives and their adjoints: index_select ↔ index_add,
// gather ↔ scatter_add. Each is the other's VJP, so both differentiate to
// any order.
#include <algorithm>

#include "common.hpp"

namespace tg {

using namespace ops;

namespace {

// normalize_axis, naming the tensor's shape when `axis` is out of range
// (`rank` is the rank the axis counts in: one more where an axis is inserted).
void check_indices(const Tensor& index, const Shape& x_shape, int axis, const char* op, const Site& site) {
  check_defined(index, op, site);
  if (index.dtype() != Dtype::i64) {
    throw DtypeError(std::string(op) + ": indices must be int64, got " + dtype_name(index.dtype()), site);
  }
  const std::int64_t n = x_shape[axis];
  const Tensor index_flat = detail::dense(index);
  const std::int64_t* p = index_flat.impl()->data<std::int64_t>();
  const std::int64_t count = index.numel();
  for (std::int64_t i = 0; i < count; ++i) {
    if (p[i] < 0 || p[i] >= n) {
      throw AxisError(std::string(op) + ": index " + std::to_string(p[i]) + " (at position " + std::to_string(i) +
                          ") is out of range for axis " + std::to_string(axis) + " of extent " + std::to_string(n) +
                          " in shape " + x_shape.str(),
                      site);
    }
  }
}

// x viewed as (outer, n, inner) around `axis`.
struct AxisView {
  std::int64_t outer = 1, n = 1, inner = 1;
  AxisView(const Shape& s, int axis) {
    for (int i = 0; i < axis; ++i) outer *= s[i];
    n = s[axis];
    for (int i = axis + 1; i < s.rank(); ++i) inner *= s[i];
  }
};

Tensor index_add_into_zeros(const Shape& shape, int axis, const Tensor& indices, const Tensor& src, const Site& site);

Tensor select_rows(const Tensor& x, int axis, const Tensor& indices, const Site& site) {
  Shape shape = x.shape();
  shape[axis] = indices.numel();
  Tensor y = detail::empty(shape, x.dtype());
  const AxisView in(x.shape(), axis);
  const Tensor indices_flat = detail::dense(indices);
  const std::int64_t* idx = indices_flat.impl()->data<std::int64_t>();
  const std::int64_t count = indices.numel();
  kernels::dispatch_any(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor x_flat = detail::dense(x);
    const T* px = x_flat.impl()->data<T>();
    T* py = y.impl()->data<T>();
    for (std::int64_t o = 0; o < in.outer; ++o)
      for (std::int64_t j = 0; j < count; ++j)
        std::copy_n(px + (o * in.n + idx[j]) * in.inner, in.inner, py + (o * count + j) * in.inner);
  });
  if (should_record(x)) {
    record("index_select", site, y, [axis, saved_index = detail::Saved(indices), in_shape = x.shape(), site](const Tensor& g, VjpContext& ctx) {
      const Tensor& indices = saved_index.get();
      ctx.set(0, index_add_into_zeros(in_shape, axis, indices, g, site));
    }, x);
  }
  return y;
}

// zeros(shape) with src's rows added at `indices` along `axis` (repeats add up).
Tensor index_add_into_zeros(const Shape& shape, int axis, const Tensor& indices, const Tensor& src, const Site& site) {
  Tensor y = zeros(shape, src.dtype());
  const AxisView out(shape, axis);
  const Tensor indices_flat = detail::dense(indices);
  const std::int64_t* idx = indices_flat.impl()->data<std::int64_t>();
  const std::int64_t count = indices.numel();
  kernels::dispatch_float(src.dtype(), "index_add", site, [&](auto tag) {
    using T = decltype(tag);
    const Tensor src_flat = detail::dense(src);
    const T* ps = src_flat.impl()->data<T>();
    T* py = y.impl()->data<T>();
    for (std::int64_t o = 0; o < out.outer; ++o)
      for (std::int64_t j = 0; j < count; ++j) {
        T* dst = py + (o * out.n + idx[j]) * out.inner;
        const T* row = ps + (o * count + j) * out.inner;
        for (std::int64_t i = 0; i < out.inner; ++i) dst[i] += row[i];
      }
  });
  if (should_record(src)) {
    record("index_add", site, y, [axis, saved_index = detail::Saved(indices), site](const Tensor& g, VjpContext& ctx) {
      const Tensor& indices = saved_index.get();
      ctx.set(0, select_rows(g, axis, indices, site));
    }, src);
  }
  return y;
}

// Strides over the index's shape that address x everywhere but along `axis`.
kernels::Strides strides_off_axis(const Shape& x_shape, int axis) {
  kernels::Strides s = kernels::contiguous_strides(x_shape);
  s[static_cast<std::size_t>(axis)] = 0;
  return s;
}

Tensor scatter_add_into_zeros(const Shape& shape, int axis, const Tensor& index, const Tensor& src, const Site& site);

Tensor gather_along(const Tensor& x, int axis, const Tensor& index, const Site& site) {
  Tensor y = detail::empty(index.shape(), x.dtype());
  const std::int64_t axis_stride = kernels::contiguous_strides(x.shape())[static_cast<std::size_t>(axis)];
  const Tensor index_flat = detail::dense(index);
  const std::int64_t* idx = index_flat.impl()->data<std::int64_t>();
  kernels::dispatch_float(x.dtype(), "gather", site, [&](auto tag) {
    using T = decltype(tag);
    const Tensor x_flat = detail::dense(x);
    const T* px = x_flat.impl()->data<T>();
    T* py = y.impl()->data<T>();
    kernels::for_each_run<2>(index.shape(), {kernels::contiguous_strides(index.shape()), strides_off_axis(x.shape(), axis)},
                             [&](const auto& off, std::int64_t n, const auto& step) {
                               for (std::int64_t i = 0; i < n; ++i) {
                                 const std::int64_t at = off[0] + i * step[0];
                                 py[at] = px[off[1] + i * step[1] + idx[at] * axis_stride];
                               }
                             });
  });
  if (should_record(x)) {
    record("gather", site, y, [axis, saved_index = detail::Saved(index), in_shape = x.shape(), site](const Tensor& g, VjpContext& ctx) {
      const Tensor& index = saved_index.get();
      ctx.set(0, scatter_add_into_zeros(in_shape, axis, index, g, site));
    }, x);
  }
  return y;
}

Tensor scatter_add_into_zeros(const Shape& shape, int axis, const Tensor& index, const Tensor& src, const Site& site) {
  Tensor y = zeros(shape, src.dtype());
  const std::int64_t axis_stride = kernels::contiguous_strides(shape)[static_cast<std::size_t>(axis)];
  const Tensor index_flat = detail::dense(index);
  const std::int64_t* idx = index_flat.impl()->data<std::int64_t>();
  kernels::dispatch_float(src.dtype(), "scatter_add", site, [&](auto tag) {
    using T = decltype(tag);
    const Tensor src_flat = detail::dense(src);
    const T* ps = src_flat.impl()->data<T>();
    T* py = y.impl()->data<T>();
    kernels::for_each_run<2>(index.shape(), {kernels::contiguous_strides(index.shape()), strides_off_axis(shape, axis)},
                             [&](const auto& off, std::int64_t n, const auto& step) {
                               for (std::int64_t i = 0; i < n; ++i) {
                                 const std::int64_t at = off[0] + i * step[0];
                                 py[off[1] + i * step[1] + idx[at] * axis_stride] += ps[at];
                               }
                             });
  });
  if (should_record(src)) {
    record("scatter_add", site, y, [axis, saved_index = detail::Saved(index), site](const Tensor& g, VjpContext& ctx) {
      const Tensor& index = saved_index.get();
      ctx.set(0, gather_along(g, axis, index, site));
    }, src);
  }
  return y;
}

}  // namespace

namespace {

// index_add and index_copy's checks: x and source floating and of one dtype,
// index int64 of rank 0 or 1 within x's extent along `axis`, source shaped
// as x with index.numel() along `axis`. Returns the normalised axis.
int check_index_source(const Tensor& x, int axis, const Tensor& index, const Tensor& source, const char* op,
                       const Site& site) {
  check_pair(x, source, op, site);
  const int a = normalize_axis(axis, x.rank(), x.shape(), op, site);
  check_indices(index, x.shape(), a, op, site);
  if (index.rank() > 1) throw ShapeError(std::string(op) + ": index must have rank 1, got shape " + index.shape().str(), site);
  Shape expected = x.shape();
  expected[a] = index.numel();
  if (source.shape() != expected) {
    throw ShapeError(std::string(op) + ": source " + source.shape().str() + " does not fit " + x.shape().str() +
                         " along axis " + std::to_string(a) + " with " + std::to_string(index.numel()) +
                         " indices (expected " + expected.str() + ")",
                     site);
  }
  return a;
}

// x with source's rows written over its rows at `indices` along `axis`.
Tensor copy_rows(const Tensor& x, int axis, const Tensor& indices, const Tensor& source, const Site& site) {
  Tensor y = detail::copy_values(x);
  const AxisView out(x.shape(), axis);
  const Tensor indices_flat = detail::dense(indices);
  const std::int64_t* idx = indices_flat.impl()->data<std::int64_t>();
  const std::int64_t count = indices.numel();
  kernels::dispatch_float(x.dtype(), "index_copy", site, [&](auto tag) {
    using T = decltype(tag);
    const Tensor src_flat = detail::dense(source);
    const T* ps = src_flat.impl()->data<T>();
    T* py = y.impl()->data<T>();
    for (std::int64_t o = 0; o < out.outer; ++o)
      for (std::int64_t j = 0; j < count; ++j)
        std::copy_n(ps + (o * count + j) * out.inner, out.inner, py + (o * out.n + idx[j]) * out.inner);
  });
  return y;
}

}  // namespace

Tensor index_add(const Tensor& x, int axis, const Tensor& index, const Tensor& source, double alpha, Site site) {
  check_defined(x, "index_add", site);
  const int a = check_index_source(x, axis, index, source, "index_add", site);
  const Tensor added = index_add_into_zeros(x.shape(), a, index, source, site);
  return add(x, alpha == 1.0 ? added : mul(added, alpha, site), site);
}

Tensor index_copy(const Tensor& x, int axis, const Tensor& index, const Tensor& source, Site site) {
  check_defined(x, "index_copy", site);
  const int a = check_index_source(x, axis, index, source, "index_copy", site);
  Tensor y = copy_rows(x, a, index, source, site);
  if (should_record(x, source)) {
    record("index_copy", site, y, [a, saved_index = detail::Saved(index), site](const Tensor& g, VjpContext& ctx) {
      const Tensor& indices = saved_index.get();
      if (ctx.needs(0)) {
        Shape rows = g.shape();
        rows[a] = indices.numel();
        ctx.set(0, mul(g, copy_rows(ones(g.shape(), g.dtype()), a, indices, zeros(rows, g.dtype()), site), site));
      }
      if (ctx.needs(1)) ctx.set(1, select_rows(g, a, indices, site));
    }, x, source);
  }
  return y;
}

Tensor index_put(const Tensor& x, const std::vector<Tensor>& indices, const Tensor& values, bool accumulate, Site site) {
  check_pair(x, values, "index_put", site);
  const int k = static_cast<int>(indices.size());
  if (k == 0 || k > x.rank()) {
    throw ShapeError("index_put: " + std::to_string(k) + " index tensors for the tensor " + x.shape().str() +
                         " (expected 1 to " + std::to_string(x.rank()) + ", one per leading axis)",
                     site);
  }
  Shape indexed;  // the broadcast shape of the indices
  for (int j = 0; j < k; ++j) {
    const Tensor& index = indices[static_cast<std::size_t>(j)];
    check_defined(index, "index_put", site);
    if (index.dtype() != Dtype::i64) {
      throw DtypeError(std::string("index_put: index ") + std::to_string(j) + " must be int64, got " +
                           dtype_name(index.dtype()),
                       site);
    }
    indexed = j == 0 ? index.shape() : broadcast_shapes(indexed, index.shape(), "index_put", site);
  }
  // Positions in x viewed as (x.shape[0] * ... * x.shape[k-1], rest...).
  const std::int64_t count = indexed.numel();
  Tensor linear = detail::empty(Shape{count}, Dtype::i64);
  std::int64_t* lin = linear.impl()->data<std::int64_t>();
  std::fill_n(lin, count, std::int64_t{0});
  std::int64_t lead = 1;
  for (int j = k - 1; j >= 0; --j) {
    const std::int64_t n = x.shape()[j];
    const Tensor index = detail::dense(broadcast_to(indices[static_cast<std::size_t>(j)].detach(), indexed, site));
    const std::int64_t* p = index.impl()->data<std::int64_t>();
    for (std::int64_t i = 0; i < count; ++i) {
      if (p[i] < -n || p[i] >= n) {
        throw AxisError("index_put: index " + std::to_string(p[i]) + " is out of range for axis " + std::to_string(j) +
                            " of extent " + std::to_string(n) + " in shape " + x.shape().str(),
                        site);
      }
      lin[i] += (p[i] < 0 ? p[i] + n : p[i]) * lead;
    }
    lead *= n;
  }
  Shape rows{lead}, target = indexed, flat_target{count};
  for (int i = k; i < x.rank(); ++i) {
    rows.push_back(x.shape()[i]);
    target.push_back(x.shape()[i]);
    flat_target.push_back(x.shape()[i]);
  }
  if (!broadcasts_to(values.shape(), target)) {
    throw ShapeError("index_put: values " + values.shape().str() + " do not broadcast to the indexed shape " +
                         target.str() + " of " + x.shape().str(),
                     site);
  }
  const Tensor source = reshape(broadcast_to(values, target, site), flat_target, site);
  const Tensor x_rows = reshape(x, rows, site);
  const Tensor y = accumulate ? index_add(x_rows, 0, linear, source, 1.0, site) : index_copy(x_rows, 0, linear, source, site);
  return reshape(y, x.shape(), site);
}

Tensor index_select(const Tensor& x, int axis, const Tensor& indices, Site site) {
  check_defined(x, "index_select", site);
  const int a = normalize_axis(axis, x.rank(), x.shape(), "index_select", site);
  check_indices(indices, x.shape(), a, "index_select", site);
  if (indices.rank() != 1) {
    throw ShapeError("index_select: indices must have rank 1, got shape " + indices.shape().str(), site);
  }
  return select_rows(x, a, indices, site);
}

Tensor gather(const Tensor& x, int axis, const Tensor& index, Site site) {
  check_float(x, "gather", site);
  const int a = normalize_axis(axis, x.rank(), x.shape(), "gather", site);
  check_indices(index, x.shape(), a, "gather", site);
  const bool labels = index.rank() == x.rank() - 1;
  const Tensor full_index = labels ? detail::alias(detail::dense(index), [&] {
    Shape s;
    for (int i = 0, j = 0; i < x.rank(); ++i) s.push_back(i == a ? 1 : index.shape()[j++]);
    return s;
  }()) : index;
  bool fits = full_index.rank() == x.rank();
  for (int d = 0; fits && d < x.rank(); ++d) fits = d == a || full_index.shape()[d] <= x.shape()[d];
  if (!fits) {
    throw ShapeError("gather: index " + index.shape().str() + " does not fit " + x.shape().str() + " along axis " +
                         std::to_string(a) +
                         " (expected the same rank, or one less for class labels, and extents no larger "
                         "than x's off the axis)",
                     site);
  }
  const Tensor y = gather_along(x, a, full_index, site);
  return labels ? squeeze(y, a, site) : y;
}

}  // namespace tg
