/* Internals shared by h5.c and h5_model.c. */
#ifndef GANTRY_H5_INTERNAL_H
#define GANTRY_H5_INTERNAL_H

#include "gantry/h5.h"

/* The path a gt_h5 was created or opened with (for messages). */
const char *gt__h5_path(const gt_h5 *f);

#endif
