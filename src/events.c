/* Events: runs of flagged (or labelled) samples, and back to flags. */
#include <math.h>
#include <string.h>

#include "gantry/detect.h"

/* Store event k if there is room; returns k + 1. */
static size_t put(gt_event *ev, size_t cap, size_t k, size_t start, size_t end, double sev)
{
    if (k < cap)
        ev[k] = (gt_event){start, end, sev};
    return k + 1;
}

/* Peak excess over the threshold in [start, end); NaN when no finite one. */
static double severity(const float *score, const float *thr, size_t start, size_t end)
{
    double best = NAN;
    for (size_t i = start; score && i < end; i++) {
        double d = (double)score[i] - (thr ? (double)thr[i] : 0.0);
        if (!isnan(d) && (isnan(best) || d > best))
            best = d;
    }
    return best;
}

/* The next run of flags from *i: [*start, *i) on return; 0 when none. */
static int next_run(const uint8_t *flag, size_t n, size_t *i, size_t *start)
{
    while (*i < n && !flag[*i])
        ++*i;
    *start = *i;
    while (*i < n && flag[*i])
        ++*i;
    return *i > *start;
}

size_t gt_events_from_flags(const uint8_t *flag, const float *score, const float *thr, size_t n,
                            size_t min_gap, size_t min_len, gt_event *ev, size_t cap)
{
    size_t k = 0, cs = 0, ce = 0; /* the pending (merged) event [cs, ce) */
    int pending = 0;
    for (size_t i = 0, s; next_run(flag, n, &i, &s);) {
        if (pending && s - ce < min_gap) {
            ce = i;
            continue;
        }
        if (pending && ce - cs >= min_len)
            k = put(ev, cap, k, cs, ce, k < cap ? severity(score, thr, cs, ce) : 0);
        cs = s;
        ce = i;
        pending = 1;
    }
    if (pending && ce - cs >= min_len)
        k = put(ev, cap, k, cs, ce, k < cap ? severity(score, thr, cs, ce) : 0);
    return k;
}

size_t gt_events_from_labels(const uint8_t *label, size_t n, gt_event *ev, size_t cap)
{
    size_t k = gt_events_from_flags(label, NULL, NULL, n, 0, 1, ev, cap);
    for (size_t i = 0; i < k && i < cap; i++)
        ev[i].severity = 0;
    return k;
}

void gt_events_to_flags(const gt_event *ev, size_t nev, uint8_t *flag, size_t n)
{
    memset(flag, 0, n);
    for (size_t k = 0; k < nev; k++)
        for (size_t i = ev[k].start; i < ev[k].end && i < n; i++)
            flag[i] = 1;
}

void gt_flags_trim(uint8_t *flag, size_t n, size_t head, size_t tail)
{
    for (size_t i = 0, s; next_run(flag, n, &i, &s);) {
        /* the run [s, i) keeps [s + head, i - tail) */
        size_t len = i - s;
        size_t keep_lo = head < len ? s + head : i;
        size_t keep_hi = tail < len ? i - tail : s;
        for (size_t j = s; j < i; j++)
            flag[j] = j >= keep_lo && j < keep_hi;
    }
}
