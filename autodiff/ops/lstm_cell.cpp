// lstm_cell: the elementwise half of an LSTM step (four gate activations,
// the cell update, the output) as one primitive. Composed of taped ops, a
// step records 13 ops whose VJPs make ~20 passes over (N, H) buffers; here
// the forward runs row by row (one loop per activation, the row staying in
// L1) and the VJP is one pass over the activations the forward saved. The
// float32 loops use the fast exp/tanh/sigmoid of kernels/fast_math.hpp and
// are compiled for baseline x86-64, AVX2+FMA and AVX-512 (chosen as
// float32_loops.hpp chooses), so they give the same activations as
// tg::sigmoid and tg::tanh.
// When the backward pass is recorded (create_graph), the VJP is written in
// taped ops instead, from the saved gates and c_prev, so that higher
// derivatives work.
#include <cmath>
#include <string>

#include "../kernels/fast_math.hpp"
#include "../kernels/float32_loops.hpp"
#include "../kernels/simd_targets.hpp"
#include "common.hpp"
#include "tapegrad/autodiff/nn_ops.hpp"

// The loops below touch more arrays than GCC's run-time overlap checks
// handle, so without this GCC leaves them scalar; their inputs and outputs
// are distinct tensors. (Clang, used only for the fuzz build, goes without.)
#if defined(__clang__)
#define TG_LOOP_WITHOUT_ALIASING
#else
#define TG_LOOP_WITHOUT_ALIASING _Pragma("GCC ivdep")
#endif

