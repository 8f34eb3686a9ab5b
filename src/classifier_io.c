/* The classifier's model file: gt_classifier_save and gt_classifier_load. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classifier_internal.h"
#include "gantry/h5.h"
#include "gantry/names.h"

/* Batches of a loaded classifier. */
#define LOAD_BATCH 64

static int write_all(const gt_classifier *clf, gt_h5 *f, gt_error *err)
{
    const gt_classifier_cfg *c = &clf->cfg;
    char *chans = gt_names_join(clf->channels, c->nch), *classes = gt_names_join(clf->classes,
                                                                            c->nclasses);
    const size_t nch = (size_t)c->nch, L = (size_t)gt_classifier_input_len(c);
    const size_t d1[1] = {nch}, d2[2] = {nch, L}, dh[1] = {(size_t)clf->steps};
    int rc = chans && classes ? GT_OK : gt_error_set(err, GT_ENOMEM, "out of memory");
    if (!rc) rc = gt_h5_write_model(f, "classifier", clf->model, 0, err);
    if (!rc) rc = gt_h5_write_attr_str(f, "/", "kind", GT_CLASSIFIER_KIND, err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "dims", c->dims, err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "window", c->window, err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "hop", clf->hop, err);
    if (!rc) rc = gt_h5_write_attr_str(f, "/", "input", gt_clf_input_name(c->input), err);
    if (!rc) rc = gt_h5_write_attr_str(f, "/", "channels", chans, err);
    if (!rc) rc = gt_h5_write_attr_str(f, "/", "classes", classes, err);
    if (!rc) rc = gt_h5_write_attr_str(f, "/", "normalize", gt_norm_name(clf->norm), err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "rate_hz", clf->rate_hz, err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "steps", (double)clf->steps, err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "seed", (double)clf->seed, err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "width", c->width, err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "max_width", c->max_width, err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "dropout", c->dropout, err);
    if (!rc) rc = gt_h5_write_floats(f, "norm/center", clf->center, 1, d1, err);
    if (!rc) rc = gt_h5_write_floats(f, "norm/scale", clf->scale, 1, d1, err);
    if (!rc && clf->feat_center)
        rc = gt_h5_write_floats(f, "feature/center", clf->feat_center, 2, d2, err);
    if (!rc && clf->feat_scale)
        rc = gt_h5_write_floats(f, "feature/scale", clf->feat_scale, 2, d2, err);
    /* (an untrained classifier has an empty history) */
    float none = 0;
    if (!rc)
        rc = gt_h5_write_floats(f, "history/loss", clf->hist_loss ? clf->hist_loss : &none, 1,
                                dh, err);
    if (!rc)
        rc = gt_h5_write_floats(f, "history/accuracy", clf->hist_acc ? clf->hist_acc : &none, 1,
                                dh, err);
    free(chans);
    free(classes);
    return rc;
}

int gt_classifier_save(const gt_classifier *clf, const char *path, gt_error *err)
{
    gt_h5 *f;
    int rc = gt_h5_create(&f, path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR, GT_MODEL_FORMAT_MINOR,
                          err);
    if (rc)
        return rc;
    if ((rc = write_all(clf, f, err))) {
        gt_h5_abort(f);
        return rc;
    }
    return gt_h5_commit(f, err);
}

/* A float dataset of exactly n values into dst. */
static int read_exact(gt_h5 *f, const char *path, const char *file, float *dst, size_t n,
                      gt_error *err)
{
    float *v = NULL;
    size_t got = 0;
    int rc = gt_h5_read_floats(f, path, &v, &got, NULL, NULL, err);
    if (!rc && got != n)
        rc = gt_error_set(err, GT_ESHAPE, "%s: /%s has %zu values, the classifier needs %zu",
                          file, path, got, n);
    if (!rc)
        memcpy(dst, v, n * sizeof(float));
    free(v);
    return rc;
}

static int read_int_attr(gt_h5 *f, const char *file, const char *name, int lo, int *out,
                         gt_error *err)
{
    double v;
    int rc = gt_h5_read_attr_double(f, "/", name, &v, err);
    if (rc)
        return rc;
    if (!(v >= lo && v <= 1e9) || v != floor(v))
        return gt_error_set(err, GT_EFORMAT, "%s: attribute %s is %g", file, name, v);
    *out = (int)v;
    return GT_OK;
}

