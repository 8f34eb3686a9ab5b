/*
 * pointwise.h - internal: a per-channel map y = act((x - mean) * scale + shift)
 * over channel-major tensors, the inference form of batch norm followed by
 * relu or leaky relu, applied wherever the data already pass by (the gather
 * of the next convolution, the fold of a transposed convolution, the rows a
 * GEMM has just written) instead of in passes of its own.
 *
 * The arithmetic is exactly that of gt_batchnorm_forward in inference mode
 * (its per-channel mean, scale and shift: gt__batchnorm_map) and of
 * gt_relu_forward / gt_lrelu_forward, operation for operation, so a fused
 * result has the same bits as the separate layers.
 */
#ifndef GANTRY_POINTWISE_H
#define GANTRY_POINTWISE_H

#include <stddef.h>

typedef enum gt__act {
    GT__ACT_NONE,
    GT__ACT_RELU,
    GT__ACT_LRELU
} gt__act;

/* The map of a whole tensor: per-channel affine part (mean, scale and shift
 * all NULL: none), then the activation. */
typedef struct gt__pointwise {
    const float *mean, *scale, *shift; /* (C) each */
    gt__act act;
    float slope; /* lrelu */
} gt__pointwise;

/* The map of one channel. */
typedef struct gt__chan_map {
    int affine;
    gt__act act;
    float mean, scale, shift, slope;
} gt__chan_map;

static inline gt__chan_map gt__pointwise_chan(const gt__pointwise *p, int c)
{
    gt__chan_map f = {p->scale != NULL, p->act, 0.0f, 1.0f, 0.0f, p->slope};
    if (p->scale) {
        f.mean = p->mean[c];
        f.scale = p->scale[c];
        f.shift = p->shift[c];
    }
    return f;
}

/* d[i] = f(s[i * stride]) for i in [0, n); d may equal s when stride is 1. */
void gt__chan_map_run(float *d, const float *s, size_t n, int stride, const gt__chan_map *f);

/* Channel c's M values at dst + c * ld = p(the M values at src + c * ld);
 * dst may equal src.  Elementwise, so the split over threads cannot change a
 * result. */
void gt__pointwise_apply(float *dst, const float *src, size_t ld, int C, size_t M,
                         const gt__pointwise *p);

/* Inference batch norm's map (in batchnorm.c): per channel, the mean, scale
 * and shift that gt_batchnorm_forward(train = 0) computes with; gamma and
 * beta may be NULL (no affine transform). */
void gt__batchnorm_map(float *mean, float *scale, float *shift, const float *gamma,
                       const float *beta, const float *running_mean,
                       const float *running_var, int C, float eps);

#endif
