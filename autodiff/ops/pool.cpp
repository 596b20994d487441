// 2-D pooling over (N, C, H, W) with direct kernels on contiguous planes.
//
// max_pool2d finds the maximum of each window and its argmax (flat indices
// into the H·W plane) in one pass. Its VJP is a scatter-add to the argmax,
// a linear primitive whose VJP is the gather at the argmax, whose VJP is the
// scatter again: differentiable to any order. avg_pool2d is a linear primitive paired with its adjoint
// (spreading each output's gradient over its window): each is the other's
// VJP, so both differentiate to any order.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "common.hpp"
#include "tapegrad/autodiff/nn_ops.hpp"

namespace tg {

using namespace ops;

namespace {

// The windows of a pooling: input planes (n·c of h × w), kernel, stride,
// padding and dilation, output grid (oh, ow).
struct PoolGeometry {
  std::int64_t n, c, h, w;
  std::int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  std::int64_t oh, ow;
  Shape out_shape() const { return {n, c, oh, ow}; }
};

// The taps [lo, hi) of a window starting at input position `start` (step
// `dilation`, `k` taps) that land inside [0, extent): no bounds test in the
// inner loops.
struct Taps {
  std::int64_t lo, hi;
};
Taps taps(std::int64_t start, std::int64_t k, std::int64_t dilation, std::int64_t extent) {
  const std::int64_t lo = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
  const std::int64_t hi = start >= extent ? 0 : std::min(k, (extent - 1 - start) / dilation + 1);
  return {lo, std::max(lo, hi)};
}

// Checks the arguments of a pooling op before any work and works out its
// output grid.
PoolGeometry pool_geometry(const Tensor& x, Extent2 kernel, const PoolStride& stride_in,
                           Extent2 padding, Extent2 dilation, const char* op, const Site& site) {
  const std::string name(op);
  check_float(x, op, site);
  const Shape& s = x.shape();
  if (s.rank() != 4) {
    throw ShapeError(name + ": expected a 4-D input (N, C, H, W), got shape " + s.str(), site);
  }
  const Extent2 stride = stride_in.or_kernel(kernel);
  auto positive = [&](Extent2 e, const char* what) {
    if (e.h <= 0 || e.w <= 0) {
      throw InvalidArgument(name + ": " + what + " must be positive, got " + pair_str(e.h, e.w) + " (input " +
                                s.str() + ")",
                            site);
    }
  };
  positive(kernel, "kernel size");
  positive(stride, "stride");
  positive(dilation, "dilation");
  if (padding.h < 0 || padding.w < 0 || padding.h > kernel.h / 2 || padding.w > kernel.w / 2) {
    throw InvalidArgument(name + ": padding must be >= 0 and at most half the kernel size, got padding " +
                              pair_str(padding.h, padding.w) + " for kernel " + pair_str(kernel.h, kernel.w) +
                              " (input " + s.str() + ")",
                          site);
  }
  if (s[2] == 0 || s[3] == 0) {
    throw ShapeError(name + ": the input's height and width must be non-zero, got shape " + s.str(), site);
  }
  PoolGeometry g{s[0],     s[1],     s[2],      s[3],      kernel.h,   kernel.w, stride.h, stride.w,
                 padding.h, padding.w, dilation.h, dilation.w, 0,          0};
  std::int64_t span_h = 0, span_w = 0;
  if (__builtin_mul_overflow(g.dh, g.kh - 1, &span_h) || __builtin_add_overflow(span_h, 1, &span_h) ||
      __builtin_mul_overflow(g.dw, g.kw - 1, &span_w) || __builtin_add_overflow(span_w, 1, &span_w)) {
    throw ShapeError(name + ": kernel " + pair_str(g.kh, g.kw) + " with dilation " + pair_str(g.dh, g.dw) +
                         " spans more than int64 holds (input " + s.str() + ")",
                     site);
  }
  const std::int64_t padded_h = g.h + 2 * g.ph, padded_w = g.w + 2 * g.pw;  // padding <= kernel / 2: no overflow
  if (span_h > padded_h || span_w > padded_w) {
    const std::string dilated =
        g.dh == 1 && g.dw == 1 ? "" : " with dilation " + pair_str(g.dh, g.dw) + " spans " + pair_str(span_h, span_w) + " and";
    throw ShapeError(name + ": kernel " + pair_str(g.kh, g.kw) + dilated + " is larger than the padded input " +
                         pair_str(padded_h, padded_w) + " (input " + s.str() + ", padding " + pair_str(g.ph, g.pw) + ")",
                     site);
  }
  g.oh = (padded_h - span_h) / g.sh + 1;
  g.ow = (padded_w - span_w) / g.sw + 1;
  return g;
}

// With dilation a window can fall between the input's rows (or columns)
// entirely, and there is no max to take: refuse rather than return −inf.
void check_windows_hold_input(const PoolGeometry& g, const Tensor& x, const char* op, const Site& site) {
  auto check = [&](std::int64_t outputs, std::int64_t stride, std::int64_t pad, std::int64_t k, std::int64_t d,
                   std::int64_t extent, const char* axis) {
    for (std::int64_t o = 0; o < outputs; ++o) {
      const Taps t = taps(o * stride - pad, k, d, extent);
      if (t.lo == t.hi) {
        throw ShapeError(std::string(op) + ": output " + axis + " " + std::to_string(o) +
                             " has a window entirely in the padding (input " + x.shape().str() + ", kernel " +
                             pair_str(g.kh, g.kw) + ", padding " + pair_str(g.ph, g.pw) + ", dilation " +
                             pair_str(g.dh, g.dw) + ")",
                         site);
      }
    }
  };
  check(g.oh, g.sh, g.ph, g.kh, g.dh, g.h, "row");
  check(g.ow, g.sw, g.pw, g.kw, g.dw, g.w, "column");
}

// Whether v replaces the running maximum: larger, or the first NaN.
template <class T>
bool beats(T v, T best) {
  return v > best || (v != v && best == best);
}

// For each output of a max pooling over one H·W plane, y = the window's first
// maximum (row-major; the first NaN wins over any number) and index = its
// flat position in the plane. `col_taps` holds the column taps of each output
// column, worked out once (each is two integer divisions).
template <class T>
void max_plane(const T* in, T* out, std::int64_t* at_out, const PoolGeometry& g, const std::vector<Taps>& col_taps) {
  for (std::int64_t oh = 0; oh < g.oh; ++oh) {
    const std::int64_t h0 = oh * g.sh - g.ph;
    const Taps rows = taps(h0, g.kh, g.dh, g.h);
    for (std::int64_t ow = 0; ow < g.ow; ++ow) {
      const std::int64_t w0 = ow * g.sw - g.pw;
      const Taps cols = col_taps[static_cast<std::size_t>(ow)];
      std::int64_t best = (h0 + rows.lo * g.dh) * g.w + w0 + cols.lo * g.dw;
      T best_v = in[best];
      for (std::int64_t i = rows.lo; i < rows.hi; ++i) {
        const std::int64_t row = (h0 + i * g.dh) * g.w + w0;
        for (std::int64_t j = cols.lo; j < cols.hi; ++j) {
          const std::int64_t at = row + j * g.dw;
          const T v = in[at];
          if (beats(v, best_v)) {
            best_v = v;
            best = at;
          }
        }
      }
      out[oh * g.ow + ow] = best_v;
      at_out[oh * g.ow + ow] = best;
    }
  }
}

// The 2×2, stride 2 windows without padding or dilation of most CNNs.
bool is_plain_2x2(const PoolGeometry& g) {
  return g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1;
}

// max_plane for plain 2×2 windows, with no branch: on random data a branch
// per tap is mispredicted half the time, which cost more than all the
// comparisons. The winners' positions go to `at` (an integer as wide as T, so
// that the selects vectorise), then to the int64 index. Plain extents rather
// than the geometry: a store through at_out could otherwise alias it, and each
// extent would be reloaded in the loops. Returns false, its results to be
// discarded, when the plane holds a NaN: only `>` is taken here, which would
// skip the NaN that max_plane lets win.
template <class T, class Tap>
bool max_plane_2x2(const T* in, T* out, std::int64_t* at_out, std::int64_t out_h, std::int64_t out_w, Tap w,
                   Tap* at) {
  Tap nans = 0;  // a count, not a bool: the compiler vectorises it
  for (std::int64_t oh = 0; oh < out_h; ++oh) {
    const T* top = in + 2 * oh * w;
    const T* bottom = top + w;
    T* row_out = out + oh * out_w;
    Tap* row_at = at + oh * out_w;
    const Tap row_start = static_cast<Tap>(2 * oh * w);
    for (std::int64_t ow = 0; ow < out_w; ++ow) {
      const T first = top[2 * ow], right = top[2 * ow + 1], below = bottom[2 * ow], diagonal = bottom[2 * ow + 1];
      const T total = first + right + below + diagonal;  // NaN if a tap is (or inf − inf: a needless fallback)
      nans += total != total;
      // The maximum (std::max keeps its first argument on ties), then the
      // first tap that equals it: the first maximum in row-major order.
      const T best = std::max(std::max(first, right), std::max(below, diagonal));
      Tap offset = below == best ? w : w + 1;
      offset = right == best ? 1 : offset;
      offset = first == best ? 0 : offset;
      const Tap best_at = row_start + static_cast<Tap>(2 * ow) + offset;
      row_out[ow] = best;
      row_at[ow] = best_at;
    }
  }
  for (std::int64_t k = 0; k < out_h * out_w; ++k) at_out[k] = at[k];
  return nans == 0;
}

template <class T>
void max_kernel(const T* x, T* y, std::int64_t* index, const PoolGeometry& g) {
  using Tap = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
  const std::int64_t plane_in = g.h * g.w, plane_out = g.oh * g.ow;
  const bool plain_2x2 = is_plain_2x2(g) && plane_in < std::numeric_limits<Tap>::max();
  std::vector<Taps> col_taps(static_cast<std::size_t>(g.ow));
  for (std::int64_t ow = 0; ow < g.ow; ++ow) col_taps[static_cast<std::size_t>(ow)] = taps(ow * g.sw - g.pw, g.kw, g.dw, g.w);
  std::vector<Tap> at(static_cast<std::size_t>(plain_2x2 ? plane_out : 0));
  for (std::int64_t p = 0; p < g.n * g.c; ++p) {
    const T* in = x + p * plane_in;
    T* out = y + p * plane_out;
    std::int64_t* at_out = index + p * plane_out;
    if (!plain_2x2 || !max_plane_2x2(in, out, at_out, g.oh, g.ow, static_cast<Tap>(g.w), at.data())) {
      max_plane(in, out, at_out, g, col_taps);
    }
  }
}

Tensor scatter_to_argmax(const Tensor& grad, const Tensor& index, const PoolGeometry& g, const Site& site);

// y (N, C, Ho, Wo) = x (N, C, H, W) at the argmax `index` (N, C, Ho·Wo):
// max pooling's values, and the VJP of scatter_to_argmax.
Tensor gather_at_argmax(const Tensor& x, const Tensor& index, const PoolGeometry& g, const Site& site) {
  Tensor y = detail::empty(g.out_shape(), x.dtype());
  kernels::dispatch_float(x.dtype(), "max_pool2d", site, [&](auto tag) {
    using T = decltype(tag);
    const Tensor x_flat = detail::dense(x);
    const T* px = x_flat.impl()->data<T>();
    const Tensor index_flat = detail::dense(index);
    const std::int64_t* pi = index_flat.impl()->data<std::int64_t>();
    T* py = y.impl()->data<T>();
    const std::int64_t plane_in = g.h * g.w, plane_out = g.oh * g.ow;
    for (std::int64_t p = 0; p < g.n * g.c; ++p) {
      for (std::int64_t o = 0; o < plane_out; ++o) py[p * plane_out + o] = px[p * plane_in + pi[p * plane_out + o]];
    }
  });
  if (should_record(x)) {
    record("max_pool2d_gather", site, y, [saved_index = detail::Saved(index), g, site](const Tensor& gy, VjpContext& ctx) {
      ctx.set(0, scatter_to_argmax(gy, saved_index.get(), g, site));
    }, x);
  }
  return y;
}

// dx (N, C, H, W): zeros, with each output's gradient added at its window's
// argmax. The VJP of max pooling; its own VJP is gather_at_argmax.
Tensor scatter_to_argmax(const Tensor& grad, const Tensor& index, const PoolGeometry& g, const Site& site) {
  Tensor dx = zeros({g.n, g.c, g.h, g.w}, grad.dtype());
  kernels::dispatch_float(grad.dtype(), "max_pool2d_backward", site, [&](auto tag) {
    using T = decltype(tag);
    const Tensor grad_flat = detail::dense(grad);
    const T* pg = grad_flat.impl()->data<T>();
    const Tensor index_flat = detail::dense(index);
    const std::int64_t* pi = index_flat.impl()->data<std::int64_t>();
    T* pd = dx.impl()->data<T>();
    const std::int64_t plane_in = g.h * g.w, plane_out = g.oh * g.ow;
    for (std::int64_t p = 0; p < g.n * g.c; ++p) {
      for (std::int64_t o = 0; o < plane_out; ++o) pd[p * plane_in + pi[p * plane_out + o]] += pg[p * plane_out + o];
    }
  });
  if (should_record(grad)) {
    record("max_pool2d_backward", site, dx, [saved_index = detail::Saved(index), g, site](const Tensor& gg, VjpContext& ctx) {
      ctx.set(0, gather_at_argmax(gg, saved_index.get(), g, site));
    }, grad);
  }
  return dx;
}

// The divisor of the window at (rows, cols).
std::int64_t divisor(const PoolGeometry& g, const Taps& rows, const Taps& cols, bool count_include_pad) {
  return count_include_pad ? g.kh * g.kw : (rows.hi - rows.lo) * (cols.hi - cols.lo);
}

// Calls f(plane_in, plane_out, row0, col0, rows, cols, out_index, divisor)
// for every output of an average pooling: one loop nest for both directions.
template <class F>
void for_each_avg_window(const PoolGeometry& g, bool count_include_pad, F&& f) {
  for (std::int64_t p = 0; p < g.n * g.c; ++p) {
    for (std::int64_t oh = 0; oh < g.oh; ++oh) {
      const std::int64_t h0 = oh * g.sh - g.ph;
      const Taps rows = taps(h0, g.kh, 1, g.h);
      for (std::int64_t ow = 0; ow < g.ow; ++ow) {
        const std::int64_t w0 = ow * g.sw - g.pw;
        const Taps cols = taps(w0, g.kw, 1, g.w);
        f(p * g.h * g.w + h0 * g.w + w0, (p * g.oh + oh) * g.ow + ow, rows, cols,
          divisor(g, rows, cols, count_include_pad));
      }
    }
  }
}

Tensor avg_pool_adjoint(const Tensor& grad, const PoolGeometry& g, bool count_include_pad, const Site& site);

// y = the mean of each window of x (N, C, H, W) -> (N, C, Ho, Wo).
Tensor avg_pool_forward(const Tensor& x, const PoolGeometry& g, bool count_include_pad, const Site& site) {
  Tensor y = detail::empty(g.out_shape(), x.dtype());
  kernels::dispatch_float(x.dtype(), "avg_pool2d", site, [&](auto tag) {
    using T = decltype(tag);
    const Tensor x_flat = detail::dense(x);
    const T* px = x_flat.impl()->data<T>();
    T* py = y.impl()->data<T>();
    for_each_avg_window(g, count_include_pad, [&](std::int64_t in, std::int64_t out, Taps rows, Taps cols, std::int64_t div) {
      T total = 0;
      for (std::int64_t i = rows.lo; i < rows.hi; ++i) {
        const std::int64_t row = in + i * g.w;  // may point left of the plane: j >= cols.lo brings it back
        for (std::int64_t j = cols.lo; j < cols.hi; ++j) total += px[row + j];
      }
      py[out] = total / static_cast<T>(div);
    });
  });
  if (should_record(x)) {
    record("avg_pool2d", site, y, [g, count_include_pad, site](const Tensor& grad, VjpContext& ctx) {
      ctx.set(0, avg_pool_adjoint(grad, g, count_include_pad, site));
    }, x);
  }
  return y;
}

// The adjoint of avg_pool_forward: dx (N, C, H, W) with each output's
// gradient divided by its divisor and added to every input of its window.
Tensor avg_pool_adjoint(const Tensor& grad, const PoolGeometry& g, bool count_include_pad, const Site& site) {
  Tensor dx = zeros({g.n, g.c, g.h, g.w}, grad.dtype());
  kernels::dispatch_float(grad.dtype(), "avg_pool2d_backward", site, [&](auto tag) {
    using T = decltype(tag);
    const Tensor grad_flat = detail::dense(grad);
    const T* pg = grad_flat.impl()->data<T>();
    T* pd = dx.impl()->data<T>();
    for_each_avg_window(g, count_include_pad, [&](std::int64_t in, std::int64_t out, Taps rows, Taps cols, std::int64_t div) {
      const T v = pg[out] / static_cast<T>(div);
      for (std::int64_t i = rows.lo; i < rows.hi; ++i) {
        const std::int64_t row = in + i * g.w;
        for (std::int64_t j = cols.lo; j < cols.hi; ++j) pd[row + j] += v;
      }
    });
  });
  if (should_record(grad)) {
    record("avg_pool2d_backward", site, dx, [g, count_include_pad, site](const Tensor& gg, VjpContext& ctx) {
      ctx.set(0, avg_pool_forward(gg, g, count_include_pad, site));
    }, grad);
  }
  return dx;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, Extent2 kernel, const MaxPool2dOptions& options, Site site) {
  const PoolGeometry g = pool_geometry(x, kernel, options.stride, options.padding, options.dilation, "max_pool2d", site);
  check_windows_hold_input(g, x, "max_pool2d", site);
  // (N, C, H, W) -> the maxima (N, C, Ho, Wo) and their argmax (N, C, Ho·Wo)
  // into the flattened planes, in one pass.
  Tensor y = detail::empty(g.out_shape(), x.dtype());
  Tensor index = detail::empty({g.n, g.c, g.oh * g.ow}, Dtype::i64);
  kernels::dispatch_float(x.dtype(), "max_pool2d", site, [&](auto tag) {
    using T = decltype(tag);
    max_kernel<T>(detail::dense(x).impl()->data<T>(), y.impl()->data<T>(), index.impl()->data<std::int64_t>(), g);
  });
  if (should_record(x)) {
    record("max_pool2d", site, y, [saved_index = detail::Saved(index), g, site](const Tensor& gy, VjpContext& ctx) {
      ctx.set(0, scatter_to_argmax(gy, saved_index.get(), g, site));
    }, x);
  }
  return y;
}

Tensor avg_pool2d(const Tensor& x, Extent2 kernel, const AvgPool2dOptions& options, Site site) {
  const PoolGeometry g = pool_geometry(x, kernel, options.stride, options.padding, 1, "avg_pool2d", site);
  return avg_pool_forward(x, g, options.count_include_pad, site);
}

}  // namespace tg
