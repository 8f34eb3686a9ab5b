/*
 * simd_clones.h - internal: GT__SIMD_CLONES, for the few loops that run
 * much faster with wider vectors than the baseline x86-64 build has.
 */
#ifndef GANTRY_SIMD_CLONES_H
#define GANTRY_SIMD_CLONES_H

/* GT__SIMD_CLONES on a function builds it for AVX-512, AVX2 and plain
 * x86-64 and picks one at load time (GCC/clang target_clones; about 1.5x on
 * the log1p-magnitude loop of fastlog.h, 2x on the maps of pointwise.c).  The clones perform the same IEEE
 * operations in the same order (no FMA contraction: -std=c11 implies
 * -ffp-contract=off, and the targets do not enable FMA), so their results
 * are bit-identical. */
#if defined(__x86_64__) && defined(__has_attribute) && !defined(GT_NO_SIMD_CLONES)
#if __has_attribute(target_clones)
#define GT__SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef GT__SIMD_CLONES
#define GT__SIMD_CLONES
#endif

#endif
