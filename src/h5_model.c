/*
 * Models in Gantry's HDF5 files.  A model is a group holding
 *     attribute spec       the canonical spec text (gt_model_spec)
 *     params, buffers      the flat arrays (float32, 1D)
 *     moment1, moment2     the optimiser's moments (optional, with
 *     attribute step       the step count)
 *     layers/NN_kind/...   a per-layer view in PyTorch's shapes, written for
 *                          other tools and never read back
 * Reading rebuilds the model from its spec and checks every array against
 * it before anything is used.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/h5.h"
#include "gantry/model.h"
#include "h5_internal.h"
#include "model_internal.h"

/* Longest object path built here (group + "/layers/NN_kind/running_mean"). */
#define PATH_CAP 512

/* The group name without leading '/'. */
static const char *bare(const char *group)
{
    while (*group == '/')
        group++;
    return group;
}

/* path = group/name; -1 if it does not fit. */
static int join(char *path, const char *group, const char *name)
{
    int n = snprintf(path, PATH_CAP, "%s/%s", bare(group), name);
    return n > 0 && n < PATH_CAP ? 0 : -1;
}

/* Index of the first value that is not finite, or n. */
static size_t first_nonfinite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return i;
    return n;
}

static int write_1d(gt_h5 *f, const char *group, const char *name, const float *x, size_t n,
                    gt_error *err)
{
    char path[PATH_CAP];
    if (join(path, group, name) < 0)
        return gt_error_set(err, GT_EINVAL, "%s: group name too long", gt__h5_path(f));
    return gt_h5_write_floats(f, path, x, 1, &n, err);
}

/* One array of the per-layer view: dir/name with the given shape. */
static int write_view(gt_h5 *f, const char *dir, const char *name, const float *x, int ndim,
                      const size_t *dims, gt_error *err)
{
    char path[PATH_CAP];
    if (join(path, dir, name) < 0)
        return gt_error_set(err, GT_EINVAL, "%s: group name too long", gt__h5_path(f));
    return gt_h5_write_floats(f, path, x, ndim, dims, err);
}

/* layers/NN_kind/... (NN counts layers from 01) for every layer with
 * parameters or buffers, shaped as PyTorch's state_dict: dense weight
 * (O, F), conv weight (cout, cin, [kh,] kw), convt weight (cin, cout,
 * [kh,] kw), bias; bn gamma, beta, running_mean, running_var (C); label
 * table (K, E).  A spectrally normalised layer's weight is the raw weight
 * (PyTorch's weight_orig), with its power-iteration vectors weight_u and
 * weight_v. */
static int write_layer_view(gt_h5 *f, const char *group, gt_model *m, gt_error *err)
{
    const float *p = gt_model_params(m), *buf = gt_model_buffers(m);
    for (int i = 0; i < m->nlayers; i++) {
        const gt__layer *L = &m->layers[i];
        const gt_layer_desc *d = &L->d;
        size_t dims[4];
        int nd = 0;
        switch (d->kind) {
        case GT_LAYER_DENSE:
            dims[0] = (size_t)L->out.c;
            dims[1] = (size_t)L->in.c;
            nd = 2;
            break;
        case GT_LAYER_CONV:
        case GT_LAYER_CONVT: {
            int t = d->kind == GT_LAYER_CONVT;
            dims[0] = (size_t)(t ? L->geom.cin : L->geom.cout);
            dims[1] = (size_t)(t ? L->geom.cout : L->geom.cin);
            nd = 2;
            if (L->in.h > 1)
                dims[nd++] = (size_t)L->geom.kh;
            dims[nd++] = (size_t)L->geom.kw;
            break;
        }
        case GT_LAYER_BATCHNORM:
            break;
        case GT_LAYER_LABEL:
            if (L->w_n == 0)
                continue;
            break;
        default:
            continue;
        }
        char dir[PATH_CAP], sub[64];
        snprintf(sub, sizeof sub, "layers/%02d_%s", i + 1, gt_layer_kind_name(d->kind));
        if (join(dir, group, sub) < 0)
            return gt_error_set(err, GT_EINVAL, "%s: group name too long", gt__h5_path(f));
        int rc = GT_OK;
        size_t c = (size_t)L->in.c;
        if (d->kind == GT_LAYER_BATCHNORM) {
            if (L->w_n && ((rc = write_view(f, dir, "gamma", p + L->w_off, 1, &c, err)) < 0 ||
                           (rc = write_view(f, dir, "beta", p + L->b_off, 1, &c, err)) < 0))
                return rc;
            if ((rc = write_view(f, dir, "running_mean", buf + L->buf_off, 1, &c, err)) < 0 ||
                (rc = write_view(f, dir, "running_var", buf + L->buf_off + c, 1, &c, err)) < 0)
                return rc;
            continue;
        }
        if (d->kind == GT_LAYER_LABEL) {
            size_t td[2] = {(size_t)m->nclasses, (size_t)d->units};
            if ((rc = write_view(f, dir, "table", p + L->w_off, 2, td, err)) < 0)
                return rc;
            continue;
        }
        if ((rc = write_view(f, dir, "weight", p + L->w_off, nd, dims, err)) < 0)
            return rc;
        size_t nb = L->b_n;
        if (nb && (rc = write_view(f, dir, "bias", p + L->b_off, 1, &nb, err)) < 0)
            return rc;
        if (d->spectral) {
            size_t r = (size_t)L->sn_rows, k = (size_t)L->sn_cols;
            const float *u = buf + L->buf_off;
            if ((rc = write_view(f, dir, "weight_u", u, 1, &r, err)) < 0 ||
                (rc = write_view(f, dir, "weight_v", u + r, 1, &k, err)) < 0)
                return rc;
        }
    }
    return GT_OK;
}

