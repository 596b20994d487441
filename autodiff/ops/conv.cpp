// Convolution: the primitives unfold (im2col) and fold (col2im), each the
// other's VJP so gradients of gradients work, in two column layouts, and
// conv1d/conv2d composed from them: unfold the whole batch into one matrix,
// one gemm against the weight seen as (O, C·kh·kw), bias, permute. No
// convolution gradient is written by hand.
#include "conv_columns.hpp"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "common.hpp"

namespace tg {

using namespace ops;

namespace {

// The windows of an unfold or fold: input (n, c, h, w), kernel (kh, kw),
// output grid (oh, ow). A 1-D op is the 2-D one with h = kh = 1.
struct Geometry {
  std::int64_t n, c, h, w;
  std::int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  std::int64_t oh, ow;
  std::int64_t rows() const { return c * kh * kw; }
  std::int64_t cols() const { return oh * ow; }
};

// Where the columns of the windows go. per_image: (N, C·kh·kw, Ho·Wo), the
// public unfold's. batch: (C·kh·kw, N·Ho·Wo), column n·Ho·Wo + l, so that a
// convolution over the whole batch is one gemm.
enum class Layout { per_image, batch };

// Element strides in the columns between two images and between two rows
// (c, ki, kj); within a row the Ho·Wo windows are contiguous in both layouts.
struct ColumnStrides {
  std::int64_t image, row;
};
ColumnStrides column_strides(const Geometry& g, Layout layout) {
  return layout == Layout::per_image ? ColumnStrides{g.rows() * g.cols(), g.cols()}
                                     : ColumnStrides{g.cols(), g.n * g.cols()};
}
Shape columns_shape(const Geometry& g, Layout layout) {
  return layout == Layout::per_image ? Shape{g.n, g.rows(), g.cols()} : Shape{g.rows(), g.n * g.cols()};
}

// One extent for a 1-D op (its height is a formality), a pair for 2-D.
std::string pair_str(std::int64_t a, std::int64_t b, int dims) {
  return dims == 1 ? std::to_string(b) : ops::pair_str(a, b);
}

// Checks the kernel and options of a `dims`-D op over an input of spatial
// extents (h, w) and fills in the output grid. `input` is the shape the user
// passed, for the messages.
Geometry geometry(const char* op, int dims, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w,
                  Extent2 kernel, const Conv2dOptions& o, const Shape& input, const Site& site) {
  const std::string name(op);
  auto positive = [&](Extent2 e, const char* what) {
    if (e.h <= 0 || e.w <= 0) {
      throw InvalidArgument(name + ": " + what + " must be positive, got " + pair_str(e.h, e.w, dims) +
                                " (input " + input.str() + ")",
                            site);
    }
  };
  positive(kernel, "kernel size");
  positive(o.stride, "stride");
  positive(o.dilation, "dilation");
  if (o.padding.h < 0 || o.padding.w < 0) {
    throw InvalidArgument(name + ": padding must be >= 0, got " + pair_str(o.padding.h, o.padding.w, dims) +
                              " (input " + input.str() + ")",
                          site);
  }
  Geometry g{n, c, h, w, kernel.h, kernel.w, o.stride.h, o.stride.w, o.padding.h, o.padding.w,
             o.dilation.h, o.dilation.w, 0, 0};
  // Spans past int64 would wrap around in the window arithmetic.
  std::int64_t span_h = 0, span_w = 0, padded_h = 0, padded_w = 0;
  auto span = [](std::int64_t d, std::int64_t k, std::int64_t& out) {
    return __builtin_mul_overflow(d, k - 1, &out) || __builtin_add_overflow(out, 1, &out);
  };
  auto padded = [](std::int64_t extent, std::int64_t pad, std::int64_t& out) {
    return __builtin_mul_overflow(pad, 2, &out) || __builtin_add_overflow(out, extent, &out);
  };
  if (span(g.dh, g.kh, span_h) || span(g.dw, g.kw, span_w) || padded(h, g.ph, padded_h) ||
      padded(w, g.pw, padded_w)) {
    throw ShapeError(name + ": kernel " + pair_str(g.kh, g.kw, dims) + " with dilation " + pair_str(g.dh, g.dw, dims) +
                         " and padding " + pair_str(g.ph, g.pw, dims) + " overflows int64 (input " + input.str() + ")",
                     site);
  }
  if (span_h > padded_h || span_w > padded_w) {
    throw ShapeError(name + ": kernel " + pair_str(g.kh, g.kw, dims) + " with dilation " +
                         pair_str(g.dh, g.dw, dims) + " spans " + pair_str(span_h, span_w, dims) +
                         ", larger than the padded input " + pair_str(padded_h, padded_w, dims) + " (input " +
                         input.str() + ", padding " + pair_str(g.ph, g.pw, dims) + ")",
                     site);
  }
  g.oh = (padded_h - span_h) / g.sh + 1;
  g.ow = (padded_w - span_w) / g.sw + 1;
  // A stride only separates windows: along an axis with one window every
  // stride reads the same, so it is 1 there, and a stride up to INT64_MAX
  // (more than the input) never reaches the window arithmetic, where it is
  // added to offsets and multiplied by the width.
  if (g.oh == 1) g.sh = 1;
  if (g.ow == 1) g.sw = 1;
  // Two windows or more: the stride is at most the padded extent, and one
  // step down the input, stride · W elements, must fit in int64 (only a
  // padding of about 2^63 / W can break it).
  std::int64_t row_step = 0;
  if (__builtin_mul_overflow(g.sh, g.w, &row_step)) {
    throw ShapeError(name + ": stride " + pair_str(o.stride.h, o.stride.w, dims) + " with padding " +
                         pair_str(g.ph, g.pw, dims) + " overflows int64 (input " + input.str() + ")",
                     site);
  }
  // The unfolded columns, (N, C·kh·kw, Ho·Wo): the largest tensor the op makes.
  check_numel(Shape{g.n, g.c, g.kh, g.kw, g.oh, g.ow}, Dtype::f64, op, site);
  // With no image or no channel that passes for any extents, and yet the
  // columns' shape multiplies them: (C·kh·kw, N·Ho·Wo) must fit in int64.
  std::int64_t rows = 0, cols = 0, batch_cols = 0;
  if (__builtin_mul_overflow(g.c, g.kh, &rows) || __builtin_mul_overflow(rows, g.kw, &rows) ||
      __builtin_mul_overflow(g.oh, g.ow, &cols) || __builtin_mul_overflow(g.n, cols, &batch_cols)) {
    throw ShapeError(name + ": the unfolded columns of input " + input.str() + " by kernel " +
                         pair_str(g.kh, g.kw, dims) + " (C·kh·kw rows, N·Ho·Wo columns over a " +
                         pair_str(g.oh, g.ow, dims) + " grid) have more than int64 counts",
                     site);
  }
  return g;
}

// The outputs o < count whose input o·stride + offset lies in [0, extent):
// [lo, hi), so the inner loops need no bounds test.
void valid_range(std::int64_t offset, std::int64_t stride, std::int64_t extent, std::int64_t count, std::int64_t& lo,
                 std::int64_t& hi) {
  // ⌈a / stride⌉ as (a − 1) / stride + 1 for a > 0: a + stride − 1 could pass INT64_MAX.
  lo = offset >= 0 ? 0 : (-offset - 1) / stride + 1;
  hi = extent - offset <= 0 ? 0 : (extent - offset - 1) / stride + 1;
  lo = std::min(lo, count);
  hi = std::clamp(hi, lo, count);
}

// The window rows of one (image, channel, ki, kj) that read the image: `rows`
// output rows of Wo columns from `out` on, reading the input from `in` on
// (input row oh at in + oh·sh·W, column ow at ow·sw), columns [lo, hi) inside
// the image. The rows above and below fall in the padding.
struct WindowRows {
  std::int64_t kj, in, out, rows, lo, hi;
};

// Calls visit(WindowRows) for every (image, channel, ki, kj) with rows
// inside the image, and skip(output_row, rows) for the runs of rows in the
// padding. The one loop nest behind both directions and both layouts, so they
// cannot disagree about the windows.
template <class Visit, class Skip>
void for_each_window_row(const Geometry& g, const ColumnStrides& out, Visit&& visit, Skip&& skip) {
  for (std::int64_t plane = 0; plane < g.n * g.c; ++plane) {
    const std::int64_t image = plane / g.c, channel = plane % g.c;
    const std::int64_t in_plane = plane * g.h * g.w;
    const std::int64_t out_plane = image * out.image + channel * g.kh * g.kw * out.row;
    for (std::int64_t ki = 0; ki < g.kh; ++ki) {
      const std::int64_t row_offset = ki * g.dh - g.ph;
      std::int64_t top = 0, bottom = 0;
      valid_range(row_offset, g.sh, g.h, g.oh, top, bottom);
      for (std::int64_t kj = 0; kj < g.kw; ++kj) {
        const std::int64_t row = out_plane + (ki * g.kw + kj) * out.row;
        const std::int64_t col_offset = kj * g.dw - g.pw;
        // No row inside: top is Ho, and top · sh may be past int64.
        const std::int64_t in = top < bottom ? in_plane + (top * g.sh + row_offset) * g.w + col_offset : 0;
        WindowRows rows{kj, in, row + top * g.ow, bottom - top, 0, 0};
        valid_range(col_offset, g.sw, g.w, g.ow, rows.lo, rows.hi);
        if (top > 0) skip(row, top);
        if (rows.rows > 0) visit(rows);
        if (bottom < g.oh) skip(row + bottom * g.ow, g.oh - bottom);
      }
    }
  }
}

// cols[n, (c, ki, kj), (oh, ow)] = x[n, c, oh·sh − ph + ki·dh, ow·sw − pw + kj·dw], 0 in the padding.
template <class T>
void unfold_kernel(const T* x, T* cols, const Geometry& g, const ColumnStrides& out) {
  const std::int64_t ow = g.ow, sw = g.sw, in_step = g.sh * g.w;
  // Stride 1 with as many windows per row as input columns ("same" padding):
  // the rows follow each other in the input as in the output, so a run of rows
  // is one copy, its wrapped-around edge columns then zeroed.
  const bool contiguous = sw == 1 && in_step == ow;
  for_each_window_row(
      g, out,
      [&](const WindowRows& r) {
        T* o = cols + r.out;
        const T* xi = x + r.in;
        if (contiguous) {
          std::copy(xi + r.lo, xi + (r.rows - 1) * ow + r.hi, o + r.lo);
          for (std::int64_t i = 0; i < r.rows; ++i) {
            for (std::int64_t j = 0; j < r.lo; ++j) o[i * ow + j] = T(0);
            for (std::int64_t j = r.hi; j < ow; ++j) o[i * ow + j] = T(0);
          }
          return;
        }
        for (std::int64_t i = 0; i < r.rows; ++i, o += ow, xi += in_step) {
          for (std::int64_t j = 0; j < r.lo; ++j) o[j] = T(0);
          for (std::int64_t j = r.lo; j < r.hi; ++j) o[j] = xi[j * sw];
          for (std::int64_t j = r.hi; j < ow; ++j) o[j] = T(0);
        }
      },
      [&](std::int64_t row, std::int64_t rows) { std::fill(cols + row, cols + row + rows * ow, T(0)); });
}

// The adjoint: x[n, c, ih, iw] += cols[...] over every window that reads it.
template <class T>
void fold_kernel(const T* cols, T* x, const Geometry& g, const ColumnStrides& out) {
  const std::int64_t ow = g.ow, sw = g.sw, in_step = g.sh * g.w, L = g.cols();
  // As in unfold, a run of "same" stride-1 rows is contiguous on both sides,
  // and is added in one loop; the wrapped-around edge columns are not skipped
  // but masked (x + 0), from a mask per kernel column over the whole grid.
  const bool contiguous = sw == 1 && in_step == ow;
  using Mask = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;  // T's width: the select vectorises
  std::vector<Mask> inside(contiguous ? static_cast<std::size_t>(g.kw * L) : 0);
  for (std::int64_t kj = 0; contiguous && kj < g.kw; ++kj) {
    std::int64_t lo = 0, hi = 0;
    valid_range(kj * g.dw - g.pw, 1, g.w, ow, lo, hi);
    for (std::int64_t j = 0; j < L; ++j) inside[static_cast<std::size_t>(kj * L + j)] = j % ow >= lo && j % ow < hi;
  }
  for_each_window_row(
      g, out,
      [&](const WindowRows& r) {
        const T* c = cols + r.out;
        T* xi = x + r.in;
        if (contiguous) {
          const Mask* keep = inside.data() + r.kj * L;
          for (std::int64_t j = r.lo; j < (r.rows - 1) * ow + r.hi; ++j) {
            const T v = c[j];  // read unconditionally: the select vectorises
            xi[j] += keep[j] != 0 ? v : T(0);
          }
          return;
        }
        for (std::int64_t i = 0; i < r.rows; ++i, c += ow, xi += in_step) {
          if (sw == 1) {
            for (std::int64_t j = r.lo; j < r.hi; ++j) xi[j] += c[j];
          } else {
            for (std::int64_t j = r.lo; j < r.hi; ++j) xi[j * sw] += c[j];
          }
        }
      },
      [](std::int64_t, std::int64_t) {});
}

Tensor fold_of(const Tensor& cols, const Geometry& g, Layout layout, const Site& site);

// (N, C, H, W) -> the columns in `layout`; its VJP is fold.
Tensor unfold_of(const Tensor& x, const Geometry& g, Layout layout, const Site& site) {
  Tensor cols = detail::empty(columns_shape(g, layout), x.dtype());
  // Without a column element there is nothing to write, and the strides
  // between images may pass int64 (a zero-size batch of huge images).
  if (cols.numel() > 0) {
    kernels::dispatch_float(x.dtype(), "unfold", site, [&](auto tag) {
      using T = decltype(tag);
      unfold_kernel(detail::dense(x).impl()->data<T>(), cols.impl()->data<T>(), g, column_strides(g, layout));
    });
  }
  if (should_record(x)) {
    record("unfold", site, cols, [g, layout, site](const Tensor& grad, VjpContext& ctx) {
      ctx.set(0, fold_of(grad, g, layout, site));
    }, x);
  }
  return cols;
}

// The columns in `layout` -> (N, C, H, W), overlaps summed; its VJP is unfold.
Tensor fold_of(const Tensor& cols, const Geometry& g, Layout layout, const Site& site) {
  Tensor x = zeros({g.n, g.c, g.h, g.w}, cols.dtype());
  if (cols.numel() > 0) {  // as in unfold_of
    kernels::dispatch_float(cols.dtype(), "fold", site, [&](auto tag) {
      using T = decltype(tag);
      fold_kernel(detail::dense(cols).impl()->data<T>(), x.impl()->data<T>(), g, column_strides(g, layout));
    });
  }
  if (should_record(cols)) {
    record("fold", site, x, [g, layout, site](const Tensor& grad, VjpContext& ctx) {
      ctx.set(0, unfold_of(grad, g, layout, site));
    }, cols);
  }
  return x;
}

// The checks shared by conv1d and conv2d: ranks, dtypes, channels, bias,
// then the geometry. x is (N, C, *spatial), weight (O, C, *kernel).
Geometry check_conv(const char* op, int dims, const Tensor& x, const Tensor& weight, const Tensor& bias,
                    const Conv2dOptions& o, const Site& site) {
  const std::string name(op);
  const char* layout = dims == 1 ? "(N, C, L)" : "(N, C, H, W)";
  const char* weight_layout = dims == 1 ? "(O, C, k)" : "(O, C, kh, kw)";
  check_float(x, op, site);
  check_float(weight, op, site);
  if (x.rank() != dims + 2) {
    throw ShapeError(name + ": input must have rank " + std::to_string(dims + 2) + " " + layout + ", got " +
                         x.shape().str(),
                     site);
  }
  if (weight.rank() != dims + 2) {
    throw ShapeError(name + ": weight must have rank " + std::to_string(dims + 2) + " " + weight_layout +
                         ", got " + weight.shape().str() + " (input " + x.shape().str() + ")",
                     site);
  }
  check_pair(x, weight, op, site);
  if (x.size(1) != weight.size(1)) {
    throw ShapeError(name + ": input has " + std::to_string(x.size(1)) + " channels, weight expects " +
                         std::to_string(weight.size(1)) + ": " + x.shape().str() + " x " + weight.shape().str(),
                     site);
  }
  if (bias.defined()) {
    check_pair(weight, bias, op, site);
    if (bias.shape() != Shape{weight.size(0)}) {
      throw ShapeError(name + ": bias must have shape (" + std::to_string(weight.size(0)) +
                           ",), one per output channel of weight " + weight.shape().str() + ", got " +
                           bias.shape().str(),
                       site);
    }
  }
  const std::int64_t h = dims == 1 ? 1 : x.size(2), w = x.size(-1);
  const Extent2 kernel{dims == 1 ? 1 : weight.size(2), weight.size(-1)};
  return geometry(op, dims, x.size(0), x.size(1), h, w, kernel, o, x.shape(), site);
}

// y = W·unfold(x) + b on the checked geometry; x (N, C, H, W), weight
// (O, C, kh, kw), result (N, O, Ho, Wo). The batch's windows side by side make
// one gemm of (O, C·kh·kw) by (C·kh·kw, N·L) rather than N small ones, and
// the bias gradient a sum along contiguous rows.
Tensor conv_unchecked(const Tensor& x, const Tensor& weight, const Tensor& bias, const Geometry& g, const Site& site) {
  const std::int64_t out_channels = weight.size(0), L = g.cols();
  const Tensor cols = unfold_of(x, g, Layout::batch, site);             // (C·kh·kw, N·L)
  const Tensor w2 = reshape(weight, {out_channels, g.rows()}, site);    // (O, C·kh·kw)
  Tensor y = matmul(w2, cols, site);                                     // (O, N·L)
  if (bias.defined()) y = add(y, reshape(bias, {out_channels, 1}, site), site);
  // (O, N, L) -> (N, O, L); with one image the order is already right.
  y = g.n == 1 ? y : permute(reshape(y, {out_channels, g.n, L}, site), {1, 0, 2}, site);
  return reshape(y, {g.n, out_channels, g.oh, g.ow}, site);
}

Conv2dOptions as_2d(const Conv1dOptions& o) {
  return {.stride = {1, o.stride}, .padding = {0, o.padding}, .dilation = {1, o.dilation}};
}

// The checks of an unfold in either layout: x (N, C, H, W).
Geometry unfold_geometry(const char* op, const Tensor& x, Extent2 kernel, const Conv2dOptions& options,
                         const Site& site) {
  check_float(x, op, site);
  if (x.rank() != 4) {
    throw ShapeError(std::string(op) + ": input must have rank 4 (N, C, H, W), got " + x.shape().str(), site);
  }
  return geometry(op, 2, x.size(0), x.size(1), x.size(2), x.size(3), kernel, options, x.shape(), site);
}

// The checks of a fold of `n` images from `cols` in `layout` (its rank
// already checked): the channels are the rows over the window size.
Geometry fold_geometry(const char* op, const Tensor& cols, Layout layout, std::int64_t n, Extent2 output_size,
                       Extent2 kernel, const Conv2dOptions& options, const Site& site) {
  const std::string name(op);
  if (output_size.h < 0 || output_size.w < 0) {
    throw InvalidArgument(name + ": output size must be >= 0, got " + pair_str(output_size.h, output_size.w, 2) +
                              " (input " + cols.shape().str() + ")",
                          site);
  }
  const std::int64_t rows = layout == Layout::per_image ? cols.size(1) : cols.size(0);
  const std::int64_t window = std::max<std::int64_t>(kernel.h, 1) * std::max<std::int64_t>(kernel.w, 1);
  const Geometry g = geometry(op, 2, n, rows / window, output_size.h, output_size.w, kernel, options,
                              cols.shape(), site);
  if (rows % window != 0 || cols.shape() != columns_shape(g, layout)) {
    const std::string w = std::to_string(window), l = std::to_string(g.cols());
    throw ShapeError(name + ": input " + cols.shape().str() + " does not fit kernel " + pair_str(g.kh, g.kw, 2) +
                         " over output size " + pair_str(g.h, g.w, 2) + ": expected " +
                         (layout == Layout::per_image ? "(N, C·" + w + ", " + l + ")"
                                                      : "(C·" + w + ", " + std::to_string(n) + "·" + l + ")") +
                         " for a " + pair_str(g.oh, g.ow, 2) + " grid of windows",
                     site);
  }
  return g;
}

}  // namespace

Tensor unfold(const Tensor& x, Extent2 kernel, const Conv2dOptions& options, Site site) {
  return unfold_of(x, unfold_geometry("unfold", x, kernel, options, site), Layout::per_image, site);
}

Tensor fold(const Tensor& cols, Extent2 output_size, Extent2 kernel, const Conv2dOptions& options, Site site) {
  check_float(cols, "fold", site);
  if (cols.rank() != 3) {
    throw ShapeError("fold: input must have rank 3 (N, C·kh·kw, L), got " + cols.shape().str(), site);
  }
  const Geometry g = fold_geometry("fold", cols, Layout::per_image, cols.size(0), output_size, kernel, options, site);
  return fold_of(cols, g, Layout::per_image, site);
}

namespace detail {

Tensor unfold_batch(const Tensor& x, Extent2 kernel, const Conv2dOptions& options, Site site) {
  return unfold_of(x, unfold_geometry("unfold_batch", x, kernel, options, site), Layout::batch, site);
}

Tensor fold_batch(const Tensor& cols, std::int64_t batch, Extent2 output_size, Extent2 kernel,
                  const Conv2dOptions& options, Site site) {
  check_float(cols, "fold_batch", site);
  if (cols.rank() != 2) {
    throw ShapeError("fold_batch: input must have rank 2 (C·kh·kw, N·L), got " + cols.shape().str(), site);
  }
  if (batch < 0) {
    throw InvalidArgument("fold_batch: batch must be >= 0, got " + std::to_string(batch) + " (input " +
                              cols.shape().str() + ")",
                          site);
  }
  const Geometry g = fold_geometry("fold_batch", cols, Layout::batch, batch, output_size, kernel, options, site);
  return fold_of(cols, g, Layout::batch, site);
}

}  // namespace detail

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& options, Site site) {
  const Geometry g = check_conv("conv2d", 2, x, weight, bias, options, site);
  return conv_unchecked(x, weight, bias, g, site);
}

Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv1dOptions& options, Site site) {
  const Geometry g = check_conv("conv1d", 1, x, weight, bias, as_2d(options), site);
  // (N, C, L) as (N, C, 1, L) through the 2-D path, then back to (N, O, Lo).
  const Tensor x4 = reshape(x, {g.n, g.c, 1, g.w}, site);
  const Tensor w4 = reshape(weight, {weight.size(0), g.c, 1, g.kw}, site);
  return reshape(conv_unchecked(x4, w4, bias, g, site), {g.n, weight.size(0), g.ow}, site);
}

}  // namespace tg
