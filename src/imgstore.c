/*
 * Images in the store: a set of equally sized square images with classes,
 * file names, origins and optional masks (gt_imageset), and its /images/
 * group.  Layout in gantry/imgstore.h.
 *
 * A set made here carries its arrays' capacities in a private wrapper
 * around the public struct, so that appending is amortised O(1);
 * gt_imageset_append therefore takes only sets from gt_imageset_new or
 * gt_store_read_images.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/h5.h"
#include "gantry/imgstore.h"
#include "gantry/names.h"
#include "h5_internal.h"
#include "store_internal.h"

#define MAX_SIZE 65536

typedef struct set_priv {
    gt_imageset pub; /* first: a gt_imageset * is a set_priv * */
    size_t cap;      /* room for images in every per-image array */
    int ccap, fcap;  /* room in classes, files */
} set_priv;

static set_priv *priv(gt_imageset *s)
{
    return (set_priv *)s;
}

static size_t image_size(const gt_imageset *s)
{
    return (size_t)s->channels * (size_t)s->size * (size_t)s->size;
}

static int valid_fit(const char *fit)
{
    return fit && (!strcmp(fit, "crop") || !strcmp(fit, "tile"));
}

static set_priv *set_alloc(int size, int channels, const char *fit)
{
    if (size < 1 || size > MAX_SIZE || (channels != 1 && channels != 3) || !valid_fit(fit))
        return NULL;
    set_priv *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->pub.size = size;
    p->pub.channels = channels;
    snprintf(p->pub.fit, sizeof p->pub.fit, "%s", fit);
    return p;
}

gt_imageset *gt_imageset_new(int size, int channels, const char *fit)
{
    set_priv *p = set_alloc(size, channels, fit);
    if (!p)
        return NULL;
    if (!(p->pub.source = strdup(""))) {
        free(p);
        return NULL;
    }
    return &p->pub;
}

void gt_imageset_free(gt_imageset *s)
{
    if (!s)
        return;
    free(s->pixels);
    free(s->cls);
    free(s->file);
    free(s->origin);
    free(s->masks);
    gt_names_free(s->classes, s->nclasses);
    gt_names_free(s->files, s->nfiles);
    free(s->source);
    free(s);
}

/* Add a copy of name to the list v[0..*n) of room *cap; its index or -1. */
static int names_add(char ***v, int *n, int *cap, const char *name)
{
    if (*n == *cap) {
        int c = *cap ? 2 * *cap : 16;
        char **w = realloc(*v, (size_t)c * sizeof *w);
        if (!w)
            return -1;
        *v = w;
        *cap = c;
    }
    if (!((*v)[*n] = strdup(name)))
        return -1;
    return (*n)++;
}

int gt_imageset_class(gt_imageset *s, const char *name)
{
    if (!name || !*name)
        return -1;
    int k = gt_names_index(s->classes, s->nclasses, name);
    if (k >= 0)
        return k;
    k = names_add(&s->classes, &s->nclasses, &priv(s)->ccap, name);
    return k >= 0 ? k : GT_ENOMEM - 1; /* below -1: out of memory */
}

int gt_imageset_file(gt_imageset *s, const char *name)
{
    if (!name)
        name = "";
    /* Files come in order: look from the last one back. */
    for (int i = s->nfiles - 1; i >= 0; i--)
        if (!strcmp(s->files[i], name))
            return i;
    int k = names_add(&s->files, &s->nfiles, &priv(s)->fcap, name);
    return k >= 0 ? k : GT_ENOMEM;
}

/* Room for at least one more image in every per-image array. */
static int grow(gt_imageset *s)
{
    set_priv *p = priv(s);
    if (s->n < p->cap)
        return GT_OK;
    size_t cap = p->cap ? 2 * p->cap : 16, sz = image_size(s), ss = (size_t)s->size * s->size;
    if (cap > SIZE_MAX / sz / 2)
        return GT_ENOMEM;
    void *v;
    if (!(v = realloc(s->pixels, cap * sz)))
        return GT_ENOMEM;
    s->pixels = v;
    if (!(v = realloc(s->cls, cap * sizeof(int))))
        return GT_ENOMEM;
    s->cls = v;
    if (!(v = realloc(s->file, cap * sizeof(int))))
        return GT_ENOMEM;
    s->file = v;
    if (!(v = realloc(s->origin, 2 * cap * sizeof(int))))
        return GT_ENOMEM;
    s->origin = v;
    if (s->masks) {
        if (!(v = realloc(s->masks, cap * ss)))
            return GT_ENOMEM;
        s->masks = v;
    }
    p->cap = cap;
    return GT_OK;
}

