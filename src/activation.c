/*
 * Elementwise activations, and the fixed gain of the `scale` layer.  Every
 * element is independent, so splitting the range over threads cannot change
 * a result; the loops are written so the compiler vectorises them (no
 * calls, selects instead of branches).
 */
#include "gantry/kernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Below this many elements a parallel region costs more than it saves. */
#define ACT_PAR_MIN 65536

/*
 * ReLU lets NaN through (x < 0 is false for NaN), as PyTorch does: a trainer
 * must see a NaN rather than have it silently turned into 0.
 */
void gt_relu_forward(float *out, const float *inp, size_t n)
{
#pragma omp parallel for simd schedule(static) if (parallel: n >= ACT_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = x < 0.0f ? 0.0f : x;
    }
}

void gt_relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
#pragma omp parallel for simd schedule(static) if (parallel: n >= ACT_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float g = dout[i];
        dinp[i] = out[i] > 0.0f ? g : 0.0f;
    }
}

/*
 * x > 0 ? x : slope x, written as two selects against 0 and an unconditional
 * multiply-add: GCC will not vectorise a conditional (possibly trapping)
 * multiply.  Exact: x + slope * 0 = x and 0 + slope x = slope x; NaN passes.
 */
void gt_lrelu_forward(float *out, const float *inp, size_t n, float slope)
{
#pragma omp parallel for simd schedule(static) if (parallel: n >= ACT_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float pos = x < 0.0f ? 0.0f : x;
        float neg = x > 0.0f ? 0.0f : x;
        out[i] = pos + slope * neg;
    }
}

void gt_lrelu_backward(float *dinp, const float *dout, const float *inp, size_t n, float slope)
{
#pragma omp parallel for simd schedule(static) if (parallel: n >= ACT_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float g = dout[i];
        float pos = inp[i] > 0.0f ? g : 0.0f;
        float neg = inp[i] > 0.0f ? 0.0f : g;
        dinp[i] = pos + slope * neg;
    }
}

/* ------------------------------------------------------------------ tanh */
/*
 * tanhf from libm is a call per element and does not vectorise.  This is
 * Cephes' tanhf with an inlined Cephes expf, within 1.5 ulp of the correctly
 * rounded result (glibc's tanhf: 2.2 ulp), and 4-5x faster on one core:
 *   |x| <  0.625:  x + x^3 P(x^2)           (minimax odd polynomial)
 *   |x| >= 0.625:  1 - 2 / (exp(2|x|) + 1)   (no cancellation: tanh > 0.55)
 * 2|x| is clamped at 19, beyond which tanhf already rounds to 1.
 *
 * It is written with GCC/Clang vector types and bitwise selects because
 * under the default -ftrapping-math GCC will not if-convert (and so will not
 * vectorise) a loop whose two branches each hold floating-point arithmetic.
 * Both branches are computed for every lane; the unused one may hold Inf or
 * NaN, which the select discards.  NaN input comes out NaN, tanh(-0) = -0.
 */
typedef float v4sf __attribute__((vector_size(16)));
typedef int32_t v4si __attribute__((vector_size(16)));
typedef uint32_t v4su __attribute__((vector_size(16)));

static inline v4sf v4_select(v4si mask, v4sf a, v4sf b)
{
    return (v4sf)((mask & (v4si)a) | (~mask & (v4si)b));
}

static inline v4sf v4_splat(float x)
{
    return (v4sf){x, x, x, x};
}

/*
 * exp(x) for x in [-104, 19], or NaN, which it propagates; results below
 * FLT_MIN come out subnormal (down to 0 near -104).
 */
