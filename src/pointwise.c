/* The per-channel map of inference batch norm and relu / leaky relu (see
 * pointwise.h). */
#include "pointwise.h"
#include "simd_clones.h"

/* Below this many values a parallel region costs more than it saves. */
#define PW_PAR_MIN 65536
/* Values per task of gt__pointwise_apply. */
#define PW_BLOCK 8192

/*
 * One value through the map.  Called with constant `affine` and `act`, so
 * each variant below compiles to a loop of its own without tests.  The
 * affine part is gt_batchnorm_forward's channel_affine, the activations are
 * gt_relu_forward's and gt_lrelu_forward's (selects, an unconditional
 * multiply-add), to the operation.
 */
static inline __attribute__((always_inline)) float map1(float x, int affine, gt__act act,
                                                         float mean, float scale, float shift,
                                                         float slope)
{
    if (affine)
        x = (x - mean) * scale + shift;
    if (act == GT__ACT_RELU)
        x = x < 0.0f ? 0.0f : x;
    else if (act == GT__ACT_LRELU) {
        float pos = x < 0.0f ? 0.0f : x;
        float neg = x > 0.0f ? 0.0f : x;
        x = pos + slope * neg;
    }
    return x;
}

static inline __attribute__((always_inline)) void run(float *d, const float *s, size_t n,
                                                      int stride, const gt__chan_map *f,
                                                      int affine, gt__act act)
{
    /* Locals, not f's fields: d might alias f, which would reload them. */
    const float mean = f->mean, scale = f->scale, shift = f->shift, slope = f->slope;
    if (stride == 1) {
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            d[i] = map1(s[i], affine, act, mean, scale, shift, slope);
    } else if (stride == 2) {
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            d[i] = map1(s[2 * i], affine, act, mean, scale, shift, slope);
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = map1(s[i * (size_t)stride], affine, act, mean, scale, shift, slope);
    }
}

/* run() for one activation, with or without the affine part. */
static inline __attribute__((always_inline)) void run_act(float *d, const float *s, size_t n,
                                                          int stride, const gt__chan_map *f,
                                                          gt__act act)
{
    if (f->affine)
        run(d, s, n, stride, f, 1, act);
    else
        run(d, s, n, stride, f, 0, act);
}

GT__SIMD_CLONES void gt__chan_map_run(float *d, const float *s, size_t n, int stride,
                                      const gt__chan_map *f)
{
    if (f->act == GT__ACT_RELU)
        run_act(d, s, n, stride, f, GT__ACT_RELU);
    else if (f->act == GT__ACT_LRELU)
        run_act(d, s, n, stride, f, GT__ACT_LRELU);
    else
        run_act(d, s, n, stride, f, GT__ACT_NONE);
}

void gt__pointwise_apply(float *dst, const float *src, size_t ld, int C, size_t M,
                         const gt__pointwise *p)
{
    if (C <= 0 || M == 0)
        return;
    const size_t nb = (M + PW_BLOCK - 1) / PW_BLOCK;
    const long tasks = (long)C * (long)nb;
#pragma omp parallel for schedule(static) if ((size_t)C * M >= PW_PAR_MIN)
    for (long t = 0; t < tasks; t++) {
        const int c = (int)(t / (long)nb);
        const size_t i0 = (size_t)(t % (long)nb) * PW_BLOCK;
        const size_t len = M - i0 < PW_BLOCK ? M - i0 : PW_BLOCK;
        const gt__chan_map f = gt__pointwise_chan(p, c);
        gt__chan_map_run(dst + c * ld + i0, src + c * ld + i0, len, 1, &f);
    }
}