int gt_imageset_append(gt_imageset *s, const uint8_t *pixels, int cls, int file, int x, int y,
                       const uint8_t *mask, gt_error *err)
{
    if (!s || !pixels)
        return gt_error_set(err, GT_EINVAL, "gt_imageset_append: invalid arguments");
    if (cls < -1 || cls >= s->nclasses)
        return gt_error_set(err, GT_EINVAL, "gt_imageset_append: class %d of %d", cls,
                            s->nclasses);
    if (file < 0 || file >= s->nfiles)
        return gt_error_set(err, GT_EINVAL, "gt_imageset_append: file %d of %d", file,
                            s->nfiles);
    const size_t ss = (size_t)s->size * (size_t)s->size;
    if (grow(s) < 0 || (mask && !s->masks && !(s->masks = calloc(priv(s)->cap, ss))))
        return gt_error_set(err, GT_ENOMEM, "out of memory for %zu images of %d x %d x %d",
                            s->n + 1, s->channels, s->size, s->size);
    const size_t i = s->n;
    memcpy(s->pixels + i * image_size(s), pixels, image_size(s));
    s->cls[i] = cls;
    s->file[i] = file;
    s->origin[2 * i] = x;
    s->origin[2 * i + 1] = y;
    if (s->masks) {
        uint8_t *m = s->masks + i * ss;
        for (size_t k = 0; k < ss; k++)
            m[k] = mask && mask[k] ? 1 : 0;
    }
    s->n++;
    return GT_OK;
}

int gt_imageset_defective(const gt_imageset *s, size_t i)
{
    if (!s || !s->masks || i >= s->n)
        return 0;
    const size_t ss = (size_t)s->size * (size_t)s->size;
    const uint8_t *m = s->masks + i * ss;
    for (size_t k = 0; k < ss; k++)
        if (m[k])
            return 1;
    return 0;
}

/* --------------------------------------------------------------- writing */

/* The set's own consistency, before it is written. */
static int check_set(const gt_imageset *s, const char *store, gt_error *err)
{
    if (s->size < 1 || s->size > MAX_SIZE || (s->channels != 1 && s->channels != 3) ||
        !valid_fit(s->fit))
        return gt_error_set(err, GT_EINVAL, "%s: images of size %d, %d channels, fit '%.8s' "
                            "cannot be stored", store, s->size, s->channels, s->fit);
    if (s->n && (!s->pixels || !s->cls || !s->file || !s->origin))
        return gt_error_set(err, GT_EINVAL, "%s: an image set without its arrays", store);
    for (int k = 0; k < s->nclasses; k++)
        if (!s->classes[k] || !*s->classes[k] || strchr(s->classes[k], ','))
            return gt_error_set(err, GT_EINVAL, "%s: class name '%s' is empty or has a comma",
                                store, s->classes[k] ? s->classes[k] : "");
    for (size_t i = 0; i < s->n; i++) {
        if (s->cls[i] < -1 || s->cls[i] >= s->nclasses)
            return gt_error_set(err, GT_EINVAL, "%s: image %zu has class %d of %d", store, i,
                                s->cls[i], s->nclasses);
        if (s->file[i] < 0 || s->file[i] >= s->nfiles)
            return gt_error_set(err, GT_EINVAL, "%s: image %zu has file %d of %d", store, i,
                                s->file[i], s->nfiles);
    }
    return GT_OK;
}

/* n * k ints as int64 at path (dims n, or n x k when k > 1). */
static int write_ints(gt_h5 *f, const char *path, const int *v, size_t n, size_t k,
                      const char *store, gt_error *err)
{
    int64_t *w = malloc((n && k ? n * k : 1) * sizeof *w);
    if (!w)
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory", store);
    for (size_t i = 0; i < n * k; i++)
        w[i] = v[i];
    size_t dims[2] = {n, k};
    int rc = gt_h5_write_i64(f, path, w, k > 1 ? 2 : 1, dims, err);
    free(w);
    return rc;
}

