// The function attributes that compile a loop for AVX2+FMA or AVX-512 (see
// float32_loops.cpp for why attributes rather than per-file flags). Private.
#pragma once

#define TG_TARGET_AVX2_FMA [[gnu::target("avx2,fma")]]

// GCC would otherwise vectorise with 256-bit registers under AVX-512 too. Clang
// (used only for the fuzz build) has no such target option.
#if defined(__clang__)
#define TG_TARGET_AVX512 [[gnu::target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]]
#else
#define TG_TARGET_AVX512 [[gnu::target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,prefer-vector-width=512")]]
#endif