/* Refuse to store NaN or Inf: the reader would refuse the file. */
static int check_finite(const char *file, const char *group, const char *name, const float *x,
                        size_t n, gt_error *err)
{
    size_t bad = first_nonfinite(x, n);
    if (bad < n)
        return gt_error_set(err, GT_ENUMERIC, "%s: /%s/%s[%zu] is %g", file, bare(group), name,
                            bad, (double)x[bad]);
    return GT_OK;
}

int gt_h5_write_model(gt_h5 *f, const char *group, gt_model *m, int with_optim, gt_error *err)
{
    if (!f || !group || !*bare(group) || !m)
        return gt_error_set(err, GT_EINVAL, "gt_h5_write_model: invalid arguments");
    const char *file = gt__h5_path(f);
    if (gt_model_max_batch(m) <= 0 || !gt_model_params(m))
        return gt_error_set(err, GT_EINVAL, "%s: /%s: the model is not finalized", file,
                            bare(group));
    if (strlen(group) > PATH_CAP - 64)
        return gt_error_set(err, GT_EINVAL, "%s: group name too long", file);
    if (gt_h5_exists(f, group))
        return gt_error_set(err, GT_EINVAL, "%s: /%s already exists", file, bare(group));
    size_t np = gt_model_nparams(m), nb = gt_model_nbuffers(m);
    int rc;
    if ((rc = check_finite(file, group, "params", gt_model_params(m), np, err)) < 0 ||
        (rc = check_finite(file, group, "buffers", gt_model_buffers(m), nb, err)) < 0)
        return rc;
    if (with_optim &&
        ((rc = check_finite(file, group, "moment1", gt_model_moment1(m), np, err)) < 0 ||
         (rc = check_finite(file, group, "moment2", gt_model_moment2(m), np, err)) < 0))
        return rc;

    size_t len = gt_model_spec(m, NULL, 0);
    char *spec = malloc(len + 1);
    if (!spec)
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory", file);
    gt_model_spec(m, spec, len + 1);
    rc = gt_h5_write_attr_str(f, group, "spec", spec, err);
    free(spec);
    if (rc < 0)
        return rc;
    if ((rc = write_1d(f, group, "params", gt_model_params(m), np, err)) < 0 ||
        (rc = write_1d(f, group, "buffers", gt_model_buffers(m), nb, err)) < 0)
        return rc;
    if (with_optim &&
        ((rc = write_1d(f, group, "moment1", gt_model_moment1(m), np, err)) < 0 ||
         (rc = write_1d(f, group, "moment2", gt_model_moment2(m), np, err)) < 0 ||
         (rc = gt_h5_write_attr_double(f, group, "step", (double)*gt_model_step_count(m),
                                       err)) < 0))
        return rc;
    return write_layer_view(f, group, m, err);
}

/* Read group/name into dst, which must hold exactly `need` finite values
 * (non-negative ones when nonneg is set). */
static int read_exact(gt_h5 *f, const char *group, const char *name, float *dst, size_t need,
                      int nonneg, gt_error *err)
{
    const char *file = gt__h5_path(f);
    char path[PATH_CAP];
    if (join(path, group, name) < 0)
        return gt_error_set(err, GT_EINVAL, "%s: group name too long", file);
    float *x = NULL;
    size_t n = 0;
    int rc = gt_h5_read_floats(f, path, &x, &n, NULL, NULL, err);
    if (rc < 0)
        return rc;
    if (n != need) {
        rc = gt_error_set(err, GT_ESHAPE, "%s: /%s has %zu values, the spec needs %zu", file,
                          path, n, need);
    } else {
        size_t bad = first_nonfinite(x, n);
        if (bad < n)
            rc = gt_error_set(err, GT_ENUMERIC, "%s: /%s[%zu] is %g", file, path, bad,
                              (double)x[bad]);
        for (size_t i = 0; rc == GT_OK && nonneg && i < n; i++)
            if (x[i] < 0)
                rc = gt_error_set(err, GT_ENUMERIC, "%s: /%s[%zu] is negative (%g)", file,
                                  path, i, (double)x[i]);
        if (rc == GT_OK && n)
            memcpy(dst, x, n * sizeof *x);
    }
    free(x);
    return rc;
}