int gt_store_add_images(gt_store *st, const gt_imageset *s, gt_error *err)
{
    if (!st || !s || !gt__store_writing(st))
        return gt_error_set(err, GT_EINVAL, "gt_store_add_images: invalid arguments");
    const char *store = gt_store_path(st);
    gt_h5 *f = gt__store_h5(st);
    if (gt_h5_exists(f, "images"))
        return gt_error_set(err, GT_EINVAL, "%s: the store already holds images", store);
    int rc = check_set(s, store, err);
    if (rc < 0)
        return rc;
    char *classes = gt_names_join(s->classes, s->nclasses);
    if (!classes)
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory", store);
    const size_t S = (size_t)s->size, n = s->n;
    size_t dims[4] = {n, (size_t)s->channels, S, S}, mdims[3] = {n, S, S};
    if ((rc = gt_h5_write_attr_double(f, "images", "size", s->size, err)) < 0 ||
        (rc = gt_h5_write_attr_double(f, "images", "channels", s->channels, err)) < 0 ||
        (rc = gt_h5_write_attr_str(f, "images", "fit", s->fit, err)) < 0 ||
        (rc = gt_h5_write_attr_str(f, "images", "classes", classes, err)) < 0 ||
        (rc = gt_h5_write_attr_str(f, "images", "source", s->source ? s->source : "", err)) < 0 ||
        (rc = gt__h5_write_u8_z(f, "images/pixels", s->pixels, 4, dims, 1, err)) < 0 ||
        (rc = write_ints(f, "images/class", s->cls, n, 1, store, err)) < 0 ||
        (rc = write_ints(f, "images/file", s->file, n, 1, store, err)) < 0 ||
        (rc = gt_h5_write_strs(f, "images/files", s->files, (size_t)s->nfiles, err)) < 0 ||
        (rc = write_ints(f, "images/origin", s->origin, n, 2, store, err)) < 0 ||
        (s->masks && (rc = gt__h5_write_u8_z(f, "images/masks", s->masks, 3, mdims, 1, err)) < 0))
        goto out;
    rc = GT_OK;
out:
    free(classes);
    return rc;
}

int gt_store_has_images(gt_store *st)
{
    return st && gt_h5_exists(gt__store_h5(st), "images");
}

/* --------------------------------------------------------------- reading */

/* A whole-number attribute of /images in [lo, hi]. */
static int read_int_attr(gt_h5 *f, const char *store, const char *name, int lo, int hi, int *v,
                         gt_error *err)
{
    double d;
    int rc = gt_h5_read_attr_double(f, "images", name, &d, err);
    if (rc < 0)
        return rc;
    if (!(d >= lo && d <= hi) || d != floor(d))
        return gt_error_set(err, GT_EFORMAT, "%s: /images has %s %g (not %d..%d)", store, name,
                            d, lo, hi);
    *v = (int)d;
    return GT_OK;
}

/* An int64 dataset of shape [n] (k = 1) or [n, k] with values in
 * [lo, hi], into a new int array. */
static int read_ints(gt_h5 *f, const char *store, const char *path, size_t n, size_t k, long lo,
                     long hi, int **out, gt_error *err)
{
    int64_t *v;
    size_t got, dims[8];
    int nd;
    *out = NULL;
    int rc = gt_h5_read_i64(f, path, &v, &got, &nd, dims, err);
    if (rc < 0)
        return rc;
    if (nd != (k > 1 ? 2 : 1) || dims[0] != n || (k > 1 && dims[1] != k)) {
        free(v);
        return gt_error_set(err, GT_EFORMAT, "%s: /%s has %zu values, the %zu images need %zu",
                            store, path, got, n, n * k);
    }
    int *w = malloc((n && k ? n * k : 1) * sizeof *w);
    for (size_t i = 0; w && i < n * k; i++) {
        if (v[i] < lo || v[i] > hi) {
            rc = gt_error_set(err, GT_EFORMAT, "%s: /%s[%zu] is %lld, outside %ld..%ld", store,
                              path, i / k, (long long)v[i], lo, hi);
            break;
        }
        w[i] = (int)v[i];
    }
    free(v);
    if (!w)
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory", store);
    if (rc < 0) {
        free(w);
        return rc;
    }
    *out = w;
    return GT_OK;
}

