/* Shared by gantry dcgan train, sample and score. */
#include <stdlib.h>
#include <string.h>

#include "dcgan_tool.h"

int images_open(const char *path, gt_imageset **out)
{
    gt_error err = {0};
    gt_store *st = NULL;
    *out = NULL;
    if (gt_store_open(&st, path, &err) < 0)
        return tool_fail_err(&err);
    int rc = 0;
    if (!gt_store_has_images(st))
        rc = tool_fail("%s holds no images (ingest image folders with gantry ingest)", path);
    else if (gt_store_read_images(st, out, &err) < 0)
        rc = tool_fail_err(&err);
    gt_store_close(st);
    return rc;
}

int images_check_classes(const gt_imageset *s, const char *store, const char *what,
                         const char *classes)
{
    const char *p = classes, *item;
    size_t len;
    while (tool_list_next(&p, &item, &len)) {
        int found = 0;
        for (int k = 0; k < s->nclasses && !found; k++)
            found = strlen(s->classes[k]) == len && !strncmp(s->classes[k], item, len);
        if (!found) {
            char *known = gt_names_join(s->classes, s->nclasses);
            tool_fail("%s%s has no class '%.*s' (it has %s)", what, store, (int)len, item,
                      known && *known ? known : "none");
            free(known);
            return 1;
        }
    }
    return 0;
}

int model_class(const gt_tsgan *t, const char *mpath, const char *name)
{
    int k = t->cfg.nclasses ? gt_names_list_index(t->classes, name) : -1;
    if (k < 0)
        tool_fail("%s has no class '%s' (%s%s)", mpath, name,
                  t->cfg.nclasses ? "it knows " : "it is unconditional",
                  t->cfg.nclasses ? t->classes : "");
    return k;
}

int images_choose(const gt_imageset *s, const char *store, double lo, double hi, int per_class,
                  uint64_t seed, const char *classes, size_t **idx, size_t *n)
{
    gt_error err = {0};
    if (classes && images_check_classes(s, store, "", classes))
        return 1;
    if (gt_imageset_select(s, lo, hi, per_class, seed, idx, n, &err) < 0)
        return tool_fail_err(&err);
    size_t m = 0;
    for (size_t i = 0; i < *n; i++) {
        int k = s->cls[(*idx)[i]];
        if (!classes || (k >= 0 && tool_list_has(classes, s->classes[k])))
            (*idx)[m++] = (*idx)[i];
    }
    *n = m;
    if (!m) {
        free(*idx);
        *idx = NULL;
        return tool_fail("%s: no images chosen (check --classes, --span and --per-class)", store);
    }
    return 0;
}

float *images_to_float(const gt_imageset *s, const size_t *idx, size_t n)
{
    size_t sz = (size_t)s->channels * (size_t)s->size * (size_t)s->size;
    float *x = malloc(n * sz * sizeof *x + 1);
    if (!x)
        return NULL;
    for (size_t i = 0; i < n; i++)
        gt_image_to_float(s->pixels + idx[i] * sz, sz, x + i * sz);
    return x;
}

int dcgan_generate(gt_tsgan *t, int cls, size_t n, gt_rng *rng, uint8_t *out)
{
    size_t sz = gt_tsgan_sample_size(&t->cfg), B = (size_t)t->cfg.batch;
    float *buf = malloc(B * sz * sizeof *buf);
    if (!buf)
        return GT_ENOMEM;
    int rc = GT_OK;
    for (size_t i = 0; i < n && rc == GT_OK; i += B) {
        int nb = (int)(n - i < B ? n - i : B);
        rc = gt_tsgan_generate(t, NULL, cls, nb, rng, buf);
        if (rc == GT_OK)
            gt_image_from_float(buf, (size_t)nb * sz, out + i * sz);
    }
    free(buf);
    return rc;
}

int write_grid(const uint8_t *pix, size_t n, int channels, int size, int cols, const char *path)
{
    gt_error err = {0};
    size_t sz = (size_t)channels * (size_t)size * (size_t)size;
    gt_image **v = calloc(n ? n : 1, sizeof *v);
    gt_image *grid = NULL;
    int rc = v ? 0 : tool_fail("out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        v[i] = gt_image_new(size, size, channels);
        if (!v[i])
            rc = tool_fail("out of memory");
        else
            memcpy(v[i]->pix, pix + i * sz, sz);
    }
    if (!rc && gt_image_grid(v, (int)n, cols, 2, 255, &grid, &err) < 0)
        rc = tool_fail_err(&err);
    if (!rc && gt_image_write_png(grid, path, &err) < 0)
        rc = tool_fail_err(&err);
    gt_image_free(grid);
    if (v)
        gt_image_list_free(v, (int)n);
    return rc;
}
