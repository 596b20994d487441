// Reductions over any set of axes, with keepdims. sum, max, min and
// logsumexp are primitives; mean, var and sum_to are compositions.
//
// Note [sum_to]
// Broadcasting makes an input of shape (3, 1) act as (2, 3, 4); the
// gradient arriving for it has the broadcast shape and is summed back over the
// axes that broadcasting added or stretched. sum_to is that sum, written as a
// taped sum + reshape, so its own gradient (a broadcast) comes for free.
#include <cmath>
#include <limits>

#include "common.hpp"

namespace tg {

using namespace ops;

namespace {

// acc combined with the n contiguous values at `in`, in eight interleaved
// partial results merged at the end: with one accumulator every step waits on
// the one before (a sum of a long row ran at the adder's latency, not its
// throughput), and eight independent lanes vectorise.
template <class T, class Combine>
T combine_contiguous(T acc, const T* in, std::int64_t n, Combine combine) {
  constexpr std::int64_t kLanes = 8;
  std::int64_t i = 0;
  if (n >= 2 * kLanes) {
    T lane[kLanes];
    for (std::int64_t k = 0; k < kLanes; ++k) lane[k] = in[k];
    for (i = kLanes; i + kLanes <= n; i += kLanes) {
      for (std::int64_t k = 0; k < kLanes; ++k) lane[k] = combine(lane[k], in[i + k]);
    }
    for (std::int64_t k = 0; k < kLanes; ++k) acc = combine(acc, lane[k]);
  }
  for (; i < n; ++i) acc = combine(acc, in[i]);
  return acc;
}

// Reduces x over `axes` (normalised, non-empty) into a tensor of the keepdims
// shape: out = combine(out, x) starting from `init`.
template <class Combine>
Tensor reduce_keepdims(const Tensor& x, const Axes& axes, const char* op, const Site& site,
                       double init, Combine combine) {
  const Shape keep = reduced_shape(x.shape(), axes, true);
  Tensor out = detail::empty(keep, x.dtype());
  kernels::fill(out, init);
  kernels::dispatch_float(x.dtype(), op, site, [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.impl()->base<T>();
    T* po = out.impl()->data<T>();
    kernels::for_each_run<2>(
        x.shape(), {x.impl()->strides, kernels::broadcast_strides(keep, x.shape())},
        [&](const auto& off, std::int64_t n, const auto& step) {
          const T* in = px + off[0];
          T* o = po + off[1];
          if (step[1] == 0 && step[0] == 1) {
            *o = combine_contiguous(*o, in, n, combine);
          } else if (step[1] == 0) {
            T acc = *o;
            for (std::int64_t i = 0; i < n; ++i) acc = combine(acc, in[i * step[0]]);
            *o = acc;
          } else {
            for (std::int64_t i = 0; i < n; ++i) o[i * step[1]] = combine(o[i * step[1]], in[i * step[0]]);
          }
        });
  });
  return out;
}

std::int64_t reduced_count(const Shape& shape, const Axes& axes) {
  std::int64_t n = 1;
  for (int a : axes) n *= shape[a];
  return n;
}

// The gradient of a reduction's output (shape with or without the reduced
// axes) laid out with keepdims, ready to broadcast against the input.
Tensor as_keepdims(const Tensor& g, const Shape& keep) {
  return g.shape() == keep ? g : reshape(g, keep);
}

Tensor extremum(const Tensor& x, const Axes& axes_in, bool keepdims, const Site& site, bool is_max) {
  const char* op = is_max ? "max" : "min";
  check_float(x, op, site);
  const Axes axes = normalize_axes(axes_in, x.shape(), op, site);
  for (int a : axes) {
    if (x.shape()[a] == 0) {
      throw ShapeError(std::string(op) + ": cannot reduce the empty axis " + std::to_string(a) +
                           " of shape " + x.shape().str(),
                       site);
    }
  }
  const double init = is_max ? -std::numeric_limits<double>::infinity()
                             : std::numeric_limits<double>::infinity();
  Tensor keep = reduce_keepdims(x, axes, op, site, init, [is_max](auto acc, auto v) {
    return (is_max ? v > acc : v < acc) || std::isnan(v) ? v : acc;
  });
  Tensor y = keepdims ? keep : detail::alias(keep, reduced_shape(x.shape(), axes, false));
  if (should_record(x)) {
    record(op, site, y, [sx = detail::Saved(x), axes, sk = detail::saved(keep)](const Tensor& g, VjpContext& ctx) {
      const Tensor& x = sx.get();
      const Tensor& keep = sk.get();
      // The gradient goes to the elements equal to the extremum, split evenly at ties.
      const Tensor hit = eq(x.detach(), keep);
      const Tensor count = sum(hit, axes, true);
      ctx.set(0, as_keepdims(g, keep.shape()) * (hit / count));
    }, x);
  }
  return y;
}

}  // namespace

Tensor sum(const Tensor& x, const Axes& axes_in, bool keepdims, Site site) {
  check_float(x, "sum", site);
  const Axes axes = normalize_axes(axes_in, x.shape(), "sum", site);
  Tensor keep = reduce_keepdims(x, axes, "sum", site, 0.0, [](auto acc, auto v) { return acc + v; });
  Tensor y = keepdims ? keep : detail::alias(keep, reduced_shape(x.shape(), axes, false));
  if (should_record(x)) {
    record("sum", site, y, [shape = x.shape(), keep = keep.shape()](const Tensor& g, VjpContext& ctx) {
      ctx.set(0, broadcast_to(as_keepdims(g, keep), shape));
    }, x);
  }
  return y;
}


Tensor mean(const Tensor& x, const Axes& axes_in, bool keepdims, Site site) {
  check_float(x, "mean", site);
  const Axes axes = normalize_axes(axes_in, x.shape(), "mean", site);
  const std::int64_t n = reduced_count(x.shape(), axes);
  if (n == 0) throw ShapeError("mean: no elements to average in shape " + x.shape().str(), site);
  return sum(x, axes, keepdims, site) * (1.0 / static_cast<double>(n));
}


Tensor max(const Tensor& x, const Axes& axes, bool keepdims, Site site) { return extremum(x, axes, keepdims, site, true); }
Tensor min(const Tensor& x, const Axes& axes, bool keepdims, Site site) { return extremum(x, axes, keepdims, site, false); }

Tensor var(const Tensor& x, const Axes& axes_in, bool keepdims, VarOptions options, Site site) {
  check_float(x, "var", site);
  const Axes axes = normalize_axes(axes_in, x.shape(), "var", site);
  const std::int64_t n = reduced_count(x.shape(), axes);
  const std::int64_t correction = options.correction;
  if (correction < 0 || n - correction <= 0) {
    throw ShapeError("var: " + std::to_string(n) + " elements with correction " + std::to_string(correction) +
                         " leave no degrees of freedom (shape " + x.shape().str() + ")",
                     site);
  }
  const Tensor centered = x - mean(x, axes, true, site);
  return sum(centered * centered, axes, keepdims, site) * (1.0 / static_cast<double>(n - correction));
}

Tensor logsumexp(const Tensor& x, const Axes& axes_in, bool keepdims, Site site) {
  check_float(x, "logsumexp", site);
  const Axes axes = normalize_axes(axes_in, x.shape(), "logsumexp", site);
  Tensor keep;
  {
    NoGrad no_grad;
    // The max, with -inf over an empty axis: the result is then log 0 = -inf (NumPy, PyTorch).
    const Tensor m = reduce_keepdims(x, axes, "logsumexp", site, -std::numeric_limits<double>::infinity(),
                                     [](auto acc, auto v) { return v > acc || std::isnan(v) ? v : acc; });
    // Where the max is ±inf, shift by 0 instead (inf − inf would be NaN).
    const Tensor shift = map_unary(m, "logsumexp", site, [](auto v) { return std::isfinite(v) ? v : decltype(v)(0); });
    const Tensor s = reduce_keepdims(exp(x - shift), axes, "logsumexp", site, 0.0,
                                     [](auto acc, auto v) { return acc + v; });
    keep = log(s) + shift;
  }
  Tensor y = keepdims ? keep : detail::alias(keep, reduced_shape(x.shape(), axes, false));
  if (should_record(x)) {
    record("logsumexp", site, y, [sx = detail::Saved(x), ys = saved(y), keep = keep.shape()](const Tensor& g, VjpContext& ctx) {
      const Tensor& x = sx.get();
      // d/dx log Σ e^x = softmax(x) = e^(x − y)
      const Tensor out = as_keepdims(ctx.output(ys), keep);
      ctx.set(0, as_keepdims(g, keep) * exp(x - out));
    }, x);
  }
  return y;
}


Tensor sum_to(const Tensor& x, const Shape& shape, Site site) {
  check_defined(x, "sum_to", site);
  check_float(x, "sum_to", site);
  if (x.shape() == shape) return x;
  const int lead = x.rank() - shape.rank();
  bool fits = lead >= 0;
  Axes axes;
  for (int a = 0; fits && a < x.rank(); ++a) {
    if (a < lead) {
      axes.push_back(a);
    } else if (shape[a - lead] == 1 && x.shape()[a] != 1) {
      axes.push_back(a);
    } else {
      fits = shape[a - lead] == x.shape()[a];
    }
  }
  if (!fits) {
    throw ShapeError("sum_to: " + x.shape().str() + " cannot be summed to " + shape.str() +
                         " (the target must broadcast to the source)",
                     site);
  }
  return reshape(sum(x, axes, true, site), shape, site);
}

}  // namespace tg
