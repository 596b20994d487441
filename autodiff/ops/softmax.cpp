// softmax and log_softmax along one axis, with a temperature. softmax is a
// primitive (one pass per slice, VJP from its output); log_softmax is
// x/T − logsumexp(x/T), a composition of primitives that are stable already.
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

#include "common.hpp"
#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/autodiff/nn_ops.hpp"

namespace tg {

using namespace ops;

namespace {

// Checks shared by softmax and log_softmax; returns the normalised axis.
int check_softmax_args(const Tensor& x, int axis, double temperature, const char* op, const Site& site) {
  check_float(x, op, site);
  if (!(temperature > 0) || std::isinf(temperature)) {  // NaN too
    throw InvalidArgument(std::string(op) + ": temperature must be finite and > 0, got " + number_str(temperature) +
                              " (x of shape " + x.shape().str() + ")",
                          site);
  }
  // 1/T is what the kernels multiply by: it must be finite in x's dtype, or
  // every output would be NaN.
  const double inverse = 1.0 / temperature;
  const double largest = x.dtype() == f32 ? static_cast<double>(std::numeric_limits<float>::max())
                                          : std::numeric_limits<double>::max();
  if (!(inverse <= largest)) {
    throw InvalidArgument(std::string(op) + ": temperature " + number_str(temperature) + " is too small: 1/T overflows " +
                              dtype_name(x.dtype()) + " (x of shape " + x.shape().str() + ")",
                          site);
  }
  return normalize_axis(axis, x.rank(), x.shape(), op, site);
}

// y = softmax(x / T) along the middle axis of x viewed as (outer, n, inner).
template <class T>
void softmax_kernel(const T* x, T* y, std::int64_t outer, std::int64_t n, std::int64_t inner, T inv_t) {
  // The slice's max, or 0 when it is ±inf (inf − inf would be NaN; a row of
  // −inf then gives 0/0 = NaN, like PyTorch).
  auto shift_of = [](T m) { return std::isfinite(m) ? m : T(0); };
  if (inner == 1) {
    for (std::int64_t o = 0; o < outer; ++o) {
      const T* in = x + o * n;
      T* out = y + o * n;
      T m = -std::numeric_limits<T>::infinity();
      for (std::int64_t j = 0; j < n; ++j) m = in[j] > m || std::isnan(in[j]) ? in[j] : m;
      const T shift = shift_of(m);
      T total = 0;
      for (std::int64_t j = 0; j < n; ++j) total += out[j] = std::exp((in[j] - shift) * inv_t);
      const T scale = T(1) / total;
      for (std::int64_t j = 0; j < n; ++j) out[j] *= scale;
    }
    return;
  }
  // The slices run across `inner` contiguous lanes: walk the axis row by row
  // with one max and one total per lane, so every read is contiguous.
  std::vector<T> m(static_cast<std::size_t>(inner)), total(static_cast<std::size_t>(inner));
  for (std::int64_t o = 0; o < outer; ++o) {
    const T* in = x + o * n * inner;
    T* out = y + o * n * inner;
    std::fill(m.begin(), m.end(), -std::numeric_limits<T>::infinity());
    std::fill(total.begin(), total.end(), T(0));
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t k = 0; k < inner; ++k) {
        const T v = in[j * inner + k];
        m[k] = v > m[k] || std::isnan(v) ? v : m[k];
      }
    for (auto& v : m) v = shift_of(v);
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t k = 0; k < inner; ++k)
        total[k] += out[j * inner + k] = std::exp((in[j * inner + k] - m[k]) * inv_t);
    for (auto& v : total) v = T(1) / v;
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t k = 0; k < inner; ++k) out[j * inner + k] *= total[k];
  }
}

}  // namespace

Tensor softmax(const Tensor& x, int axis_in, double temperature, Site site) {
  const int axis = check_softmax_args(x, axis_in, temperature, "softmax", site);
  const Shape& shape = x.shape();
  Tensor y = detail::empty(shape, x.dtype());
  // Nothing to compute without elements; the kernel's scratch is sized by the
  // extents after the axis, which a zero-size tensor does not bound
  // ((0, 2^40, 2^40) along axis 1).
  if (x.numel() > 0) {
    std::int64_t outer = 1, inner = 1;
    for (int a = 0; a < axis; ++a) outer *= shape[a];
    for (int a = axis + 1; a < shape.rank(); ++a) inner *= shape[a];
    kernels::dispatch_float(x.dtype(), "softmax", site, [&](auto tag) {
      using T = decltype(tag);
      softmax_kernel<T>(detail::dense(x).impl()->data<T>(), y.impl()->data<T>(), outer, shape[axis], inner,
                        static_cast<T>(1.0 / temperature));
    });
  }
  if (should_record(x)) {
    record("softmax", site, y, [ys = saved(y), axis, temperature](const Tensor& g, VjpContext& ctx) {
      // dx = s ⊙ (g − Σ g ⊙ s) / T, in taped ops: the output is reattached,
      // so the second derivative runs through this record again.
      const Tensor s = ctx.output(ys);
      // No element: Σ g ⊙ s along an axis of extent 0 would be zeros as
      // large as the other extents ((0, 2^40, 2^40) -> (1, 2^40, 2^40)).
      if (s.numel() == 0) {
        ctx.set(0, zeros_like(g));
        return;
      }
      const Tensor dx = s * (g - sum(g * s, axis, true));
      ctx.set(0, temperature == 1.0 ? dx : dx * (1.0 / temperature));
    }, x);
  }
  return y;
}

Tensor log_softmax(const Tensor& x, int axis_in, double temperature, Site site) {
  const int axis = check_softmax_args(x, axis_in, temperature, "log_softmax", site);
  const Tensor z = temperature == 1.0 ? x : div(x, temperature, site);
  // No element: as in softmax's VJP, the logsumexp along an axis of extent 0
  // would be as large as the other extents; z · 0 has the shape and the tape.
  if (x.numel() == 0) return mul(z, 0.0, site);
  return sub(z, logsumexp(z, axis, true, site), site);
}

}  // namespace tg
