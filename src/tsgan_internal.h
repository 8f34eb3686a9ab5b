/* Shared between tsgan.c and tsgan_io.c. */
#ifndef GANTRY_TSGAN_INTERNAL_H
#define GANTRY_TSGAN_INTERNAL_H

#include "gantry/tsgan.h"

/* Pair t's G and D for training (optimisers from t->cfg, latents seeded
 * from cfg.seed) and allocate the batch scratch. */
int gt__tsgan_init_gan(gt_tsgan *t, gt_error *err);

#endif
