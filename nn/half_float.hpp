// The 16-bit float formats of checkpoints written elsewhere, widened to
// float32 on load (exactly: every float16 and bfloat16 value is a float32).
//   float16 (IEEE 754 binary16): sign, 5 exponent bits (bias 15), 10 mantissa bits
//   bfloat16: the upper 16 bits of a float32 (sign, 8 exponent bits, 7 mantissa bits)
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace tg::nn {

inline float bfloat16_to_float(std::uint16_t bits) { return std::bit_cast<float>(std::uint32_t{bits} << 16); }

inline float float16_to_float(std::uint16_t bits) {
  const std::uint32_t sign = std::uint32_t{bits & 0x8000u} << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1fu;
  const std::uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));  // inf, NaN
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

}  // namespace tg::nn
