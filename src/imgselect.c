/* Choosing images of a set by file, class by class (gt_imageset_select). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/imgstore.h"
#include "gantry/rng.h"

int gt_imageset_select(const gt_imageset *s, double lo, double hi, int per_class, uint64_t seed,
                       size_t **idx, size_t *n, gt_error *err)
{
    *idx = NULL;
    *n = 0;
    if (!(lo >= 0 && lo < hi && hi <= 1))
        return gt_error_set(err, GT_EINVAL, "a span must satisfy 0 <= start < end <= 1, not %g:%g",
                            lo, hi);
    if (per_class < 0)
        return gt_error_set(err, GT_EINVAL, "images per class must not be negative");
    int nf = s->nfiles, ng = s->nclasses + 1; /* group 0: no class */
    int *group = malloc((size_t)(nf > 0 ? nf : 1) * sizeof(int));    /* per file, -1: unused */
    int *order = malloc((size_t)(nf > 0 ? nf : 1) * sizeof(int));    /* files grouped */
    int *start = calloc((size_t)ng + 1, sizeof(int));
    char *keep = calloc((size_t)(nf > 0 ? nf : 1), 1);
    size_t *out = malloc((s->n > 0 ? s->n : 1) * sizeof(size_t));
    if (!group || !order || !start || !keep || !out) {
        free(group), free(order), free(start), free(keep), free(out);
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    }
    /* A file's group is the class of its first image; files in set order. */
    for (int f = 0; f < nf; f++)
        group[f] = -1;
    for (size_t i = 0; i < s->n; i++) {
        int f = s->file[i];
        if (f >= 0 && f < nf && group[f] < 0)
            group[f] = s->cls[i] + 1;
    }
    for (int f = 0; f < nf; f++)
        if (group[f] >= 0)
            start[group[f] + 1]++;
    for (int g = 0; g < ng; g++)
        start[g + 1] += start[g];
    int *fill = calloc((size_t)ng, sizeof(int));
    if (!fill) {
        free(group), free(order), free(start), free(keep), free(out);
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    }
    for (int f = 0; f < nf; f++)
        if (group[f] >= 0)
            order[start[group[f]] + fill[group[f]]++] = f;
    free(fill);
    gt_rng rng;
    gt_rng_seed(&rng, seed);
    for (int g = 0; g < ng; g++) {
        int *v = order + start[g], m = start[g + 1] - start[g];
        int a = (int)floor(lo * m), b = (int)floor(hi * m);
        if (hi >= 1)
            b = m;
        int k = b - a;
        if (per_class > 0 && per_class < k) {
            if (seed) /* partial Fisher-Yates: the first per_class of a shuffle */
                for (int i = 0; i < per_class; i++) {
                    int j = i + (int)(((unsigned __int128)gt_rng_next(&rng) * (uint64_t)(k - i)) >> 64);
                    int t = v[a + i];
                    v[a + i] = v[a + j];
                    v[a + j] = t;
                }
            k = per_class;
        }
        for (int i = 0; i < k; i++)
            keep[v[a + i]] = 1;
    }
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++) {
        int f = s->file[i];
        if (f >= 0 && f < nf && keep[f])
            out[m++] = i;
    }
    free(group), free(order), free(start), free(keep);
    *idx = out;
    *n = m;
    return GT_OK;
}
