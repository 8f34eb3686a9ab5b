/* Shared between tsgan.c and tsgan_io.c. */
#ifndef GANTRY_TSGAN_INTERNAL_H
#define GANTRY_TSGAN_INTERNAL_H

#include "gantry/tsgan.h"

/* Allocate the batch scratch of t (for t->cfg.batch windows). */
int gt__tsgan_scratch(gt_tsgan *t, gt_error *err);

#endif