/* The optimiser state, if the group holds one. */
static int read_optim(gt_h5 *f, const char *group, gt_model *m, gt_error *err)
{
    const char *file = gt__h5_path(f);
    char p1[PATH_CAP], p2[PATH_CAP];
    if (join(p1, group, "moment1") < 0 || join(p2, group, "moment2") < 0)
        return gt_error_set(err, GT_EINVAL, "%s: group name too long", file);
    int has1 = gt_h5_exists(f, p1), has2 = gt_h5_exists(f, p2);
    if (!has1 && !has2)
        return GT_OK;
    if (!has1 || !has2)
        return gt_error_set(err, GT_EFORMAT, "%s: /%s has %s without %s", file, bare(group),
                            has1 ? "moment1" : "moment2", has1 ? "moment2" : "moment1");
    size_t np = gt_model_nparams(m);
    double step = 0;
    int rc;
    if ((rc = read_exact(f, group, "moment1", gt_model_moment1(m), np, 0, err)) < 0 ||
        (rc = read_exact(f, group, "moment2", gt_model_moment2(m), np, 1, err)) < 0 ||
        (rc = gt_h5_read_attr_double(f, group, "step", &step, err)) < 0)
        return rc;
    /* 9.2e18 < LONG_MAX on LP64; a step count is far below either. */
    if (!(step >= 0 && step < 9.2e18) || step != floor(step))
        return gt_error_set(err, GT_EFORMAT, "%s: /%s: step %g is not a step count", file,
                            bare(group), step);
    *gt_model_step_count(m) = (long)step;
    return GT_OK;
}

int gt_h5_read_model(gt_h5 *f, const char *group, int max_batch, gt_model **out,
                     gt_error *err)
{
    *out = NULL;
    if (!f || !group || !*bare(group))
        return gt_error_set(err, GT_EINVAL, "gt_h5_read_model: invalid arguments");
    const char *file = gt__h5_path(f);
    if (strlen(group) > PATH_CAP - 64)
        return gt_error_set(err, GT_EINVAL, "%s: group name too long", file);
    if (!gt_h5_exists(f, group))
        return gt_error_set(err, GT_EFORMAT, "%s: no group /%s", file, bare(group));
    char *spec = NULL;
    gt_model *m = NULL;
    gt_error sub;
    int rc = gt_h5_read_attr_str(f, group, "spec", &spec, err);
    if (rc < 0)
        return rc;
    if ((rc = gt_model_parse(&m, spec, &sub)) < 0) {
        gt_error_set(err, rc, "%s: /%s: %s", file, bare(group), sub.msg);
        goto out;
    }
    if ((rc = gt_model_finalize(m, max_batch, &sub)) < 0) {
        gt_error_set(err, rc, "%s: /%s: %s", file, bare(group), sub.msg);
        goto out;
    }
    if ((rc = read_exact(f, group, "params", gt_model_params(m), gt_model_nparams(m), 0,
                         err)) < 0 ||
        (rc = read_exact(f, group, "buffers", gt_model_buffers(m), gt_model_nbuffers(m), 0,
                         err)) < 0 ||
        (rc = read_optim(f, group, m, err)) < 0)
        goto out;
    *out = m;
    m = NULL;
out:
    gt_model_free(m);
    free(spec);
    return rc;
}

int gt_model_save(gt_model *m, const char *path, int with_optim, gt_error *err)
{
    gt_h5 *f = NULL;
    int rc = gt_h5_create(&f, path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR,
                          GT_MODEL_FORMAT_MINOR, err);
    if (rc < 0)
        return rc;
    if ((rc = gt_h5_write_model(f, "model", m, with_optim, err)) < 0) {
        gt_h5_abort(f);
        return rc;
    }
    return gt_h5_commit(f, err);
}

int gt_model_load(gt_model **out, const char *path, int max_batch, gt_error *err)
{
    *out = NULL;
    gt_h5 *f = NULL;
    int rc = gt_h5_open(&f, path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR, NULL, err);
    if (rc < 0)
        return rc;
    rc = gt_h5_read_model(f, "model", max_batch, out, err);
    gt_h5_close(f);
    return rc;
}
