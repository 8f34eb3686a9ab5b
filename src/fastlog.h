/*
 * fastlog.h - branch-free single-precision logarithms that GCC vectorises
 * (internal).
 *
 * The reduction and polynomial are fdlibm's log1pf (Sun Microsystems, freely
 * redistributable): u = 1 + x = 2^k m with m in [sqrt(2)/2, sqrt(2)),
 * f = m - 1, s = f / (2 + f), log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2))
 * with a degree-4 minimax R, plus c/u, the rounding error of 1 + x, which
 * keeps small and mid-range arguments accurate.  Every branch of the original
 * is a select here, so a loop of calls compiles to SIMD code at -O2 with
 * -fno-math-errno (the divisions vectorise; nothing calls libm).
 *
 * Accuracy (measured by tests/test_features.c over a dense sweep of all
 * exponents): under 1 ulp, i.e. below 1.2e-7 relative.
 */
#ifndef GANTRY_FASTLOG_H
#define GANTRY_FASTLOG_H

#include <float.h>
#include <stdint.h>
#include <string.h>

#include "simd_clones.h"

/* cond ? a : b through bit masks: an arithmetic select that GCC cannot turn
 * back into a branch (which would stop it vectorising the loop). */
static inline float gt__fsel(uint32_t cond, float a, float b)
{
    uint32_t m = 0u - cond, ia, ib;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    ia = (ia & m) | (ib & ~m);
    memcpy(&a, &ia, sizeof a);
    return a;
}

/* log(u) + c for u = 2^k m, where c is a small correction already divided
 * by u (0 for a plain logarithm).  u must be a positive normal float. */
static inline float gt__log_core(float u, float c)
{
    const float ln2_hi = 6.9313812256e-01f; /* 0x3f317180 */
    const float ln2_lo = 9.0580006145e-06f; /* 0x3717f7d1 */
    const float Lg1 = 0.66666662693f, Lg2 = 0.40000972152f, Lg3 = 0.28498786688f,
                Lg4 = 0.24279078841f;
    uint32_t iu;
    memcpy(&iu, &u, sizeof iu);
    iu += 0x3f800000u - 0x3f3504f3u;
    float dk = (float)((int32_t)(iu >> 23) - 0x7f);
    uint32_t im = (iu & 0x007fffffu) + 0x3f3504f3u;
    float m;
    memcpy(&m, &im, sizeof m);
    float f = m - 1.0f;
    float s = f / (2.0f + f);
    float z = s * s;
    float w = z * z;
    float t1 = w * (Lg2 + w * Lg4);
    float t2 = z * (Lg1 + w * Lg3);
    float R = t2 + t1;
    float hfsq = 0.5f * f * f;
    return s * (hfsq + R) + (dk * ln2_lo + c) - hfsq + f + dk * ln2_hi;
}

/* log1p(x) for x >= 0 (NaN and +Inf pass through). */
static inline float gt__log1pf(float x)
{
    float u = 1.0f + x;
    uint32_t iu;
    memcpy(&iu, &u, sizeof iu);
    int32_t k = (int32_t)((iu + (0x3f800000u - 0x3f3504f3u)) >> 23) - 0x7f;
    /* The rounding error of 1 + x (exact by Fast2Sum), relative to u; past
     * 2^25 it is below half an ulp of the result. */
    float c_big = 1.0f - (u - x), c_small = x - (u - 1.0f);
    float c = gt__fsel(k >= 2, c_big, c_small);
    float cu = gt__fsel(k < 25, c / u, 0.0f);
    float r = gt__log_core(u, cu);
    uint32_t ix;
    memcpy(&ix, &x, sizeof ix);
    return gt__fsel((ix & 0x7fffffffu) < 0x7f800000u, r, x);
}

/* log(x) for x > 0 normal (callers clamp away zero and denormals). */
static inline float gt__logf(float x)
{
    return gt__log_core(x, 0.0f);
}

#endif
