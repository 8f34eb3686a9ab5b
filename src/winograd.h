/*
 * winograd.h - internal: the 1D stride-2, 4-tap convolution of the DCGAN
 * discriminators and encoders (k4 s2 p1) at inference, by Winograd's
 * minimal filtering F(4, 2) on its polyphase form (src/winograd.c).
 *
 * Such a convolution is a stride-1, 2-tap one over the even and the odd
 * samples of its input side by side (2 x cin channels).  F(4, 2) makes 4
 * outputs of a 2-tap filter with 5 products instead of 8 (points 0, 1, -1,
 * 2 and infinity), so the GEMMs do 5/8 of the multiply-adds of the im2col
 * form, and the transformed input is 5/8 of the unfolded one.  The results
 * differ from the im2col form's by rounding only (about 1e-6 of the
 * largest output; tests/test_winograd.c holds them to 1e-5).  Transposed
 * convolutions keep the im2col form: the same transform on their two
 * phases measured slower (ten narrow GEMMs instead of one).
 *
 * The transformed weights (gt__wino_weights) are kept by the model and
 * remade when its parameters may have changed (src/infer.c).
 */
#ifndef GANTRY_WINOGRAD_H
#define GANTRY_WINOGRAD_H

#include <stddef.h>

#include "gantry/kernels.h"
#include "pointwise.h"

/* Whether g (a resolved convolution geometry) takes this path: k4 s2 p1,
 * 1D, at least 4 channels in and out, an input length that is a multiple
 * of 8. */
int gt__wino_fits(const gt_conv_geom *g);

/* Floats of the transformed weights of g: 10 cin cout. */
size_t gt__wino_weights_size(const gt_conv_geom *g);

/* Scratch floats per sample of gt__wino_conv_forward. */
size_t gt__wino_scratch(const gt_conv_geom *g);

/* u (gt__wino_weights_size floats) from the weight (cout, cin, 4). */
void gt__wino_weights(float *u, const float *weight, const gt_conv_geom *g);

/*
 * gt__conv_forward_mapped (conv_internal.h) for a geometry that fits, with
 * the transformed weights u and scratch of col_cap floats, at least
 * gt__wino_scratch(g) (samples are taken as many at a time as it holds).
 */
void gt__wino_conv_forward(float *out, const float *inp, const float *u, const float *bias,
                           float *col, size_t col_cap, const gt_conv_geom *g, int N,
                           const gt__pointwise *pre, const gt__pointwise *post);

#endif
