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
 * missing variable lists the ones the file has.
 */
int gt_mat_read_vector(const char *path, const char *name, float **x,
                       size_t *n, char *found, size_t found_cap,
                       gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