namespace tg {

using namespace ops;

namespace {

// Where one row of the cell lives: gates (4H), c_prev (H, or null), the
// output [h | c] (2H), and the saved activations [i f g o tanh(c)] (5H).
template <class T>
struct CellRows {
  const T* gates;
  const T* c_prev;
  T* out;
  T* act;  // kept for the VJP when the op records, scratch otherwise
  std::int64_t rows, hidden;
};

// The gradient side: the incoming gradient of [h | c] (2H), the saved
// activations (5H), c_prev (H, or null); out d gates (4H), d c_prev (H, or null).
template <class T>
struct CellGradRows {
  const T* grad;
  const T* act;
  const T* c_prev;
  T* d_gates;
  T* d_c_prev;
  std::int64_t rows, hidden;
};

// y[j] = f(x[j]): one activation a loop, so that the loop keeps its
// constants in registers (one loop computing all five activations spilled
// them and ran ~20% slower than the five separate ops it replaced).
template <class T, class F>
[[gnu::always_inline]] inline void map_loop(const T* x, T* y, std::int64_t n, F f) {
  for (std::int64_t j = 0; j < n; ++j) y[j] = f(x[j]);
}

// Row by row (the activations of a row stay in L1 between the passes): the
// gate activations into act, then c, tanh(c) and h.
template <class T, bool kHasPrev, class Sigmoid, class Tanh>
[[gnu::always_inline]] inline void forward_loop(const CellRows<T>& r, Sigmoid sigmoid, Tanh tanh) {
  const std::int64_t H = r.hidden, rows = r.rows;
  for (std::int64_t n = 0; n < rows; ++n) {
    const T* x = r.gates + n * 4 * H;
    T* a = r.act + n * 5 * H;
    map_loop(x, a, 2 * H, sigmoid);  // i, f
    map_loop(x + 2 * H, a + 2 * H, H, tanh);
    map_loop(x + 3 * H, a + 3 * H, H, sigmoid);
    const T* i = a;
    const T* f = a + H;
    const T* g = a + 2 * H;
    const T* prev = kHasPrev ? r.c_prev + n * H : nullptr;
    T* h_out = r.out + n * 2 * H;
    T* c_out = h_out + H;
TG_LOOP_WITHOUT_ALIASING
    for (std::int64_t j = 0; j < H; ++j) {
      if constexpr (kHasPrev) c_out[j] = f[j] * prev[j] + i[j] * g[j];
      else c_out[j] = i[j] * g[j];
    }
    T* tc = a + 4 * H;
    map_loop(c_out, tc, H, tanh);
    const T* o = a + 3 * H;
TG_LOOP_WITHOUT_ALIASING
    for (std::int64_t j = 0; j < H; ++j) h_out[j] = o[j] * tc[j];
  }
}

template <class T, class Sigmoid, class Tanh>
[[gnu::always_inline]] inline void forward_rows(const CellRows<T>& r, Sigmoid sigmoid, Tanh tanh) {
  if (r.c_prev) forward_loop<T, true>(r, sigmoid, tanh);
  else forward_loop<T, false>(r, sigmoid, tanh);
}

// dc = g_c + g_h·o·(1 − tanh²c); d i = dc·g·i(1 − i), d f = dc·c_prev·f(1 − f),
// d g = dc·i·(1 − g²), d o = g_h·tanh c·o(1 − o); d c_prev = dc·f.
template <class T, bool kHasPrev, bool kWantPrev>
[[gnu::always_inline]] inline void backward_loop(const CellGradRows<T>& r) {
  const std::int64_t H = r.hidden, rows = r.rows;
  for (std::int64_t n = 0; n < rows; ++n) {
    const T* a = r.act + n * 5 * H;
    const T* ai = a;
    const T* af = a + H;
    const T* ag = a + 2 * H;
    const T* ao = a + 3 * H;
    const T* atc = a + 4 * H;
    const T* gh = r.grad + n * 2 * H;
    const T* gc = gh + H;
    const T* prev = kHasPrev ? r.c_prev + n * H : nullptr;
    T* dx = r.d_gates + n * 4 * H;
    T* di = dx;
    T* df = dx + H;
    T* dg = dx + 2 * H;
    T* d_o = dx + 3 * H;
    T* dprev = kWantPrev ? r.d_c_prev + n * H : nullptr;
TG_LOOP_WITHOUT_ALIASING
    for (std::int64_t j = 0; j < H; ++j) {
      const T i = ai[j], f = af[j], g = ag[j], o = ao[j], tc = atc[j];
      const T dc = gc[j] + gh[j] * o * (T(1) - tc * tc);
      di[j] = dc * g * (i * (T(1) - i));
      if constexpr (kHasPrev) df[j] = dc * prev[j] * (f * (T(1) - f));
      else df[j] = T(0);
      dg[j] = dc * i * (T(1) - g * g);
      d_o[j] = gh[j] * tc * (o * (T(1) - o));
      if constexpr (kWantPrev) dprev[j] = dc * f;
    }
  }
}

template <class T>
[[gnu::always_inline]] inline void backward_rows(const CellGradRows<T>& r) {
  if (r.d_c_prev) backward_loop<T, true, true>(r);
  else if (r.c_prev) backward_loop<T, true, false>(r);
  else backward_loop<T, false, false>(r);
}

template <bool kFma>
struct FastSigmoid {
  [[gnu::always_inline]] float operator()(float x) const { return kernels::fast::sigmoid<kFma>(x); }
};
template <bool kFma>
struct FastTanh {
  [[gnu::always_inline]] float operator()(float x) const { return kernels::fast::tanh<kFma>(x); }
};

namespace baseline {
void forward(const CellRows<float>& r) { forward_rows(r, FastSigmoid<false>(), FastTanh<false>()); }
void backward(const CellGradRows<float>& r) { backward_rows(r); }
}  // namespace baseline

namespace avx2_fma {
TG_TARGET_AVX2_FMA void forward(const CellRows<float>& r) { forward_rows(r, FastSigmoid<true>(), FastTanh<true>()); }
TG_TARGET_AVX2_FMA void backward(const CellGradRows<float>& r) { backward_rows(r); }
}  // namespace avx2_fma

namespace avx512 {
TG_TARGET_AVX512 void forward(const CellRows<float>& r) { forward_rows(r, FastSigmoid<true>(), FastTanh<true>()); }
TG_TARGET_AVX512 void backward(const CellGradRows<float>& r) { backward_rows(r); }
}  // namespace avx512

// float64 keeps the std:: functions and tg::sigmoid's overflow-free form.
struct StdSigmoid {
  double operator()(double v) const { return stable_sigmoid(v); }
};
struct StdTanh {
  double operator()(double v) const { return std::tanh(v); }
};

void forward(const CellRows<float>& r) {
  switch (kernels::active_simd_level()) {
    case kernels::SimdLevel::avx512: return avx512::forward(r);
    case kernels::SimdLevel::avx2_fma: return avx2_fma::forward(r);
    case kernels::SimdLevel::baseline: return baseline::forward(r);
  }
}
void forward(const CellRows<double>& r) { forward_rows(r, StdSigmoid(), StdTanh()); }
void backward(const CellGradRows<float>& r) {
  switch (kernels::active_simd_level()) {
    case kernels::SimdLevel::avx512: return avx512::backward(r);
    case kernels::SimdLevel::avx2_fma: return avx2_fma::backward(r);
    case kernels::SimdLevel::baseline: return baseline::backward(r);
  }
}
void backward(const CellGradRows<double>& r) { backward_rows(r); }

void check_lstm_cell(const Tensor& gates, const Tensor& c_prev, const Site& site) {
  check_float(gates, "lstm_cell", site);
  const Shape& s = gates.shape();
  if (s.rank() != 2 || s[1] % 4 != 0) {
    throw ShapeError("lstm_cell: gates must be (N, 4H), the pre-activations of [i f g o], got " + s.str(), site);
  }
  if (!c_prev.defined()) return;
  check_pair(gates, c_prev, "lstm_cell", site);
  const Shape expected{s[0], s[1] / 4};
  if (c_prev.shape() != expected) {
    throw ShapeError("lstm_cell: c_prev must be (N, H) = " + expected.str() + " for gates of shape " + s.str() +
                         ", got " + c_prev.shape().str(),
                     site);
  }
}

// The VJP in taped ops, for a recorded backward pass: gates and c_prev are
// the saved inputs themselves, and c comes from the reattached output.
void taped_vjp(const Tensor& grad, const Tensor& gates, const Tensor& c_prev, const Tensor& out,
               std::int64_t H, VjpContext& ctx) {
  const Tensor i = sigmoid(slice(gates, -1, 0, H));
  const Tensor f = sigmoid(slice(gates, -1, H, 2 * H));
  const Tensor g = tanh(slice(gates, -1, 2 * H, 3 * H));
  const Tensor o = sigmoid(slice(gates, -1, 3 * H, 4 * H));
  const Tensor tc = tanh(slice(out, -1, H, 2 * H));
  const Tensor gh = slice(grad, -1, 0, H);
  const Tensor dc = slice(grad, -1, H, 2 * H) + gh * o * (1.0 - tc * tc);
  if (ctx.needs(0)) {
    const Tensor df = c_prev.defined() ? dc * c_prev * (f * (1.0 - f)) : zeros_like(dc);
    ctx.set(0, concat({dc * g * (i * (1.0 - i)), df, dc * i * (1.0 - g * g), gh * tc * (o * (1.0 - o))}, -1));
  }
  if (ctx.needs(1)) ctx.set(1, dc * f);
}

}  // namespace

Tensor lstm_cell(const Tensor& gates, const Tensor& c_prev, Site site) {
  check_lstm_cell(gates, c_prev, site);
  const std::int64_t N = gates.shape()[0], H = gates.shape()[1] / 4;
  const bool records = should_record(gates, c_prev);
  Tensor out = detail::empty(Shape{N, 2 * H}, gates.dtype());
  Tensor act = detail::empty(Shape{N, 5 * H}, gates.dtype());
  const Tensor gates_flat = detail::dense(gates);
  const Tensor c_prev_flat = c_prev.defined() ? detail::dense(c_prev) : Tensor();
  kernels::dispatch_float(gates.dtype(), "lstm_cell", site, [&](auto tag) {
    using T = decltype(tag);
    forward(CellRows<T>{gates_flat.impl()->data<T>(), c_prev.defined() ? c_prev_flat.impl()->data<T>() : nullptr,
                        out.impl()->data<T>(), act.impl()->data<T>(), N, H});
  });
  if (records) {
    record("lstm_cell", site, out,
           [sg = detail::Saved(gates), sc = detail::Saved(c_prev), sa = detail::Saved(act), ys = saved(out), N, H,
            site](const Tensor& grad, VjpContext& ctx) {
             if (ctx.create_graph()) {
               taped_vjp(grad, sg.get(), sc.defined() ? sc.get() : Tensor(), ctx.output(ys), H, ctx);
               return;
             }
             const Tensor& a = sa.get();
             const Tensor c_prev = sc.defined() ? detail::dense(sc.get()) : Tensor();
             const bool want_prev = c_prev.defined() && ctx.needs(1);
             Tensor d_gates = detail::empty(Shape{N, 4 * H}, a.dtype());
             Tensor d_prev = want_prev ? detail::empty(Shape{N, H}, a.dtype()) : Tensor();
             const Tensor g = detail::dense(grad.dtype() == a.dtype() ? grad : to_dtype(grad, a.dtype()));
             kernels::dispatch_float(a.dtype(), "lstm_cell", site, [&](auto tag) {
               using T = decltype(tag);
               backward(CellGradRows<T>{g.impl()->data<T>(), a.impl()->data<T>(),
                                        c_prev.defined() ? c_prev.impl()->data<T>() : nullptr,
                                        d_gates.impl()->data<T>(), want_prev ? d_prev.impl()->data<T>() : nullptr,
                                        N, H});
             });
             if (ctx.needs(0)) ctx.set(0, std::move(d_gates));
             if (want_prev) ctx.set(1, std::move(d_prev));
           },
           gates, c_prev);
  }
  return out;
}

}  // namespace tg
