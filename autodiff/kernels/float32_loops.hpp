// The hot float32 elementwise loops (exp, tanh, sigmoid, relu forward; the
// fused tanh, sigmoid and relu VJPs; add, sub, mul of same-shape tensors),
// compiled twice: for baseline x86-64 (SSE2, 4 floats a vector) and for
// AVX2+FMA (8 floats, fused multiply-adds). The variant is chosen once per
// process: AVX2+FMA when the CPU has both, unless the environment variable
// TAPEGRAD_SIMD=baseline asks for the baseline loops. So a machine gives the
// same results on every run. Private.
#pragma once

#include <cstdint>

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

enum class SimdLevel { baseline, avx2_fma };

/// The level a process with TAPEGRAD_SIMD = `asked` (null when unset) uses on
/// a CPU with or without AVX2+FMA; throws InvalidArgument for a value other
/// than "baseline", "auto" or "".
SimdLevel choose_simd_level(const char* asked, bool cpu_has_avx2_fma);
/// The loops of `level`; avx2_fma only where cpu_has_avx2_fma() (the caller checks).
const Float32Loops& float32_loops(SimdLevel level);
/// The loops in use: chosen at the first call (see the file comment), or forced by ScopedSimdLevel.
const Float32Loops& float32_loops();
/// The level float32_loops() uses.
SimdLevel active_simd_level();
/// True when the CPU runs AVX2 and FMA instructions.
bool cpu_has_avx2_fma();

/// Forces a level for its lifetime, for tests that run both variants in one
/// process. Not thread-safe against ops running meanwhile; throws
/// InvalidArgument for avx2_fma on a CPU without it.
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
