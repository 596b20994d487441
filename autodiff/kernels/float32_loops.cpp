// The loops of float32_loops.hpp. Each loop body is written once, as a
// template on kFma, and instantiated inside three sets of functions: plain
// ones (compiled for the build's target, baseline x86-64), ones marked
// target("avx2,fma") and ones marked with TG_TARGET_AVX512 (simd_targets.hpp).
// The bodies are always_inline so that GCC compiles and vectorises them
// inside each caller with that caller's ISA; no other code is built for AVX2
// or AVX-512, so none of it can be reached on a CPU without them. (A separate
// file built with -mavx2 would be riskier: the linker may keep its copy of
// any inline function the files share.)
#include "float32_loops.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

#include "fast_math.hpp"
#include "simd_targets.hpp"
#include "tapegrad/autodiff/errors.hpp"

namespace tg::kernels {

namespace {

template <bool kFma>
[[gnu::always_inline]] inline void exp_loop(const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = fast::exp<kFma>(x[i]);
}
template <bool kFma>
[[gnu::always_inline]] inline void tanh_loop(const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = fast::tanh<kFma>(x[i]);
}
template <bool kFma>
[[gnu::always_inline]] inline void sigmoid_loop(const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = fast::sigmoid<kFma>(x[i]);
}
// v <= 0 rather than v > 0: NaN is neither, and stays NaN (PyTorch).
[[gnu::always_inline]] inline void relu_loop(const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] <= 0 ? 0.0f : x[i];
}
// d tanh = 1 − y²: one rounding fewer with FMA.
template <bool kFma>
[[gnu::always_inline]] inline void tanh_vjp_loop(const float* g, const float* y, float* dx, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) dx[i] = g[i] * fast::mul_add<kFma>(-y[i], y[i], 1.0f);
}
[[gnu::always_inline]] inline void sigmoid_vjp_loop(const float* g, const float* y, float* dx, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) dx[i] = g[i] * (y[i] * (1.0f - y[i]));
}
// g[i] is read whether or not it is used: a load under the condition would
// be a masked load, which SSE2 lacks, and the baseline loop would not vectorise.
[[gnu::always_inline]] inline void relu_vjp_loop(const float* g, const float* y, float* dx, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    dx[i] = y[i] > 0 ? gi : 0.0f;
  }
}
[[gnu::always_inline]] inline void add_loop(const float* a, const float* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}
[[gnu::always_inline]] inline void sub_loop(const float* a, const float* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] - b[i];
}
[[gnu::always_inline]] inline void mul_loop(const float* a, const float* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

// One compilation's entry points and their table: `target` is the function
// attribute (empty for the baseline), kFma whether mul_add is fused.
#define TG_FLOAT32_LOOPS(ns, label, target, kFma)                                                                \
  namespace ns {                                                                                                 \
  target void exp(const float* x, float* y, std::int64_t n) { exp_loop<kFma>(x, y, n); }                        \
  target void tanh(const float* x, float* y, std::int64_t n) { tanh_loop<kFma>(x, y, n); }                      \
  target void sigmoid(const float* x, float* y, std::int64_t n) { sigmoid_loop<kFma>(x, y, n); }                \
  target void relu(const float* x, float* y, std::int64_t n) { relu_loop(x, y, n); }                            \
  target void tanh_vjp(const float* g, const float* y, float* dx, std::int64_t n) {                             \
    tanh_vjp_loop<kFma>(g, y, dx, n);                                                                           \
  }                                                                                                              \
  target void sigmoid_vjp(const float* g, const float* y, float* dx, std::int64_t n) {                          \
    sigmoid_vjp_loop(g, y, dx, n);                                                                              \
  }                                                                                                              \
  target void relu_vjp(const float* g, const float* y, float* dx, std::int64_t n) { relu_vjp_loop(g, y, dx, n); } \
  target void add(const float* a, const float* b, float* out, std::int64_t n) { add_loop(a, b, out, n); }       \
  target void sub(const float* a, const float* b, float* out, std::int64_t n) { sub_loop(a, b, out, n); }       \
  target void mul(const float* a, const float* b, float* out, std::int64_t n) { mul_loop(a, b, out, n); }       \
  constexpr Float32Loops kLoops = {label, exp, tanh, sigmoid, relu, tanh_vjp, sigmoid_vjp, relu_vjp, add, sub, mul}; \
  }

TG_FLOAT32_LOOPS(baseline, "baseline (SSE2)", , false)
TG_FLOAT32_LOOPS(avx2_fma, "AVX2+FMA", TG_TARGET_AVX2_FMA, true)
TG_FLOAT32_LOOPS(avx512, "AVX-512", TG_TARGET_AVX512, true)
#undef TG_FLOAT32_LOOPS

constexpr const Float32Loops& kBaseline = baseline::kLoops;
constexpr const Float32Loops& kAvx2Fma = avx2_fma::kLoops;
constexpr const Float32Loops& kAvx512 = avx512::kLoops;

// Null until the first float32_loops(); a ScopedSimdLevel swaps it.
std::atomic<const Float32Loops*> active{nullptr};

}  // namespace

