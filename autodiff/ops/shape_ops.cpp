// Shape ops that copy: pad, concat, stack, dtype conversion. (The views are
// in views.cpp.)
#include <algorithm>
#include <numeric>

#include "common.hpp"

namespace tg {

using namespace ops;

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

Tensor to_dtype(const Tensor& x, Dtype dtype, Site site) {
  check_defined(x, "to_dtype", site);
  if (x.dtype() == dtype) return x;
  if (dtype == i64) kernels::check_fits_int64(x, "to_dtype", site);
  Tensor y = kernels::convert(x, dtype);
  if (is_floating(dtype) && should_record(x)) {
    record("to_dtype", site, y, [from = x.dtype()](const Tensor& g, VjpContext& ctx) { ctx.set(0, to_dtype(g, from)); }, x);
  }
  return y;
}

}  // namespace tg
