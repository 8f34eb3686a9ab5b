/* Normalisation: fit a center and a scale, apply and undo them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/features.h"

static const char *const norm_names[] = {"none", "zscore", "robust", "minmax"};

const char *gt_norm_name(gt_norm_method m)
{
    if ((unsigned)m >= sizeof norm_names / sizeof norm_names[0])
        return "?";
    return norm_names[m];
}

int gt_norm_parse(const char *s, gt_norm_method *m, gt_error *err)
{
    for (size_t i = 0; s && i < sizeof norm_names / sizeof norm_names[0]; i++)
        if (strcmp(s, norm_names[i]) == 0) {
            *m = (gt_norm_method)i;
            return GT_OK;
        }
    return gt_error_set(err, GT_EINVAL,
                        "unknown normalisation '%s' (none, zscore, robust, minmax)",
                        s ? s : "(null)");
}

static int usable(const float *x, const uint8_t *skip, size_t i)
{
    return isfinite(x[i]) && !(skip && skip[i]);
}

/* The k-th smallest of a[0..n) (0-based), partially reordering a so that
 * a[k] holds it, everything before is <= and everything after >= it.
 * Quickselect with a median-of-three pivot and Hoare partitioning. */
static float select_kth(float *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        /* order a[lo] <= a[mid] <= a[hi] */
        if (a[mid] < a[lo]) {
            float t = a[mid]; a[mid] = a[lo]; a[lo] = t;
        }
        if (a[hi] < a[lo]) {
            float t = a[hi]; a[hi] = a[lo]; a[lo] = t;
        }
        if (a[hi] < a[mid]) {
            float t = a[hi]; a[hi] = a[mid]; a[mid] = t;
        }
        const float pivot = a[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                float t = a[i]; a[i] = a[j]; a[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        /* now a[lo..j] <= pivot <= a[i..hi], and j < i */
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return a[k];
    }
    return a[k];
}

/* numpy's default ('linear') quantile q of a[0..n), n >= 1; reorders a. */
static double quantile(float *a, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t i = (size_t)floor(pos);
    if (i >= n - 1)
        return select_kth(a, n, n - 1);
    double frac = pos - (double)i;
    double lo = select_kth(a, n, i);
    /* the next order statistic is the smallest of what lies above a[i] */
    float next = a[i + 1];
    for (size_t j = i + 2; j < n; j++)
        if (a[j] < next)
            next = a[j];
    return lo + frac * ((double)next - lo);
}

int gt_norm_fit(gt_norm_method m, const float *x, size_t n, const uint8_t *skip,
                float *center, float *scale, gt_error *err)
{
    if ((unsigned)m > GT_NORM_MINMAX)
        return gt_error_set(err, GT_EINVAL, "unknown normalisation method %d", (int)m);
    size_t cnt = 0;
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (usable(x, skip, i)) {
            cnt++;
            sum += x[i];
            if (x[i] < lo)
                lo = x[i];
            if (x[i] > hi)
                hi = x[i];
        }
    if (cnt == 0)
        return gt_error_set(err, GT_EINVAL,
                            "cannot fit %s normalisation: none of the %zu samples is usable "
                            "(all NaN, infinite or skipped)",
                            gt_norm_name(m), n);
    double c = 0, s = 1;
    switch (m) {
    case GT_NORM_NONE:
        break;
    case GT_NORM_ZSCORE: {
        c = sum / (double)cnt;
        double ss = 0;
        for (size_t i = 0; i < n; i++)
            if (usable(x, skip, i)) {
                double d = x[i] - c;
                ss += d * d;
            }
        s = sqrt(ss / (double)cnt);
        break;
    }
    case GT_NORM_ROBUST: {
        float *a = malloc(cnt * sizeof *a);
        if (!a)
            return gt_error_set(err, GT_ENOMEM,
                                "out of memory copying %zu samples for a robust fit", cnt);
        size_t j = 0;
        for (size_t i = 0; i < n; i++)
            if (usable(x, skip, i))
                a[j++] = x[i];
        c = quantile(a, cnt, 0.5);
        double q1 = quantile(a, cnt, 0.25), q3 = quantile(a, cnt, 0.75);
        free(a);
        s = (q3 - q1) / 1.349;
        break;
    }
    case GT_NORM_MINMAX:
        c = 0.5 * (lo + hi);
        s = 0.5 * (hi - lo);
        break;
    }
    /* A constant signal (or one whose spread rounds to nothing in float)
     * keeps its scale. */
    if (!((float)s > 0) || !isfinite((float)s))
        s = 1;
    *center = (float)c;
    *scale = (float)s;
    return GT_OK;
}

void gt_norm_apply(float *x, size_t n, float center, float scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (x[i] - center) / scale;
}

void gt_norm_undo(float *x, size_t n, float center, float scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] * scale + center;
}
