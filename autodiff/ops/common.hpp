// Helpers shared by the op definitions: argument checks and the elementwise
// maps. Private.
#pragma once

#include <cmath>
#include <string>

#include "../kernels/copy.hpp"
#include "../kernels/loops.hpp"
#include "../node.hpp"
#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg::ops {

using detail::record;
using detail::saved;
using detail::should_record;
using detail::VjpContext;
using detail::needs_grad;

/// Throws std::invalid_argument naming `op` when `t` is undefined.
void check_defined(const Tensor& t, const char* op, const Site& site);
/// Defined and float32/float64.
void check_float(const Tensor& t, const char* op, const Site& site);
/// Both defined, floating, and of one dtype.
void check_pair(const Tensor& a, const Tensor& b, const char* op, const Site& site);
/// Throws ShapeError naming `op` when `shape` has a negative extent or more
/// elements than int64 can count in bytes of `dtype`: a size that would wrap
/// around instead of failing to allocate.
void check_numel(const Shape& shape, Dtype dtype, const char* op, const Site& site);
/// `axis` in [-rank, rank) mapped to [0, rank); the error names `shape`.
/// (rank is shape.rank(), or one more where a new axis is inserted.)
int normalize_axis(int axis, int rank, const Shape& shape, const char* op, const Site& site);
/// Sorted, distinct, normalised axes of `shape`; empty means all.
Axes normalize_axes(const Axes& axes, const Shape& shape, const char* op, const Site& site);
/// "(a, b)": a kernel size, stride or padding in an error message.
std::string pair_str(std::int64_t a, std::int64_t b);
/// `shape` with the reduced axes set to 1 (keepdims) or removed.
Shape reduced_shape(const Shape& shape, const Axes& axes, bool keepdims);
/// Whether `from` broadcasts to `to` without changing `to` (NumPy rules).
bool broadcasts_to(const Shape& from, const Shape& to);

/// 1 / (1 + e^−v) in two branches, so that e^(−v) never overflows: the
/// sigmoid of every dtype but float32's fast loop.
template <class T>
T stable_sigmoid(T v) {
  if (v >= 0) return T(1) / (T(1) + std::exp(-v));
  const T e = std::exp(v);
  return e / (T(1) + e);
}

/// out[i] = f(x[i]) on a new tensor.
template <class F>
Tensor map_unary(const Tensor& x, const char* op, const Site& site, F f) {
  check_float(x, op, site);
  Tensor out = detail::empty(x.shape(), x.dtype());
  const Tensor flat = detail::dense(x);
  kernels::dispatch_float(x.dtype(), op, site, [&](auto tag) {
    using T = decltype(tag);
    const T* in = flat.impl()->data<T>();
    T* o = out.impl()->data<T>();
    const std::int64_t n = x.numel();
    for (std::int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(f(in[i]));
  });
  return out;
}

/// out = f(a, b) with NumPy broadcasting, on a new tensor.
template <class F>
Tensor map_binary(const Tensor& a, const Tensor& b, const char* op, const Site& site, F f) {
  check_pair(a, b, op, site);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op, site);
  Tensor out = detail::empty(shape, a.dtype());
  kernels::dispatch_float(a.dtype(), op, site, [&](auto tag) {
    using T = decltype(tag);
    const T* pa = a.impl()->base<T>();
    const T* pb = b.impl()->base<T>();
    T* po = out.impl()->data<T>();
    if (a.shape() == b.shape() && a.impl()->contiguous && b.impl()->contiguous) {
      const std::int64_t n = out.numel();
      for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
      return;
    }
    kernels::for_each_run<3>(
        shape,
        {kernels::contiguous_strides(shape), kernels::operand_strides(a, shape),
         kernels::operand_strides(b, shape)},
        [&](const auto& off, std::int64_t n, const auto& step) {
          T* o = po + off[0];
          const T* x = pa + off[1];
          const T* y = pb + off[2];
          if (step[1] == 1 && step[2] == 1) {
            for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
          } else if (step[1] == 1 && step[2] == 0) {
            const T yv = *y;
            for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
          } else if (step[1] == 0 && step[2] == 1) {
            const T xv = *x;
            for (std::int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
          } else {
            for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i * step[1]], y[i * step[2]]);
          }
        });
  });
  return out;
}

}  // namespace tg::ops
