/*
 * Metrics of flags, events and scores against labelled truth: Orion's
 * overlap-segment and weighted-segment counts (orion.evaluation.contextual),
 * SKAB's point-wise counts with FAR and MAR, AUROC, detection delays.
 */
#include <math.h>
#include <stdlib.h>

#include "gantry/detect.h"

/* ---- overlap segment -------------------------------------------------------- */

static int nonempty(const gt_event *e)
{
    return e->start < e->end;
}

static int overlaps(const gt_event *a, const gt_event *b)
{
    return nonempty(a) && nonempty(b) && a->start < b->end && b->start < a->end;
}

/* How many events of a share a sample with some event of b.  Linear when a
 * is in order of end and b in order of start (runs of flags are), else
 * every pair is tried. */
static size_t count_hit(const gt_event *a, size_t na, const gt_event *b, size_t nb)
{
    int sorted = 1;
    for (size_t i = 1; i < na && sorted; i++)
        sorted = a[i - 1].end <= a[i].end;
    for (size_t j = 1; j < nb && sorted; j++)
        sorted = b[j - 1].start <= b[j].start;
    size_t hit = 0;
    if (sorted) {
        /* max_end: the latest end among the non-empty b events starting
         * before a[i].end; one of them overlaps a[i] iff it passes a[i].start */
        size_t j = 0, max_end = 0;
        int any = 0;
        for (size_t i = 0; i < na; i++) {
            for (; j < nb && b[j].start < a[i].end; j++)
                if (nonempty(&b[j]) && (!any || b[j].end > max_end)) {
                    max_end = b[j].end;
                    any = 1;
                }
            hit += nonempty(&a[i]) && any && max_end > a[i].start;
        }
        return hit;
    }
    for (size_t i = 0; i < na; i++) {
        int found = 0;
        for (size_t j = 0; j < nb && !found; j++)
            found = overlaps(&a[i], &b[j]);
        hit += found;
    }
    return hit;
}

void gt_overlap_segment(const gt_event *truth, size_t nt, const gt_event *pred, size_t np,
                        gt_counts *acc)
{
    /* Orion's _overlap_segment: a true event overlapped by any detected one
     * is one tp (however many overlap it), else one fn; a detected event
     * overlapping no true one is one fp. */
    size_t tp = count_hit(truth, nt, pred, np), found = count_hit(pred, np, truth, nt);
    acc->tp += (double)tp;
    acc->fn += (double)(nt - tp);
    acc->fp += (double)(np - found);
}

/* ---- weighted segment ------------------------------------------------------- */

typedef struct edge {
    size_t pos;
    int delta; /* +1 start, -1 end */
    int pred;  /* 0 truth, 1 prediction */
} edge;

static int cmp_edge(const void *a, const void *b)
{
    size_t x = ((const edge *)a)->pos, y = ((const edge *)b)->pos;
    return (x > y) - (x < y);
}

static void add_piece(gt_counts *acc, int in_truth, int in_pred, double len)
{
    if (in_truth && in_pred)
        acc->tp += len;
    else if (in_pred)
        acc->fp += len;
    else if (in_truth)
        acc->fn += len;
    else
        acc->tn += len;
}

static int covered(const gt_event *ev, size_t nev, size_t i)
{
    for (size_t k = 0; k < nev; k++)
        if (ev[k].start <= i && i < ev[k].end)
            return 1;
    return 0;
}

