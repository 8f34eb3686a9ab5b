/*
 * gantry/h5.h - Gantry's HDF5 files: models, checkpoints and (later) stores.
 *
 * Every file names its format and version in two root attributes,
 * `format` (e.g. "gantry-model") and `format_version` ("MAJOR.MINOR").  A
 * reader refuses another format, and an unknown major version, with a
 * message that says what the file is.  A newer minor version is read.
 *
 * Writing never damages what is there: gt_h5_create writes to a temporary
 * file "<target>.tmp-XXXXXX" beside the target, gt_h5_commit renames it into
 * place with rename(2) (after flushing it to disk), and gt_h5_abort, or a
 * failed create or commit, removes it.  An existing target is not touched
 * before the commit; a new one gets the usual permissions (0666 less the
 * umask), a replaced one keeps its own.
 *
 * Every function that takes a gt_error fills it on failure with a message
 * naming the file and the object, e.g.
 *     model.h5: /generator/params has 1200 values, the spec needs 1300
 * Codes: GT_EIO (cannot open, create or rename), GT_EFORMAT (not HDF5,
 * truncated, another format, a missing object), GT_EVERSION (newer major
 * version), GT_ESHAPE (arrays that do not fit the spec), GT_ENUMERIC (NaN
 * or Inf), GT_EINVAL (bad arguments, writing to a file opened for reading),
 * GT_ENOMEM.  HDF5's own error printing is switched off (process-wide, by
 * every entry point).  Object paths are relative to the root, with or
 * without a leading '/'.  HDF5 (serial) is not thread-safe: use these
 * functions from one thread at a time.
 *
 * A model is stored as a group holding the attribute `spec` (the text of
 * gt_model_spec), datasets `params` and `buffers` (the flat arrays), and,
 * when the optimiser state is kept, `moment1`, `moment2` and the attribute
 * `step`.  A group `layers/` holds a per-layer view for other tools, never
 * read back: `layers/NN_kind/` (NN counts layers from 01, kind is the spec
 * keyword, e.g. `layers/02_conv/weight`) with, shaped as in PyTorch,
 *     dense    weight (O, F), bias (O)
 *     conv     weight (cout, cin, k) in 1D, (cout, cin, kh, kw) in 2D, bias
 *     convt    weight (cin, cout, k) or (cin, cout, kh, kw), bias
 *     bn       gamma, beta (when affine), running_mean, running_var (C)
 *     label    table (K, E) (embeddings only)
 * and for `sn` layers the raw weight (PyTorch's weight_orig) with the
 * power-iteration vectors weight_u (rows) and weight_v (cols).
 */
#ifndef GANTRY_H5_H
#define GANTRY_H5_H

#include <stddef.h>
#include <stdint.h>

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
 * failure (then the temporary file is removed and the target untouched).
 * It commits whatever was written: after a failed write, call gt_h5_abort. */
int gt_h5_commit(gt_h5 *f, gt_error *err);
/* Close and remove the temporary file; the target is untouched.  Frees f.
 * f may be NULL. */
void gt_h5_abort(gt_h5 *f);

/* Open for reading; checks the format name and that the major version is
 * at most `major`.  *minor_out (if not NULL) gets the file's minor version.
 * A file opened so is never written. */
int gt_h5_open(gt_h5 **out, const char *path, const char *format, int major,
               int *minor_out, gt_error *err);
/* Close a file opened for reading (f may be NULL); on a file being written
 * it is gt_h5_abort. */
void gt_h5_close(gt_h5 *f);

/* 1 if an object (group or dataset) exists at path. */
int gt_h5_exists(gt_h5 *f, const char *path);

/* Attributes on an object ("/" for the root, or a group/dataset path;
 * groups are created on write as needed; writing replaces an attribute of
 * the same name).  Strings are stored fixed-length, NUL-terminated, UTF-8;
 * reading also takes variable-length strings (as h5py writes them).
 * Reading a double takes any integer or float attribute. */
int gt_h5_write_attr_str(gt_h5 *f, const char *obj, const char *name,
                         const char *value, gt_error *err);
int gt_h5_write_attr_double(gt_h5 *f, const char *obj, const char *name,
                            double value, gt_error *err);
/* *value is malloc'd; the caller frees it. */
int gt_h5_read_attr_str(gt_h5 *f, const char *obj, const char *name,
                        char **value, gt_error *err);
int gt_h5_read_attr_double(gt_h5 *f, const char *obj, const char *name,
                           double *value, gt_error *err);

/* float32 datasets of 1 to 8 dimensions (intermediate groups created; an
 * existing dataset is not replaced: GT_EINVAL).  Dimensions may be 0. */
int gt_h5_write_floats(gt_h5 *f, const char *path, const float *x, int ndim,
                       const size_t *dims, gt_error *err);
/* Read a whole float dataset: *x is malloc'd (also when *n is 0), *n its
 * element count; dims (if not NULL, room for 8) and *ndim (if not NULL)
 * describe its shape.  Integer and double datasets are converted. */
int gt_h5_read_floats(gt_h5 *f, const char *path, float **x, size_t *n,
                      int *ndim, size_t *dims, gt_error *err);

/* The same for uint8 and int64 datasets (read converts any integer type). */
int gt_h5_write_u8(gt_h5 *f, const char *path, const uint8_t *x, int ndim, const size_t *dims,
                   gt_error *err);
int gt_h5_read_u8(gt_h5 *f, const char *path, uint8_t **x, size_t *n, int *ndim, size_t *dims,
                  gt_error *err);
int gt_h5_write_i64(gt_h5 *f, const char *path, const int64_t *x, int ndim,
                    const size_t *dims, gt_error *err);
int gt_h5_read_i64(gt_h5 *f, const char *path, int64_t **x, size_t *n, int *ndim,
                   size_t *dims, gt_error *err);

/* Lists of strings (1-D datasets; n may be 0), written as variable-length
 * UTF-8 strings (h5py reads them as str; a NULL entry is written as "").
 * Reading takes variable- or fixed-length strings: *s gets an array of *n
 * malloc'd strings (NULL on failure), to free with gt_h5_strs_free. */
int gt_h5_write_strs(gt_h5 *f, const char *path, char *const *s, size_t n, gt_error *err);
int gt_h5_read_strs(gt_h5 *f, const char *path, char ***s, size_t *n, gt_error *err);
void gt_h5_strs_free(char **s, size_t n); /* s may be NULL */

/* The names of the links in a group, in name order; free with
 * gt_h5_names_free. */
int gt_h5_list(gt_h5 *f, const char *group, char ***names, int *count, gt_error *err);
void gt_h5_names_free(char **names, int count);

/* Store finalized model m in group `group` (created; it must not exist);
 * with_optim keeps the optimiser state.  Refuses a model holding NaN or
 * Inf (GT_ENUMERIC), which could not be read back. */
int gt_h5_write_model(gt_h5 *f, const char *group, gt_model *m,
                      int with_optim, gt_error *err);
/* Rebuild a model from group `group`, finalized for max_batch, with its
 * parameters, buffers and (when stored) optimiser state; without stored
 * state the moments and step are zero.  Refuses a group whose spec does not
 * parse (the parser's message is passed on), whose arrays do not match its
 * spec, or that holds NaN or Inf (or a negative second moment).  *out is
 * NULL on failure. */
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
