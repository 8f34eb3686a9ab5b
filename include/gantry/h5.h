/*
 * gantry/h5.h - Gantry's HDF5 files: models, checkpoints and (later) stores.
 *
 * Every file names its format and version in two root attributes,
 * `format` (e.g. "gantry-model") and `format_version` ("MAJOR.MINOR").  A
 * reader refuses another format, and an unknown major version, with a
 * message that says what the file is.  A newer minor version is read.
 *
 * Writing never damages what is there: gt_h5_create writes to a temporary
 * file beside the target, gt_h5_commit renames it into place, and
 * gt_h5_abort (or any failure) removes it.  The library silences HDF5's own
 * error printing; messages come back through gt_error.
 *
 * A model is stored as a group holding the attribute `spec` (the text of
 * gt_model_spec), datasets `params` and `buffers` (the flat arrays), and,
 * when the optimiser state is kept, `moment1`, `moment2` and the attribute
 * `step`.  A group `layers/` holds a read-only per-layer view for other
 * tools (e.g. `layers/01_conv/weight`, shaped as in PyTorch).
 */
#ifndef GANTRY_H5_H
#define GANTRY_H5_H

#include <stddef.h>

#include "gantry/common.h"
#include "gantry/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The format of files holding a single model or a GAN. */
#define GT_MODEL_FORMAT "gantry-model"
#define GT_MODEL_FORMAT_MAJOR 1
#define GT_MODEL_FORMAT_MINOR 0

typedef struct gt_h5 gt_h5;

/* Start writing `path` (through a temporary file) with the given format. */
int gt_h5_create(gt_h5 **out, const char *path, const char *format, int major,
                 int minor, gt_error *err);
/* Close the temporary file and rename it onto the target.  Frees f, also on
 * failure (then the temporary file is removed). */
int gt_h5_commit(gt_h5 *f, gt_error *err);
/* Close and remove the temporary file; the target is untouched.  Frees f. */
void gt_h5_abort(gt_h5 *f);

/* Open for reading; checks the format name and that the major version is
 * at most `major`.  *minor_out (if not NULL) gets the file's minor version. */
int gt_h5_open(gt_h5 **out, const char *path, const char *format, int major,
               int *minor_out, gt_error *err);
void gt_h5_close(gt_h5 *f);

/* 1 if an object (group or dataset) exists at path. */
int gt_h5_exists(gt_h5 *f, const char *path);

/* Attributes on an object ("/" for the root, or a group/dataset path;
 * groups are created on write as needed). */
int gt_h5_write_attr_str(gt_h5 *f, const char *obj, const char *name,
                         const char *value, gt_error *err);
int gt_h5_write_attr_double(gt_h5 *f, const char *obj, const char *name,
                            double value, gt_error *err);
/* *value is malloc'd; the caller frees it. */
int gt_h5_read_attr_str(gt_h5 *f, const char *obj, const char *name,
                        char **value, gt_error *err);
int gt_h5_read_attr_double(gt_h5 *f, const char *obj, const char *name,
                           double *value, gt_error *err);

/* float32 datasets of up to 8 dimensions (intermediate groups created). */
int gt_h5_write_floats(gt_h5 *f, const char *path, const float *x, int ndim,
                       const size_t *dims, gt_error *err);
/* Read a whole float dataset: *x is malloc'd, *n its element count; dims
 * (if not NULL, room for 8) and *ndim (if not NULL) describe its shape. */
int gt_h5_read_floats(gt_h5 *f, const char *path, float **x, size_t *n,
                      int *ndim, size_t *dims, gt_error *err);

/* Store model m in group `group`; with_optim keeps the optimiser state. */
int gt_h5_write_model(gt_h5 *f, const char *group, gt_model *m,
                      int with_optim, gt_error *err);
/* Rebuild a model from group `group`, finalized for max_batch, with its
 * parameters, buffers and (when stored) optimiser state.  Refuses a group
 * whose arrays do not match its spec, or that holds NaN or Inf. */
int gt_h5_read_model(gt_h5 *f, const char *group, int max_batch,
                     gt_model **out, gt_error *err);

/* Convenience: one model in a file of format GT_MODEL_FORMAT, group "model". */
int gt_model_save(gt_model *m, const char *path, int with_optim, gt_error *err);
int gt_model_load(gt_model **out, const char *path, int max_batch,
                  gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
