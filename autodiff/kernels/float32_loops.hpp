// The hot float32 elementwise loops (exp, tanh, sigmoid, relu forward; the
// fused tanh, sigmoid and relu VJPs; add, sub, mul of same-shape tensors),
// compiled three times: for baseline x86-64 (SSE2, 4 floats a vector), for
// AVX2+FMA (8 floats, fused multiply-adds) and for AVX-512 (16 floats, the
// same fused multiply-adds, so the same results as AVX2+FMA bit for bit). The
// variant is chosen once per process: the widest the CPU runs, unless the
// environment variable TAPEGRAD_SIMD caps it (baseline, avx2). So a machine
// gives the same results on every run. Private.
#pragma once

#include <cstdint>
#include <vector>

#include "../tensor_impl.hpp"

namespace tg::kernels {

/// y[i] = f(x[i]) over n contiguous floats.
using UnaryLoop = void (*)(const float* x, float* y, std::int64_t n);
/// out[i] = f(a[i], b[i]) over n contiguous floats.
using BinaryLoop = void (*)(const float* a, const float* b, float* out, std::int64_t n);

/// One compilation of the loops. The VJPs take (g, y): the incoming gradient
/// and the op's output.
struct Float32Loops {
  const char* name;
  UnaryLoop exp, tanh, sigmoid, relu;
  BinaryLoop tanh_vjp, sigmoid_vjp, relu_vjp;
  BinaryLoop add, sub, mul;
};

/// In increasing width; each level's CPU runs the ones before it.
enum class SimdLevel { baseline, avx2_fma, avx512 };

/// The level a process with TAPEGRAD_SIMD = `asked` (null when unset) uses on
/// a CPU whose widest level is `widest`: "baseline", at most AVX2+FMA for
/// "avx2", `widest` for "auto", "" or null; throws InvalidArgument otherwise.
SimdLevel choose_simd_level(const char* asked, SimdLevel widest);
/// The loops of `level`; only for a level cpu_runs() (the caller checks).
const Float32Loops& float32_loops(SimdLevel level);
/// The loops in use: chosen at the first call (see the file comment), or forced by ScopedSimdLevel.
const Float32Loops& float32_loops();
/// The level float32_loops() uses.
SimdLevel active_simd_level();
/// True when the CPU (and the OS, for the AVX-512 registers) runs `level`'s
/// instructions: AVX2 and FMA; AVX-512 F, VL, BW and DQ besides.
bool cpu_runs(SimdLevel level);
/// The widest level cpu_runs().
SimdLevel widest_simd_level();
/// Every level cpu_runs(), narrowest first (for tests that run them all).
std::vector<SimdLevel> runnable_simd_levels();

/// Forces a level for its lifetime, for tests that run every variant in one
/// process. Not thread-safe against ops running meanwhile; throws
/// InvalidArgument for a level the CPU does not run.
class ScopedSimdLevel {
 public:
  explicit ScopedSimdLevel(SimdLevel level);
  ~ScopedSimdLevel();
  ScopedSimdLevel(const ScopedSimdLevel&) = delete;
  ScopedSimdLevel& operator=(const ScopedSimdLevel&) = delete;

 private:
  const Float32Loops* previous_;
};

/// True when x is defined and float32: the unary loops apply.
bool is_float32(const Tensor& x);
/// True when a and b are defined, float32 and of one shape: the binary loops apply.
bool same_shape_float32(const Tensor& a, const Tensor& b);
/// A new float32 tensor holding loop(x) (x float32).
Tensor map_float32(const Tensor& x, UnaryLoop loop);
/// A new float32 tensor holding loop(a, b) (a and b float32, of one shape).
Tensor map_float32(const Tensor& a, const Tensor& b, BinaryLoop loop);

}  // namespace tg::kernels
