/* Tables onto a regular time grid, and tables appended to tables. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv_internal.h"
#include "gantry/csv.h"
#include "gantry/store.h"

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* A reading that counts: GOOD, UNCERTAIN (or INTERP from an earlier
 * resampling) with a finite value. */
static int usable(uint8_t q, float v)
{
    return q <= GT_Q_INTERP && isfinite(v);
}

#define MAX_GRID ((size_t)1 << 27) /* 134M points */

int gt_table_resample(gt_table *t, int64_t step_ns, gt_resample_method m, int64_t max_gap_ns,
                      gt_error *err)
{
    if (!t)
        return gt_error_set(err, GT_EINVAL, "resample: no table");
    if (!t->time_ns)
        return gt_error_set(err, GT_EINVAL, "resample: the table has no time column");
    if (step_ns <= 0)
        return gt_error_set(err, GT_EINVAL, "resample: step %lld ns is not positive",
                            (long long)step_ns);
    if (max_gap_ns < 0)
        return gt_error_set(err, GT_EINVAL, "resample: max gap %lld ns is negative",
                            (long long)max_gap_ns);
    if (m != GT_RESAMPLE_HOLD && m != GT_RESAMPLE_LINEAR && m != GT_RESAMPLE_MEAN)
        return gt_error_set(err, GT_EINVAL, "resample: unknown method %d", (int)m);
    const size_t n = t->nrows;
    if (n == 0)
        return GT_OK;
    const int64_t *tm = t->time_ns;
    for (size_t i = 1; i < n; i++)
        if (tm[i] <= tm[i - 1])
            return gt_error_set(err, GT_EINVAL, "resample: times not increasing at row %zu", i);
    if (tm[0] < INT64_MIN + step_ns)
        return gt_error_set(err, GT_EINVAL, "resample: times out of range");
    const int64_t g0 = floor_div(tm[0], step_ns) * step_ns;
    const int64_t gl = floor_div(tm[n - 1], step_ns) * step_ns;
    const uint64_t span = (uint64_t)gl - (uint64_t)g0;
    if (span / (uint64_t)step_ns >= MAX_GRID) {
        char a[48], b[48];
        gt_time_format_iso(tm[0], a, sizeof a);
        gt_time_format_iso(tm[n - 1], b, sizeof b);
        return gt_error_set(err, GT_EINVAL,
                            "resample: a step of %lld ns from %s to %s makes more than %zu "
                            "points",
                            (long long)step_ns, a, b, MAX_GRID);
    }
    const size_t G = (size_t)(span / (uint64_t)step_ns) + 1;
    const size_t nc = (size_t)t->ncols, nl = (size_t)t->nlabels;
    size_t *bs = malloc((G + 1) * sizeof *bs);
    int64_t *gt = malloc(G * sizeof *gt);
    float *nv = malloc((nc * G > 0 ? nc * G : 1) * sizeof *nv);
    uint8_t *nq = malloc(nc * G > 0 ? nc * G : 1);
    uint8_t *nlb = nl ? malloc(nl * G) : NULL;
    if (!bs || !gt || !nv || !nq || (nl && !nlb)) {
        free(bs);
        free(gt);
        free(nv);
        free(nq);
        free(nlb);
        return gt_error_set(err, GT_ENOMEM, "resample: out of memory for %zu points", G);
    }
    /* bin k holds rows [bs[k], bs[k+1]) */
    size_t r = 0;
    for (size_t k = 0; k < G; k++) {
        gt[k] = g0 + (int64_t)k * step_ns;
        while (r < n && tm[r] < gt[k])
            r++;
        bs[k] = r;
    }
    bs[G] = n;
#pragma omp parallel for schedule(dynamic, 1) if (nc > 1 && n * nc > 100000)
    for (size_t c = 0; c < nc; c++) {
        const float *v = t->values + c * n;
        const uint8_t *q = t->quality + c * n;
        float *ov = nv + c * G;
        uint8_t *oq = nq + c * G;
        size_t pg = n; /* last usable row before the bin (n: none) */
        size_t nx = 0; /* first usable row at or after the bin's end (n: none) */
        for (size_t k = 0; k < G; k++) {
            const size_t a = bs[k], b = bs[k + 1];
            const int64_t tk = gt[k];
            size_t cnt = 0, last = n, firstg = n;
            double sum = 0;
            uint8_t worst = GT_Q_GOOD;
            int anybad = 0;
            for (size_t i = a; i < b; i++) {
                if (usable(q[i], v[i])) {
                    if (firstg == n)
                        firstg = i;
                    last = i;
                    cnt++;
                    sum += v[i];
                    worst = q[i] > worst ? q[i] : worst;
                } else if (q[i] == GT_Q_BAD) {
                    anybad = 1;
                }
            }
            if (nx < b)
                nx = b;
            while (nx < n && !usable(q[nx], v[nx]))
                nx++;
            float val;
            uint8_t qq;
            if (cnt) {
                qq = worst;
                if (m == GT_RESAMPLE_HOLD) {
                    val = v[last];
                } else if (m == GT_RESAMPLE_MEAN) {
                    val = (float)(sum / (double)cnt);
                } else if (tm[firstg] == tk || pg == n) {
                    val = v[firstg];
                } else {
                    double f = (double)(tk - tm[pg]) / (double)(tm[firstg] - tm[pg]);
                    val = (float)((double)v[pg] + f * ((double)v[firstg] - (double)v[pg]));
                }
            } else {
                int have = 0;
                val = NAN;
                if (m == GT_RESAMPLE_LINEAR && pg < n && nx < n) {
                    double f = (double)(tk - tm[pg]) / (double)(tm[nx] - tm[pg]);
                    val = (float)((double)v[pg] + f * ((double)v[nx] - (double)v[pg]));
                    have = 1;
                } else if (pg < n) {
                    val = v[pg];
                    have = 1;
                }
                if (have && max_gap_ns > 0) {
                    uint64_t d1 = pg < n ? (uint64_t)tk - (uint64_t)tm[pg] : UINT64_MAX;
                    uint64_t d2 = nx < n ? (uint64_t)tm[nx] - (uint64_t)tk : UINT64_MAX;
                    if ((d1 < d2 ? d1 : d2) > (uint64_t)max_gap_ns)
                        have = 0;
                }
                if (!have) {
                    val = NAN;
                    qq = GT_Q_MISSING;
                } else {
                    qq = anybad ? GT_Q_BAD : GT_Q_INTERP;
                }
            }
            ov[k] = val;
            oq[k] = qq;
            if (cnt)
                pg = last;
        }
    }
    for (size_t l = 0; l < nl; l++) {
        const uint8_t *lb = t->labels + l * n;
        uint8_t *o = nlb + l * G;
        uint8_t held = 0;
        for (size_t k = 0; k < G; k++) {
            if (bs[k] == bs[k + 1]) {
                o[k] = held;
                continue;
            }
            uint8_t mx = 0;
            for (size_t i = bs[k]; i < bs[k + 1]; i++)
                mx = lb[i] > mx ? lb[i] : mx;
            o[k] = mx;
            held = lb[bs[k + 1] - 1];
        }
    }
    free(bs);
    free(t->time_ns);
    free(t->values);
    free(t->quality);
    free(t->labels);
    t->time_ns = gt;
    t->values = nv;
    t->quality = nq;
    t->labels = nlb;
    t->nrows = G;
    return GT_OK;
}

