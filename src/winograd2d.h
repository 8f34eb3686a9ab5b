/*
 * winograd2d.h - internal: the 2D stride-2, 4x4 convolutions of the DCGANs
 * (k4 s2 p1, and their transposes) wherever gt_conv_* and gt_convt_* run
 * them (training, gt_model_forward; gt_model_infer keeps its fused im2col),
 * by Winograd's minimal filtering F(4x4, 2x2) on their polyphase form
 * (src/winograd2d.c).
 *
 * Such a convolution maps a "big" image (cb channels, hb x wb) to a "small"
 * one (cs channels, hb/2 x wb/2); a transposed convolution maps small to
 * big with the same weight layout (cs, cb, 4, 4).  Over the four phases of
 * the big image (rows and columns even or odd) it is a stride-1, 2x2
 * correlation with 4 cb input channels, and F(4x4, 2x2) makes a 4x4 tile of
 * its outputs with 25 products instead of 64: the GEMMs do 25/64 of the
 * multiply-adds of the im2col form.  The transforms are linear, so the
 * transposed convolution, the input gradient and the weight gradient are
 * the same transforms and their transposes around GEMMs of other shapes.
 * Results differ from the im2col form's by rounding only (a few 1e-6 of the
 * largest value; tests/test_conv.c and test_winograd2d.c check them).
 */
#ifndef GANTRY_WINOGRAD2D_H
#define GANTRY_WINOGRAD2D_H

#include <stddef.h>

#include "gantry/kernels.h"

/* Whether g (resolved; transposed: a transposed convolution's) takes this
 * path: k4x4 s2x2 p1x1, a small side whose height and width are multiples
 * of 4, and at least 8 channels on either side. */
int gt__wino2_fits(const gt_conv_geom *g, int transposed);

/* Scratch floats for n samples at a time (0 if g does not fit). */
size_t gt__wino2_scratch(const gt_conv_geom *g, int transposed, int n);

/*
 * The kernels of gantry/kernels.h (gt_conv_forward, ...) for a geometry that
 * fits, except the bias gradient, which the caller adds.  Each returns 0, or
 * -1 without touching anything when col_cap is below gt__wino2_scratch(g,
 * transposed, 1); larger scratch takes more samples at a time.
 */
int gt__wino2_conv_forward(float *out, const float *inp, const float *weight,
                           const float *bias, float *col, size_t col_cap,
                           const gt_conv_geom *g, int N);
int gt__wino2_conv_backward(float *dinp, float *dweight, const float *dout,
                            const float *inp, const float *weight, float *col,
                            size_t col_cap, const gt_conv_geom *g, int N);
int gt__wino2_convt_forward(float *out, const float *inp, const float *weight,
                            const float *bias, float *col, size_t col_cap,
                            const gt_conv_geom *g, int N);
int gt__wino2_convt_backward(float *dinp, float *dweight, const float *dout,
                             const float *inp, const float *weight, float *col,
                             size_t col_cap, const gt_conv_geom *g, int N);

#endif