void gt_weighted_segment(const gt_event *truth, size_t nt, const gt_event *pred, size_t np,
                         size_t n, gt_counts *acc)
{
    /* Orion's _weighted_segment over _contextual_partition: the timeline
     * [0, n) cut at every event boundary; each piece's length counted by
     * whether it lies in a true and in a detected event.  Swept over the
     * sorted boundaries with a depth per list. */
    edge *e = malloc(2 * (nt + np + 1) * sizeof *e);
    if (!e) { /* no room to sort: the same counts sample by sample */
        for (size_t i = 0; i < n; i++)
            add_piece(acc, covered(truth, nt, i), covered(pred, np, i), 1);
        return;
    }
    size_t m = 0;
    for (size_t k = 0; k < nt + np; k++) {
        const gt_event *ev = k < nt ? &truth[k] : &pred[k - nt];
        size_t s = ev->start < n ? ev->start : n, t = ev->end < n ? ev->end : n;
        if (s < t) {
            e[m++] = (edge){s, +1, k >= nt};
            e[m++] = (edge){t, -1, k >= nt};
        }
    }
    qsort(e, m, sizeof *e, cmp_edge);
    size_t prev = 0;
    long depth[2] = {0, 0};
    for (size_t k = 0; k < m;) {
        size_t pos = e[k].pos;
        add_piece(acc, depth[0] > 0, depth[1] > 0, (double)(pos - prev));
        for (; k < m && e[k].pos == pos; k++)
            depth[e[k].pred] += e[k].delta;
        prev = pos;
    }
    add_piece(acc, 0, 0, (double)(n - prev));
    free(e);
}

/* ---- point-wise ------------------------------------------------------------- */

void gt_pointwise(const uint8_t *truth, const uint8_t *pred, size_t n, gt_counts *acc)
{
    size_t c[4] = {0, 0, 0, 0}; /* index 2 * truth + pred: tn, fp, fn, tp */
    for (size_t i = 0; i < n; i++)
        c[2 * (truth[i] != 0) + (pred[i] != 0)]++;
    acc->tn += (double)c[0];
    acc->fp += (double)c[1];
    acc->fn += (double)c[2];
    acc->tp += (double)c[3];
}

static double ratio(double a, double b, double undefined)
{
    return b > 0 ? a / b : undefined;
}

double gt_precision(const gt_counts *c)
{
    return ratio(c->tp, c->tp + c->fp, 0);
}

double gt_recall(const gt_counts *c)
{
    return ratio(c->tp, c->tp + c->fn, 0);
}

double gt_f1(const gt_counts *c)
{
    return ratio(2 * c->tp, 2 * c->tp + c->fp + c->fn, 0);
}

double gt_far(const gt_counts *c)
{
    return ratio(c->fp, c->fp + c->tn, NAN);
}

double gt_mar(const gt_counts *c)
{
    return ratio(c->fn, c->fn + c->tp, NAN);
}

/* ---- AUROC ------------------------------------------------------------------ */

typedef struct scored {
    float s;
    uint8_t pos;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    float x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x > y) - (x < y);
}

double gt_auroc(const float *score, const uint8_t *label, size_t n)
{
    scored *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return NAN;
    size_t m = 0;
    double npos = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(score[i])) {
            v[m++] = (scored){score[i], label[i] != 0};
            npos += label[i] != 0;
        }
    double nneg = (double)m - npos, rank_sum = 0;
    qsort(v, m, sizeof *v, cmp_scored);
    /* Mann-Whitney: ranks 1..m, tied scores share their mean rank */
    for (size_t i = 0; i < m;) {
        size_t j = i;
        double pos = 0;
        for (; j < m && v[j].s == v[i].s; j++)
            pos += v[j].pos;
        rank_sum += pos * 0.5 * (double)(i + 1 + j);
        i = j;
    }
    free(v);
    if (npos == 0 || nneg == 0)
        return NAN;
    return (rank_sum - npos * (npos + 1) / 2) / (npos * nneg);
}

/* ---- detection delay -------------------------------------------------------- */

size_t gt_detection_delays(const gt_event *truth, size_t nt, const uint8_t *pred, size_t n,
                           long *delay)
{
    size_t found = 0;
    for (size_t k = 0; k < nt; k++) {
        delay[k] = -1;
        for (size_t i = truth[k].start; i < truth[k].end && i < n; i++)
            if (pred[i]) {
                delay[k] = (long)(i - truth[k].start);
                found++;
                break;
            }
    }
    return found;
}