SimdLevel choose_simd_level(const char* asked, SimdLevel widest) {
  const std::string value = asked ? asked : "";
  if (value == "baseline") return SimdLevel::baseline;
  if (value == "avx2") return std::min(widest, SimdLevel::avx2_fma);
  if (!value.empty() && value != "auto") {
    throw InvalidArgument("TAPEGRAD_SIMD: expected 'baseline', 'avx2' or 'auto' (or unset), got '" + value + "'");
  }
  return widest;
}

bool cpu_runs(SimdLevel level) {
  // __builtin_cpu_supports also asks the OS (XGETBV) whether it saves the
  // AVX and AVX-512 registers.
  static const bool avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  static const bool avx512 = avx2_fma && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
  switch (level) {
    case SimdLevel::baseline: return true;
    case SimdLevel::avx2_fma: return avx2_fma;
    case SimdLevel::avx512: return avx512;
  }
  return false;
}

SimdLevel widest_simd_level() {
  if (cpu_runs(SimdLevel::avx512)) return SimdLevel::avx512;
  return cpu_runs(SimdLevel::avx2_fma) ? SimdLevel::avx2_fma : SimdLevel::baseline;
}

std::vector<SimdLevel> runnable_simd_levels() {
  std::vector<SimdLevel> levels;
  for (SimdLevel level : {SimdLevel::baseline, SimdLevel::avx2_fma, SimdLevel::avx512})
    if (cpu_runs(level)) levels.push_back(level);
  return levels;
}

const Float32Loops& float32_loops(SimdLevel level) {
  switch (level) {
    case SimdLevel::avx512: return kAvx512;
    case SimdLevel::avx2_fma: return kAvx2Fma;
    case SimdLevel::baseline: break;
  }
  return kBaseline;
}

const Float32Loops& float32_loops() {
  const Float32Loops* loops = active.load(std::memory_order_acquire);
  if (loops) return *loops;
  const Float32Loops* fresh = &float32_loops(choose_simd_level(std::getenv("TAPEGRAD_SIMD"), widest_simd_level()));
  // Two threads may both get here; they choose the same.
  active.compare_exchange_strong(loops, fresh, std::memory_order_acq_rel);
  return *active.load(std::memory_order_acquire);
}

SimdLevel active_simd_level() {
  const Float32Loops* loops = &float32_loops();
  if (loops == &kAvx512) return SimdLevel::avx512;
  return loops == &kAvx2Fma ? SimdLevel::avx2_fma : SimdLevel::baseline;
}

ScopedSimdLevel::ScopedSimdLevel(SimdLevel level) : previous_(&float32_loops()) {
  if (!cpu_runs(level)) {
    throw InvalidArgument(std::string("ScopedSimdLevel: this CPU does not run ") + float32_loops(level).name +
                          " (see lscpu's flags: avx2 and fma; avx512f, avx512vl, avx512bw and avx512dq)");
  }
  active.store(&float32_loops(level), std::memory_order_release);
}

ScopedSimdLevel::~ScopedSimdLevel() { active.store(previous_, std::memory_order_release); }

bool is_float32(const Tensor& x) { return x.defined() && x.dtype() == Dtype::f32; }

bool same_shape_float32(const Tensor& a, const Tensor& b) {
  return is_float32(a) && is_float32(b) && a.shape() == b.shape();
}

Tensor map_float32(const Tensor& x, UnaryLoop loop) {
  Tensor out = detail::empty(x.shape(), Dtype::f32);
  loop(detail::dense(x).impl()->data<float>(), out.impl()->data<float>(), x.numel());
  return out;
}

Tensor map_float32(const Tensor& a, const Tensor& b, BinaryLoop loop) {
  Tensor out = detail::empty(a.shape(), Dtype::f32);
  loop(detail::dense(a).impl()->data<float>(), detail::dense(b).impl()->data<float>(), out.impl()->data<float>(),
       a.numel());
  return out;
}

}  // namespace tg::kernels