static int read_all(gt_classifier **out, gt_h5 *f, const char *path, gt_error *err)
{
    char *kind = NULL, *input = NULL, *chans = NULL, *classes = NULL, *norm = NULL;
    char **chan_v = NULL, **cls_v = NULL;
    int nch = 0, ncls = 0, hop = 0, dims = 1;
    double dropout = 0, rate = 0, steps = 0, seed = 0;
    gt_classifier_cfg c = gt_classifier_cfg_default(1, 32, 2);
    gt_classifier *clf = NULL;
    gt_model *m = NULL;
    gt_error e2 = {0};
    int rc = gt_h5_read_attr_str(f, "/", "kind", &kind, err);
    if (!rc && strcmp(kind, GT_CLASSIFIER_KIND))
        rc = gt_error_set(err, GT_EFORMAT, "%s: holds a %s model, not a classifier", path, kind);
    if (!rc) rc = gt_h5_read_attr_str(f, "/", "input", &input, err);
    if (!rc && gt_clf_input_parse(input, &c.input, &e2))
        rc = gt_error_set(err, GT_EFORMAT, "%s: attribute input: %s", path, e2.msg);
    if (!rc) rc = gt_h5_read_attr_str(f, "/", "channels", &chans, err);
    if (!rc) rc = gt_h5_read_attr_str(f, "/", "classes", &classes, err);
    if (!rc) rc = gt_h5_read_attr_str(f, "/", "normalize", &norm, err);
    /* files from before images have no dims: 1D (a network that is not
     * is refused below) */
    double dv = 1;
    if (!rc && gt_h5_read_attr_double(f, "/", "dims", &dv, &e2) != GT_OK)
        dv = 1;
    if (!rc && dv != 1 && dv != 2)
        rc = gt_error_set(err, GT_EFORMAT, "%s: attribute dims is %g (1 or 2)", path, dv);
    c.dims = dims = dv == 2 ? 2 : 1;
    if (!rc)
        rc = read_int_attr(f, path, "window", gt__classifier_min_window(dims), &c.window, err);
    if (!rc) rc = read_int_attr(f, path, "hop", 1, &hop, err);
    if (!rc) rc = read_int_attr(f, path, "width", 1, &c.width, err);
    if (!rc) rc = read_int_attr(f, path, "max_width", 1, &c.max_width, err);
    if (!rc) rc = gt_h5_read_attr_double(f, "/", "dropout", &dropout, err);
    if (!rc) rc = gt_h5_read_attr_double(f, "/", "rate_hz", &rate, err);
    if (!rc) rc = gt_h5_read_attr_double(f, "/", "steps", &steps, err);
    if (!rc) rc = gt_h5_read_attr_double(f, "/", "seed", &seed, err);
    if (!rc && (gt_names_split(chans, &chan_v, &nch) || gt_names_split(classes, &cls_v, &ncls)))
        rc = gt_error_set(err, GT_ENOMEM, "out of memory");
    if (!rc) {
        c.nch = nch;
        c.nclasses = ncls;
        c.dropout = (float)dropout;
        c.batch = LOAD_BATCH;
        rc = gt__classifier_alloc(&clf, &c, cls_v, chan_v, err);
    }
    if (!rc && gt_norm_parse(norm, &clf->norm, &e2))
        rc = gt_error_set(err, GT_EFORMAT, "%s: attribute normalize: %s", path, e2.msg);
    if (!rc) rc = gt_h5_read_model(f, "classifier", LOAD_BATCH, &m, err);
    if (!rc) {
        gt_shape in = gt_model_input_shape(m), o = gt_model_output_shape(m);
        const int L = gt_classifier_input_len(&c), H = dims == 2 ? L : 1;
        if (in.c != nch || in.h != H || in.w != L || o.c * o.h * o.w != ncls)
            rc = gt_error_set(err, GT_ESHAPE,
                              "%s: the network takes %dx%dx%d and gives %d values; the file's "
                              "attributes say %dx%dx%d and %d classes",
                              path, in.c, in.h, in.w, o.c * o.h * o.w, nch, H, L, ncls);
    }
    if (!rc) {
        clf->model = m;
        m = NULL;
        clf->hop = hop;
        clf->rate_hz = rate;
        clf->steps = steps >= 0 ? (long)steps : 0;
        clf->seed = seed >= 0 ? (uint64_t)seed : 0;
        const size_t L = (size_t)gt_classifier_input_len(&c);
        clf->hist_loss = malloc(((size_t)clf->steps + 1) * sizeof(float));
        clf->hist_acc = malloc(((size_t)clf->steps + 1) * sizeof(float));
        if (!clf->hist_loss || !clf->hist_acc)
            rc = gt_error_set(err, GT_ENOMEM, "out of memory");
        if (!rc) rc = read_exact(f, "norm/center", path, clf->center, (size_t)nch, err);
        if (!rc) rc = read_exact(f, "norm/scale", path, clf->scale, (size_t)nch, err);
        if (!rc && clf->feat_center)
            rc = read_exact(f, "feature/center", path, clf->feat_center, (size_t)nch * L, err);
        if (!rc && clf->feat_scale)
            rc = read_exact(f, "feature/scale", path, clf->feat_scale, (size_t)nch * L, err);
        if (!rc)
            rc = read_exact(f, "history/loss", path, clf->hist_loss, (size_t)clf->steps, err);
        if (!rc)
            rc = read_exact(f, "history/accuracy", path, clf->hist_acc, (size_t)clf->steps, err);
    }
    free(kind);
    free(input);
    free(chans);
    free(classes);
    free(norm);
    gt_names_free(chan_v, nch);
    gt_names_free(cls_v, ncls);
    gt_model_free(m);
    if (rc) {
        gt_classifier_free(clf);
        clf = NULL;
    }
    *out = clf;
    return rc;
}

int gt_classifier_load(gt_classifier **out, const char *path, gt_error *err)
{
    gt_h5 *f;
    *out = NULL;
    int rc = gt_h5_open(&f, path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR, NULL, err);
    if (rc)
        return rc;
    rc = read_all(out, f, path, err);
    gt_h5_close(f);
    return rc;
}