static inline v4sf v4_exp(v4sf x)
{
    /* Adding 1.5 * 2^23 rounds x log2(e) to an integer k that then sits in the
     * sum's low mantissa bits, so 2^k is built from bits without a
     * float-to-int conversion (undefined on NaN). */
    const v4sf shifter = v4_splat(0x1.8p23f);
    v4sf t = x * v4_splat(1.44269504088896341f) + shifter;
    v4sf k = t - shifter;
    /* 2^k as 2^floor(k/2) 2^(k - floor(k/2)): each factor stays a normal
     * float for k down to -150.  Unsigned arithmetic on k + 256 (positive
     * here) keeps garbage lanes (NaN input) free of signed overflow. */
    v4su kb = (v4su)t - (v4su)shifter + 256u;
    v4su h = kb >> 1; /* floor(k/2) + 128 */
    v4sf scale1 = (v4sf)((h - 1u) << 23);
    v4sf scale2 = (v4sf)((kb - h - 1u) << 23);
    /*
 * out[i] = F(inp[i]) four at a time, the tail through a padded vector.  A
 * macro, not a function taking F: OpenMP outlines the loop before inlining,
 * and a function pointer there costs tanh and sigmoid 30-45 % of their speed.
 */
#define MAP4(out, inp, n, F)                                                  \
    do {                                                                      \
        size_t nv_ = (n) / 4;                                                 \
        _Pragma("omp parallel for schedule(static) if (n >= ACT_PAR_MIN / 4)") \
        for (size_t j = 0; j < nv_; j++) {                                    \
            v4sf x;                                                           \
            memcpy(&x, (inp) + 4 * j, sizeof x);                              \
            x = F(x);                                                         \
            memcpy((out) + 4 * j, &x, sizeof x);                              \
        }                                                                     \
        if ((n) % 4) {                                                        \
            v4sf x = v4_splat(0.0f);                                          \
            memcpy(&x, (inp) + 4 * nv_, ((n) % 4) * sizeof(float));           \
            x = F(x);                                                         \
            memcpy((out) + 4 * nv_, &x, ((n) % 4) * sizeof(float));           \
        }                                                                     \
    } while (0)

/* r = x - k ln 2, ln 2 split so that k * hi is exact. */
    v4sf r = x - k * v4_splat(0.693359375f);
    r = r + k * v4_splat(2.12194440e-4f);
    v4sf p = v4_splat(1.9875691500e-4f);
    p = p * r + v4_splat(1.3981999507e-3f);
    p = p * r + v4_splat(8.3334519073e-3f);
    p = p * r + v4_splat(4.1665795894e-2f);
    p = p * r + v4_splat(1.6666665459e-1f);
    p = p * r + v4_splat(5.0000001201e-1f);
    p = p * (r * r) + r + v4_splat(1.0f);
    return p * scale2 * scale1;
}

static inline v4sf v4_tanh(v4sf x)
{
    const v4si sign = {INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN};
    v4sf ax = (v4sf)((v4si)x & ~sign);
    v4sf z = ax * ax;
    v4sf q = v4_splat(-5.70498872745e-3f);
    q = q * z + v4_splat(2.06390887954e-2f);
    q = q * z - v4_splat(5.37397155531e-2f);
    q = q * z + v4_splat(1.33314422036e-1f);
    q = q * z - v4_splat(3.33332819422e-1f);
    v4sf small = q * z * ax + ax;
    v4sf a2 = ax + ax;
    /* NaN > 19 is false: NaN flows on into the result. */
    a2 = v4_select(a2 > v4_splat(19.0f), v4_splat(19.0f), a2);
    v4sf big = v4_splat(1.0f) - v4_splat(2.0f) / (v4_exp(a2) + v4_splat(1.0f));
    v4sf r = v4_select(ax < v4_splat(0.625f), small, big);
    return (v4sf)(((v4si)r & ~sign) | ((v4si)x & sign));
}

void gt_tanh_forward(float *out, const float *inp, size_t n)
{
    MAP4(out, inp, n, v4_tanh);
}

void gt_tanh_backward(float *dinp, const float *dout, const float *out, size_t n)
{
#pragma omp parallel for simd schedule(static) if (parallel: n >= ACT_PAR_MIN)
    for (size_t i = 0; i < n; i++)
        dinp[i] = dout[i] * (1.0f - out[i] * out[i]);
}

/* --------------------------------------------------------------- sigmoid */
/*
 * With e = exp(-|x|) in (0, 1]: sigmoid(x) = 1 / (1 + e) for x >= 0 and
 * e / (1 + e) for x < 0, so exp never overflows and the small results keep
 * their relative precision.  Below x = -104 the result is 0 (sigmoid(-104)
 * is under half the smallest subnormal).
 */
static inline v4sf v4_sigmoid(v4sf x)
{
    const v4si sign = {INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN};
    v4sf t = (v4sf)((v4si)x | sign); /* -|x| */
    t = v4_select(t < v4_splat(-104.0f), v4_splat(-104.0f), t);
    v4sf e = v4_exp(t);
    v4sf num = v4_select(x < v4_splat(0.0f), e, v4_splat(1.0f));
    return num / (v4_splat(1.0f) + e);
}

void gt_sigmoid_forward(float *out, const float *inp, size_t n)
{
    MAP4(out, inp, n, v4_sigmoid);
}

void gt_sigmoid_backward(float *dinp, const float *dout, const float *out, size_t n)
{
#pragma omp parallel for simd schedule(static) if (parallel: n >= ACT_PAR_MIN)
    for (size_t i = 0; i < n; i++)
        dinp[i] = dout[i] * out[i] * (1.0f - out[i]);
}

void gt_scale_forward(float *out, const float *inp, size_t n, float k)
{
#pragma omp parallel for simd schedule(static) if (parallel: n >= ACT_PAR_MIN)
    for (size_t i = 0; i < n; i++)
        out[i] = k * inp[i];
}