int gt_store_read_images(gt_store *st, gt_imageset **out, gt_error *err)
{
    *out = NULL;
    if (!st)
        return gt_error_set(err, GT_EINVAL, "gt_store_read_images: no store");
    const char *store = gt_store_path(st);
    gt_h5 *f = gt__store_h5(st);
    if (!gt_h5_exists(f, "images"))
        return gt_error_set(err, GT_EFORMAT, "%s: the store holds no images", store);
    int size, channels, rc;
    char *fit = NULL, *classes = NULL;
    if ((rc = read_int_attr(f, store, "size", 1, MAX_SIZE, &size, err)) < 0 ||
        (rc = read_int_attr(f, store, "channels", 1, 3, &channels, err)) < 0 ||
        (rc = gt_h5_read_attr_str(f, "images", "fit", &fit, err)) < 0 ||
        (rc = gt_h5_read_attr_str(f, "images", "classes", &classes, err)) < 0)
        goto out0;
    set_priv *p = set_alloc(size, channels, fit);
    if (!p) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: /images has %d channels and fit '%.16s' "
                          "(expected 1 or 3, and crop or tile)", store, channels, fit);
        goto out0;
    }
    gt_imageset *s = &p->pub;
    if (gt_h5_read_attr_str(f, "images", "source", &s->source, NULL) < 0 &&
        !(s->source = strdup(""))) {
        rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory", store);
        goto out;
    }
    if (*classes && gt_names_split(classes, &s->classes, &s->nclasses) < 0) {
        rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory", store);
        goto out;
    }
    size_t n, np, dims[8], nf;
    int nd;
    if ((rc = gt_h5_read_u8(f, "images/pixels", &s->pixels, &np, &nd, dims, err)) < 0)
        goto out;
    if (nd != 4 || dims[1] != (size_t)channels || dims[2] != (size_t)size ||
        dims[3] != (size_t)size) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: /images/pixels is not [N, %d, %d, %d] (size %d, "
                          "%d channels)", store, channels, size, size, size, channels);
        goto out;
    }
    n = dims[0];
    if ((rc = gt_h5_read_strs(f, "images/files", &s->files, &nf, err)) < 0)
        goto out;
    if (nf > INT32_MAX) {
        gt_h5_strs_free(s->files, nf);
        s->files = NULL;
        rc = gt_error_set(err, GT_EFORMAT, "%s: /images/files is too long", store);
        goto out;
    }
    s->nfiles = (int)nf;
    if ((rc = read_ints(f, store, "images/class", n, 1, -1, s->nclasses - 1, &s->cls, err)) < 0 ||
        (rc = read_ints(f, store, "images/file", n, 1, 0, (long)nf - 1, &s->file, err)) < 0 ||
        (rc = read_ints(f, store, "images/origin", n, 2, INT32_MIN, INT32_MAX, &s->origin,
                        err)) < 0)
        goto out;
    if (gt_h5_exists(f, "images/masks")) {
        size_t nm;
        if ((rc = gt_h5_read_u8(f, "images/masks", &s->masks, &nm, &nd, dims, err)) < 0)
            goto out;
        if (nd != 3 || dims[0] != n || dims[1] != (size_t)size || dims[2] != (size_t)size) {
            rc = gt_error_set(err, GT_EFORMAT, "%s: /images/masks is not [%zu, %d, %d] like the "
                              "images", store, n, size, size);
            goto out;
        }
        for (size_t i = 0; i < nm; i++)
            s->masks[i] = s->masks[i] != 0;
    }
    s->n = n;
    p->cap = n;
    p->ccap = s->nclasses;
    p->fcap = s->nfiles;
    *out = s;
    s = NULL;
out:
    gt_imageset_free(s);
out0:
    free(fit);
    free(classes);
    return rc;
}
