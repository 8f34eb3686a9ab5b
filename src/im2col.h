/*
 * im2col.h - internal: unfold images into patch columns and fold them back,
 * the data movement around the GEMMs of src/conv.c.
 *
 * An "image" here is a chunk of nc samples of a channel-major tensor: channel
 * c of chunk sample j starts at img + c * cstride + j * h * w (cstride is the
 * full tensor's channel stride N * h * w, so a chunk is used in place).
 * Its column matrix col is (c * kh * kw, nc * oh * ow), row (c, ki, kj),
 * column (j, y, x), where patch (y, x) has its top-left corner at image
 * position (y * sh - ph, x * sw - pw); positions outside the image are zero.
 *
 * A convolution unfolds its input (image = input, patch grid = output); a
 * transposed convolution folds into its output (image = output, patch grid =
 * input), which is why the roles are named image/patch rather than in/out.
 */
#ifndef GANTRY_IM2COL_H
#define GANTRY_IM2COL_H

#include <stddef.h>

#include "pointwise.h"

typedef struct gt__patch {
    int c;      /* image channels */
    int h, w;   /* image size */
    int oh, ow; /* patch grid size */
    int kh, kw;
    int sh, sw;
    int ph, pw;
} gt__patch;

/* col (c*kh*kw, nc*oh*ow) = unfold(pre(img (c, nc, h, w) with channel stride
 * cstride)): pre (NULL: none) maps the image values as they are gathered;
 * positions in the padding stay zero. */
void gt__im2col(float *col, const float *img, size_t cstride,
                const gt__patch *p, int nc, const gt__pointwise *pre);

/*
 * img (c, nc, h, w) = post(init[c] + fold(col)): every image position gets
 * init[c] (0 if init is NULL) plus the column entries that read it, added in
 * a fixed order (deterministic at any thread count), then goes through post
 * (NULL: none).  Overwrites img.
 */
void gt__col2im(float *img, size_t cstride, const float *col, const float *init,
                const gt__patch *p, int nc, const gt__pointwise *post);

#endif
