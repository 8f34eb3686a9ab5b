/* Internals shared by h5.c, h5_model.c and imgstore.c. */
#ifndef GANTRY_H5_INTERNAL_H
#define GANTRY_H5_INTERNAL_H

#include "gantry/h5.h"

/* The path a gt_h5 was created or opened with (for messages). */
const char *gt__h5_path(const gt_h5 *f);

/* gt_h5_write_u8, chunked along the first dimension (about 1 MiB a chunk)
 * and compressed with gzip at `level` (1-9; 0, a dimension of 0 or no
 * deflate filter in this HDF5: written plainly).  h5py reads it as is. */
int gt__h5_write_u8_z(gt_h5 *f, const char *path, const uint8_t *x, int ndim,
                      const size_t *dims, int level, gt_error *err);

#endif