int gt_table_append(gt_table *a, const gt_table *b, size_t *overlap, int64_t *ov_first,
                    int64_t *ov_last, gt_error *err)
{
    if (overlap)
        *overlap = 0;
    if (!a || !b)
        return gt_error_set(err, GT_EINVAL, "append: no table");
    if (!a->time_ns != !b->time_ns)
        return gt_error_set(err, GT_EINVAL, "append: one table has a time column and the "
                                            "other has not");
    int *cmap = malloc(((size_t)b->ncols + 1) * sizeof *cmap);
    int *lmap = malloc(((size_t)b->nlabels + 1) * sizeof *lmap);
    if (!cmap || !lmap) {
        free(cmap);
        free(lmap);
        return gt_error_set(err, GT_ENOMEM, "append: out of memory");
    }
    int rc = GT_OK;
    for (int j = 0; j < b->ncols && rc == GT_OK; j++) {
        cmap[j] = -1;
        for (int i = 0; i < a->ncols; i++)
            if (strcmp(a->names[i], b->names[j]) == 0)
                cmap[j] = i;
        if (cmap[j] < 0)
            rc = gt_error_set(err, GT_ESHAPE,
                              "append: column '%s' is new (the table so far has %d columns)",
                              b->names[j], a->ncols);
    }
    for (int j = 0; j < b->nlabels && rc == GT_OK; j++) {
        lmap[j] = -1;
        for (int i = 0; i < a->nlabels; i++)
            if (strcmp(a->label_names[i], b->label_names[j]) == 0)
                lmap[j] = i;
        if (lmap[j] < 0)
            rc = gt_error_set(err, GT_ESHAPE, "append: label track '%s' is new",
                              b->label_names[j]);
    }
    /* rows of b to keep */
    size_t keep = 0, ov = 0;
    int64_t prev = 0;
    int have_prev = a->time_ns && a->nrows > 0;
    if (have_prev)
        prev = a->time_ns[a->nrows - 1];
    const int64_t alast = prev;
    for (size_t r = 0; r < b->nrows && rc == GT_OK; r++) {
        if (!b->time_ns) {
            keep++;
            continue;
        }
        int64_t x = b->time_ns[r];
        if (a->nrows > 0 && x <= alast) {
            if (ov == 0 && ov_first)
                *ov_first = x;
            if (ov_last)
                *ov_last = x;
            ov++;
            continue;
        }
        if (have_prev && x <= prev) {
            char s1[48];
            gt_time_format_iso(x, s1, sizeof s1);
            rc = gt_error_set(err, GT_EINVAL,
                              "append: row %zu (%s) of the appended table is out of time order",
                              r, s1);
            break;
        }
        prev = x;
        have_prev = 1;
        keep++;
    }
    if (rc != GT_OK) {
        free(cmap);
        free(lmap);
        return rc;
    }
    const size_t na = a->nrows, n = na + keep, nc = (size_t)a->ncols, nl = (size_t)a->nlabels;
    int64_t *tm = a->time_ns ? malloc((n ? n : 1) * sizeof *tm) : NULL;
    float *v = malloc((nc * n > 0 ? nc * n : 1) * sizeof *v);
    uint8_t *q = malloc(nc * n > 0 ? nc * n : 1);
    uint8_t *lb = nl ? calloc(nl * n > 0 ? nl * n : 1, 1) : NULL;
    if ((a->time_ns && !tm) || !v || !q || (nl && !lb)) {
        free(tm);
        free(v);
        free(q);
        free(lb);
        free(cmap);
        free(lmap);
        return gt_error_set(err, GT_ENOMEM, "append: out of memory");
    }
    for (size_t c = 0; c < nc; c++) {
        if (na) {
            memcpy(v + c * n, a->values + c * na, na * sizeof *v);
            memcpy(q + c * n, a->quality + c * na, na);
        }
        for (size_t r = na; r < n; r++) {
            v[c * n + r] = NAN;
            q[c * n + r] = GT_Q_MISSING;
        }
    }
    for (size_t l = 0; l < nl; l++)
        if (na)
            memcpy(lb + l * n, a->labels + l * na, na);
    size_t o = na;
    for (size_t r = 0; r < b->nrows; r++) {
        if (b->time_ns && na > 0 && b->time_ns[r] <= alast)
            continue;
        if (tm)
            tm[o] = b->time_ns[r];
        for (int j = 0; j < b->ncols; j++) {
            v[(size_t)cmap[j] * n + o] = b->values[(size_t)j * b->nrows + r];
            q[(size_t)cmap[j] * n + o] = b->quality[(size_t)j * b->nrows + r];
        }
        for (int j = 0; j < b->nlabels; j++)
            lb[(size_t)lmap[j] * n + o] = b->labels[(size_t)j * b->nrows + r];
        o++;
    }
    if (tm && na)
        memcpy(tm, a->time_ns, na * sizeof *tm);
    free(cmap);
    free(lmap);
    free(a->time_ns);
    free(a->values);
    free(a->quality);
    free(a->labels);
    a->time_ns = tm;
    a->values = v;
    a->quality = q;
    a->labels = lb;
    a->nrows = n;
    a->lines += b->lines;
    if (b->skipped && !a->skipped)
        memcpy(a->first_skip, b->first_skip, sizeof a->first_skip);
    a->skipped += b->skipped;
    if (overlap)
        *overlap = ov;
    return GT_OK;
}
