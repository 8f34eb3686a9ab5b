/*
 * gantry/preset.h - the architectures later stages use, as model specs.
 *
 * DCGAN (Radford et al. 2016), in 1D for sensor windows and in 2D for
 * images (the PyTorch-examples DCGAN at 32x32 and 64x64):
 *   G: latent -> transposed conv k4 s1 p0 to size 4, then transposed conv
 *      k4 s2 p1 + batch norm + ReLU doubling the size, halving the width,
 *      up to a final transposed conv to the sample's channels and tanh.
 *   D: conv k4 s2 p1 + LeakyReLU 0.2 (batch norm after the first, or
 *      spectral normalisation on every conv), halving the size down to 4,
 *      then conv k4 s1 p0 to one logit.
 *   Widths: D's i-th layer has min(width * 2^i, max_width) channels; G
 *   mirrors D.  Conditional models append one-hot class channels to G's
 *   latent vector and to D's input.
 * The seed's Keras model: G: dense 128*7*7 -> reshape 128x7x7 -> conv 64
 *   5x5 -> conv C 5x5 -> tanh (LeakyReLU 0.2 between), D: conv 64 5x5 s2 ->
 *   conv 128 5x5 s2 -> dense 1.  As written it makes 7x7 images; for a size
 *   of 7 * 2^u, u nearest-neighbour 2x upsampling layers are inserted before
 *   G's convolutions (u = 2 gives the familiar 28x28 Keras DCGAN).
 */
#ifndef GANTRY_PRESET_H
#define GANTRY_PRESET_H

#include <stddef.h>

#include "gantry/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_preset_cfg {
    int dims;      /* 1: sensor windows (C x L), 2: images (C x S x S) */
    int size;      /* window length or image side: a power of two >= 16
                      for dcgan; 7 * 2^u for seed */
    int channels;  /* sample channels */
    int nz;        /* latent size */
    int width;     /* D's first width (G's last) */
    int max_width; /* cap on widths */
    int nclasses;  /* 0: unconditional */
    int spectral;  /* D uses spectral normalisation instead of batch norm */
} gt_preset_cfg;

/* Defaults: 1D: nz 100, width 16, max_width 256; 2D: nz 100, width 64,
 * max_width 512 (the PyTorch example's ngf = ndf = 64). */
gt_preset_cfg gt_preset_default(int dims, int size, int channels);

/* Write G's and D's specs (see gantry/model.h).  Returns GT_OK, or
 * GT_EINVAL with a message (bad size, spec longer than the buffers). */
int gt_preset_dcgan(const gt_preset_cfg *cfg, char *gspec, size_t gcap,
                    char *dspec, size_t dcap, gt_error *err);
int gt_preset_seed(const gt_preset_cfg *cfg, char *gspec, size_t gcap,
                   char *dspec, size_t dcap, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
