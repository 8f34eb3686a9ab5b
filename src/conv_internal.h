/*
 * conv_internal.h - internal: the convolution kernels of gantry/kernels.h with
 * a per-channel map (pointwise.h) fused in, for inference (src/infer.c).
 */
#ifndef GANTRY_CONV_INTERNAL_H
#define GANTRY_CONV_INTERNAL_H

#include "gantry/kernels.h"
#include "pointwise.h"

/*
 * gt_conv_forward of pre(inp), then out = post(out); either map may be NULL.
 * pre is applied as the input is unfolded, so only a convolution that
 * unfolds (gt_conv_scratch(g, 1) > 0) takes one; post maps each chunk's
 * output rows right after its GEMM.
 */
void gt__conv_forward_mapped(float *out, const float *inp, const float *weight,
                             const float *bias, float *col, size_t col_cap,
                             const gt_conv_geom *g, int N, const gt__pointwise *pre,
                             const gt__pointwise *post);

/* The scratch of the im2col forms alone (gt_conv_scratch also counts the
 * Winograd form of winograd2d.h, which the mapped kernels do not take). */
size_t gt__conv_im2col_scratch(const gt_conv_geom *g, int n);

/* gt_convt_forward, then out = post(out) (NULL: none), applied in the fold. */
void gt__convt_forward_mapped(float *out, const float *inp, const float *weight,
                              const float *bias, float *col, size_t col_cap,
                              const gt_conv_geom *g, int N, const gt__pointwise *post);

#endif
