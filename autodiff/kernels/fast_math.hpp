// float32 exp, tanh and sigmoid written so that GCC vectorises a loop over
// them: no branches (both sides are computed and one is selected), no calls,
// the rounding done by a magic constant instead of floorf. libm's expf and
// tanhf are scalar calls; in an LSTM step they took ~40% of the time.
// Accurate to a few ulp over the whole float range (tests/autodiff/
// test_fast_math.cpp checks them against the std:: functions, with NaN, ±Inf
// and subnormal results); float64 keeps the std:: functions. Private.
//
// Note [float32 exp]
// e^x = 2^n · e^r with n = round(x / ln 2) and r = x − n·ln 2 in
// [−ln2/2, ln2/2]; ln 2 is split in a high part exact in a few bits and a
// low part (Cody & Waite) so that r carries no rounding error from n·ln 2.
// e^r is a degree-7 polynomial (the minimax coefficients of Cephes' expf).
// 2^n is applied as two factors 2^⌊n/2⌋·2^(n−⌊n/2⌋), each a normal float, so
// results down in the subnormal range come out right instead of as zero.
// Overflow, underflow and NaN fall out of the same arithmetic (see exp), so
// a vector of 8 takes ~27 instructions (it took ~55 when they were selected
// at the end).
//
// Note [fused multiply-add variant]
// Each function takes kFma: false computes a·b + c as two roundings (the
// baseline x86-64 build has no FMA instruction, and C++20 mode does not
// contract), true as one (__builtin_fmaf), for the AVX2+FMA and AVX-512 loops
// of float32_loops.cpp. The two give slightly different last bits; each is
// checked against float64 std:: by test_fast_math.cpp. always_inline: the
// functions must be compiled inside the loop that calls them, with that
// loop's target ISA, or they would neither vectorise nor use FMA.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace tg::kernels::fast {

/// a·b + c, rounded once when kFma (see Note [fused multiply-add variant]).
template <bool kFma>
[[gnu::always_inline]] inline float mul_add(float a, float b, float c) {
  if constexpr (kFma) return __builtin_fmaf(a, b, c);
  else return a * b + c;
}

template <bool kFma = false>
[[gnu::always_inline]] inline float exp(float x) {
  // Clamped to where the computation below overflows to +Inf (89) and
  // underflows to 0 (e^-104 < half the smallest subnormal) by itself, so no
  // result needs selecting afterwards. Written `k < x ? k : x` so that GCC
  // emits minps/maxps with NaN in the operand they return: NaN goes through
  // the clamps and the arithmetic, and comes out NaN.
  constexpr float kHigh = 89.0f;
  constexpr float kLow = -104.0f;
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5·2^23: adding it rounds to an integer, held in the low bits
  float xc = kHigh < x ? kHigh : x;
  xc = kLow > xc ? kLow : xc;
  const float rounded = mul_add<kFma>(xc, kLog2e, kRound);
  const float nf = rounded - kRound;
  const float r = mul_add<kFma>(-nf, kLn2Lo, mul_add<kFma>(-nf, kLn2Hi, xc));
  float p = 1.9875691500e-4f;
  p = mul_add<kFma>(p, r, 1.3981999507e-3f);
  p = mul_add<kFma>(p, r, 8.3334519073e-3f);
  p = mul_add<kFma>(p, r, 4.1665795894e-2f);
  p = mul_add<kFma>(p, r, 1.6666665459e-1f);
  p = mul_add<kFma>(p, r, 5.0000001201e-1f);
  const float er = mul_add<kFma>(p * r, r, r) + 1.0f;
  // n from the bits of `rounded` rather than a float-to-int conversion (which
  // NaN would make undefined); n1 = floor(n/2), each factor a normal float.
  const std::int32_t n = static_cast<std::int32_t>(std::bit_cast<std::uint32_t>(rounded) -
                                                   std::bit_cast<std::uint32_t>(kRound));
  const std::int32_t n1 = n >> 1, n2 = n - n1;
  const float s1 = std::bit_cast<float>(static_cast<std::uint32_t>(n1 + 127) << 23);
  const float s2 = std::bit_cast<float>(static_cast<std::uint32_t>(n2 + 127) << 23);
  return er * s1 * s2;
}

/// tanh: an odd polynomial below |x| = 0.625 (where 1 − 2/(e^2|x| + 1)
/// would cancel; Cephes' tanhf coefficients), that formula above.
template <bool kFma = false>
[[gnu::always_inline]] inline float tanh(float x) {
  const float a = x < 0 ? -x : x;
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = mul_add<kFma>(p, z, 2.06390887954e-2f);
  p = mul_add<kFma>(p, z, -5.37397155531e-2f);
  p = mul_add<kFma>(p, z, 1.33314422036e-1f);
  p = mul_add<kFma>(p, z, -3.33332819422e-1f);
  const float small = mul_add<kFma>(p * z, a, a);
  const float large = 1.0f - 2.0f / (exp<kFma>(2.0f * a) + 1.0f);
  // NaN: a < 0.625 is false, and large is NaN. copysign keeps tanh(−0) = −0.
  return std::copysign(a < 0.625f ? small : large, x);
}

/// 1 / (1 + e^−x), from e^−|x| so that nothing overflows and tiny results
/// keep their precision: e/(1 + e) for x < 0.
template <bool kFma = false>
[[gnu::always_inline]] inline float sigmoid(float x) {
  const float e = exp<kFma>(x < 0 ? x : -x);
  const float s = 1.0f / (1.0f + e);
  return x < 0 ? e * s : s;
}

}  // namespace tg::kernels::fast
