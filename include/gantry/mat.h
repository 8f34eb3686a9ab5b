/*
 * gantry/mat.h - reading vibration recordings from MATLAB .mat files
 * (v5, compressed or not, and v7.3) through libmatio.
 */
#ifndef GANTRY_MAT_H
#define GANTRY_MAT_H

#include <stddef.h>

#include "gantry/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Read a real numeric vector (a 1 x n or n x 1 array of any numeric class)
 * as float32.  `name` is the variable's name, or "*SUFFIX" for the first
 * variable whose name ends in SUFFIX (CWRU's "*_DE_time" finds X105_DE_time).
 * *x is malloc'd (the caller frees it) and *n its length; `found` (if not
 * NULL) gets the variable's name.  Errors name the file and the variable; a
 * missing variable lists the ones the file has.  A truncated file (v5: a data
 * element running past the end; v7.3: an HDF5 container that will not open)
 * is refused with GT_EFORMAT, a file that cannot be opened with GT_EIO.
 */
int gt_mat_read_vector(const char *path, const char *name, float **x,
                       size_t *n, char *found, size_t found_cap,
                       gt_error *err);

/*
 * The names of the file's real numeric vectors (1 x n or n x 1, n >= 2, any
 * numeric class; not complex, logical, char, cell, struct or sparse), in the
 * order the file holds them (v5: as written; v7.3: HDF5's link order, which
 * is by name).  *names is malloc'd (free with gt_mat_names_free) and *count
 * its length; a file without such vectors gives GT_OK and count 0.
 */
int gt_mat_list(const char *path, char ***names, int *count, gt_error *err);
void gt_mat_names_free(char **names, int count);

/*
 * Read a real numeric 1 x 1 variable (any numeric class) as a double.
 * `name` as for gt_mat_read_vector ("*RPM" finds CWRU's X097RPM).  Errors
 * name the file and the variable; a missing one lists the file's variables.
 */
int gt_mat_read_scalar(const char *path, const char *name, double *value,
                       gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
