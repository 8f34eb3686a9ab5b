/*
 * Thresholds: scores to per-sample flags.  FIXED and QUANTILE compare every
 * score with one value; DYNAMIC is Orion's find_anomalies
 * (orion/primitives/timeseries_anomalies.py), the nonparametric dynamic
 * thresholding of Hundman et al. 2018, "Detecting Spacecraft Anomalies Using
 * LSTMs and Nonparametric Dynamic Thresholding" (KDD): sliding windows, each
 * with a threshold mean + z * std (z fixed, or searched to minimise
 * Hundman's cost), runs above it padded, then pruned when their peak is not
 * clearly above the next lower one.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/detect.h"

/* The z grid searched when cfg z is 0: 2.0, 2.5 ... 10.0. */
#define Z_LO 2.0
#define Z_STEP 0.5
#define Z_COUNT 17

static const char forms[] = "fixed:V, quantile:Q, quantile:QxF, dynamic, dynamic:Z or "
                            "dynamic:Z:WINDOW:STEP";

gt_thresh_cfg gt_thresh_default(gt_thresh_kind kind)
{
    gt_thresh_cfg c = {
        .kind = kind,
        .value = kind == GT_THRESH_QUANTILE ? 0.99 : 0,
        .factor = 1,
        .window = 0.33,
        .step = 0.1,
        .z = 4,
        .min_percent = 0.1,
        .padding = 50,
    };
    return c;
}

/* ---- parsing ---------------------------------------------------------------- */

/* A plain decimal number filling s[0..len): digits, sign, point, exponent
 * (no hex, inf or nan, which strtod would take). */
static int parse_num(const char *s, size_t len, double *v)
{
    char tmp[64];
    if (len == 0 || len >= sizeof tmp)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)s[i]) && !strchr("+-.eE", s[i]))
            return 0;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    char *end;
    *v = strtod(tmp, &end);
    return *end == 0 && isfinite(*v);
}

/* Split s at ':' into at most `max` fields; returns the count (max + 1 when
 * there are more). */
static int split(const char *s, const char **f, size_t *len, int max)
{
    int n = 0;
    for (;;) {
        const char *c = strchr(s, ':');
        if (n == max)
            return max + 1;
        f[n] = s;
        len[n] = c ? (size_t)(c - s) : strlen(s);
        n++;
        if (!c)
            return n;
        s = c + 1;
    }
}

int gt_thresh_parse(const char *s, gt_thresh_cfg *c, gt_error *err)
{
    const char *f[5];
    size_t len[5];
    int nf = s ? split(s, f, len, 4) : 0;
    double v[3] = {0, 0, 0};
    if (nf >= 1 && len[0] == 5 && !strncmp(f[0], "fixed", 5)) {
        if (nf == 2 && parse_num(f[1], len[1], &v[0])) {
            *c = gt_thresh_default(GT_THRESH_FIXED);
            c->value = v[0];
            return GT_OK;
        }
    } else if (nf >= 1 && len[0] == 8 && !strncmp(f[0], "quantile", 8)) {
        if (nf == 2) {
            const char *x = memchr(f[1], 'x', len[1]);
            size_t lq = x ? (size_t)(x - f[1]) : len[1];
            v[1] = 1;
            if (parse_num(f[1], lq, &v[0]) && v[0] >= 0 && v[0] <= 1 &&
                (!x || (parse_num(x + 1, len[1] - lq - 1, &v[1]) && v[1] > 0))) {
                *c = gt_thresh_default(GT_THRESH_QUANTILE);
                c->value = v[0];
                c->factor = v[1];
                return GT_OK;
            }
        }
    } else if (nf >= 1 && len[0] == 7 && !strncmp(f[0], "dynamic", 7)) {
        gt_thresh_cfg d = gt_thresh_default(GT_THRESH_DYNAMIC);
        int ok = nf == 1 || nf == 2 || nf == 4;
        for (int i = 1; i < nf && ok; i++)
            ok = parse_num(f[i], len[i], &v[i - 1]) && (i == 1 ? v[0] >= 0 : v[i - 1] > 0);
        if (ok) {
            if (nf >= 2)
                d.z = v[0];
            if (nf == 4) {
                d.window = v[1];
                d.step = v[2];
            }
            *c = d;
            return GT_OK;
        }
    }
    return gt_error_set(err, GT_EINVAL,
                        "threshold '%s' not understood: expected %s (Q a quantile in [0, 1], "
                        "F a factor > 0, Z >= 0 with 0 searching z, WINDOW and STEP > 0: "
                        "fractions when <= 1, else samples)",
                        s ? s : "(null)", forms);
}

/* The shortest %g text of v that reads back exactly. */
static void fmt_num(char *buf, size_t cap, double v)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

void gt_thresh_format(const gt_thresh_cfg *c, char *buf, size_t cap)
{
    char a[32], b[32], d[32];
    if (!cap)
        return;
    gt_thresh_cfg def = gt_thresh_default(GT_THRESH_DYNAMIC);
    switch (c->kind) {
    case GT_THRESH_FIXED:
        fmt_num(a, sizeof a, c->value);
        snprintf(buf, cap, "fixed:%s", a);
        break;
    case GT_THRESH_QUANTILE:
        fmt_num(a, sizeof a, c->value);
        fmt_num(b, sizeof b, c->factor);
        snprintf(buf, cap, "quantile:%s%s%s", a, c->factor == 1 ? "" : "x",
                 c->factor == 1 ? "" : b);
        break;
    case GT_THRESH_DYNAMIC:
        fmt_num(a, sizeof a, c->z);
        fmt_num(b, sizeof b, c->window);
        fmt_num(d, sizeof d, c->step);
        if (c->window == def.window && c->step == def.step)
            snprintf(buf, cap, c->z == def.z ? "dynamic" : "dynamic:%s", a);
        else
            snprintf(buf, cap, "dynamic:%s:%s:%s", a, b, d);
        break;
    default:
        snprintf(buf, cap, "?");
    }
}

/* ---- quantile --------------------------------------------------------------- */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

double gt_quantile(const float *x, size_t n, double q)
{
    if (!(q >= 0 && q <= 1))
        return NAN;
    float *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return NAN;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            v[m++] = x[i];
    double r = NAN;
    if (m) {
        qsort(v, m, sizeof *v, cmp_float);
        /* numpy's "linear": virtual index q (m - 1), lerp from the nearer end */
        double h = q * (double)(m - 1);
        size_t lo = (size_t)floor(h);
        if (lo >= m - 1) {
            r = v[m - 1];
        } else {
            double t = h - (double)lo, a = v[lo], b = v[lo + 1];
            r = t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
        }
    }
    free(v);
    return r;
}

/* ---- dynamic (Orion's find_anomalies) --------------------------------------- */

typedef struct run {
    size_t start, end; /* in the window */
    double max;
} run;

typedef struct peak {
    double max;
    size_t run;
} peak;

typedef struct scratch {
    uint8_t *mask; /* padded above-threshold samples of the window */
    run *runs;
    peak *order;
} scratch;

/* Mean and population standard deviation (numpy's std) of the finite
 * values among x[0..n) that are <= below (all when below is +inf);
 * returns how many. */
static size_t mean_std(const float *x, size_t n, double below, double *mean, double *sd)
{
    double s = 0;
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]) && x[i] <= below) {
            s += x[i];
            cnt++;
        }
    if (!cnt) {
        *mean = *sd = NAN;
        return 0;
    }
    double m = s / (double)cnt, s2 = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]) && x[i] <= below)
            s2 += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = sqrt(s2 / (double)cnt);
    return cnt;
}

/* Hundman's cost of threshold eps (Orion's z_cost): lower is better. */
static double z_cost(const float *x, size_t n, double eps, double mean, double sd)
{
    size_t above = 0, runs = 0;
    for (size_t i = 0; i < n; i++)
        if (x[i] > eps) { /* NaN is never above */
            above++;
            runs += i == 0 || !(x[i - 1] > eps);
        }
    double denom = (double)above + (double)runs * (double)runs;
    if (denom == 0)
        return INFINITY;
    double bm, bs, dm = 0, ds = 0;
    if (mean_std(x, n, eps, &bm, &bs)) {
        dm = mean - bm;
        ds = sd - bs;
    }
    return -(dm / mean + ds / sd) / denom;
}

static double window_threshold(const float *x, size_t n, double z, double mean, double sd)
{
    if (z > 0)
        return mean + z * sd;
    double best_z = Z_LO, best = INFINITY;
    for (int k = 0; k < Z_COUNT; k++) {
        double zk = Z_LO + Z_STEP * k, cost = z_cost(x, n, mean + zk * sd, mean, sd);
        if (cost < best) { /* NaN never wins */
            best = cost;
            best_z = zk;
        }
    }
    return mean + best_z * sd;
}

/* Descending peaks, ties in time order. */
static int cmp_peak_desc(const void *a, const void *b)
{
    const peak *p = a, *q = b;
    if (p->max != q->max)
        return p->max < q->max ? 1 : -1;
    return (p->run > q->run) - (p->run < q->run);
}

/* One window x[0..n): flags of its kept runs into flag, its threshold
 * returned (NaN when it has no finite score). */
static double dynamic_window(const gt_thresh_cfg *c, const float *x, size_t n, scratch *s,
                             uint8_t *flag)
{
    double mean, sd;
    if (!mean_std(x, n, INFINITY, &mean, &sd))
        return NAN;
    const double eps = window_threshold(x, n, c->z, mean, sd);
    const size_t pad = c->padding;

    /* padded mask: within pad samples of an above-threshold one */
    size_t last = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        if (x[i] > eps)
            last = i;
        s->mask[i] = last != (size_t)-1 && i - last <= pad;
    }
    last = (size_t)-1;
    for (size_t i = n; i-- > 0;) {
        if (x[i] > eps)
            last = i;
        s->mask[i] |= last != (size_t)-1 && last - i <= pad;
    }

    /* runs of the mask (touching padded runs are one), their peaks, and the
     * largest error left outside them */
    size_t nr = 0;
    double max_below = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!s->mask[i]) {
            if (isfinite(x[i]) && x[i] > max_below)
                max_below = x[i];
            continue;
        }
        if (i == 0 || !s->mask[i - 1]) {
            s->runs[nr].start = i;
            s->runs[nr].max = -INFINITY;
            nr++;
        }
        run *r = &s->runs[nr - 1];
        r->end = i + 1;
        if (!isnan(x[i]) && x[i] > r->max) /* +inf counts: such a run is kept */
            r->max = x[i];
    }
    if (!nr)
        return eps;
    if (max_below == -INFINITY)
        max_below = 0; /* Orion: everything anomalous */

    /* Hundman's pruning: peaks in descending order, then max_below; keep
     * the runs up to the last step down of at least min_percent */
    for (size_t k = 0; k < nr; k++)
        s->order[k] = (peak){s->runs[k].max, k};
    qsort(s->order, nr, sizeof *s->order, cmp_peak_desc);
    size_t keep = 0;
    for (size_t k = 0; k < nr; k++) {
        double hi = s->order[k].max, lo = k + 1 < nr ? s->order[k + 1].max : max_below;
        double change = (hi - lo) / hi;
        if (!(change < c->min_percent)) /* as pandas: NaN is not too small */
            keep = k + 1;
    }
    for (size_t k = 0; k < keep; k++) {
        const run *r = &s->runs[s->order[k].run];
        for (size_t i = r->start; i < r->end; i++)
            flag[i] |= !isnan(x[i]);
    }
    return eps;
}

static size_t dyn_len(double v, double of)
{
    double len = v <= 1 ? ceil(of * v) : ceil(v);
    return len < 1 ? 1 : (size_t)len;
}

static int thresh_dynamic(const gt_thresh_cfg *c, const float *score, size_t n, uint8_t *flag,
                          float *thr, gt_error *err)
{
    if (!(c->window > 0) || !(c->step > 0) || !(c->z >= 0) || !isfinite(c->window) ||
        !isfinite(c->step) || !isfinite(c->z) || !(c->min_percent >= 0))
        return gt_error_set(err, GT_EINVAL,
                            "dynamic threshold: window and step must be > 0, z and min_percent "
                            ">= 0 (window %g, step %g, z %g, min_percent %g)",
                            c->window, c->step, c->z, c->min_percent);
    memset(flag, 0, n);
    for (size_t i = 0; thr && i < n; i++)
        thr[i] = NAN;
    if (!n)
        return GT_OK;
    /* Orion: window_size = ceil(n * window_size_portion), the step
     * ceil(window_size * window_step_size_portion) */
    size_t wsize = dyn_len(c->window, (double)n), step = dyn_len(c->step, (double)wsize);
    if (wsize > n)
        wsize = n;
    scratch s = {0};
    s.mask = malloc(wsize);
    s.runs = malloc((wsize / 2 + 1) * sizeof *s.runs);
    s.order = malloc((wsize / 2 + 1) * sizeof *s.order);
    int rc = GT_OK;
    if (!s.mask || !s.runs || !s.order) {
        rc = gt_error_set(err, GT_ENOMEM, "dynamic threshold: out of memory (window of %zu)",
                          wsize);
    } else {
        for (size_t ws = 0; ws < n; ws += step) {
            size_t we = ws + wsize < n ? ws + wsize : n;
            double t = dynamic_window(c, score + ws, we - ws, &s, flag + ws);
            for (size_t i = ws; thr && i < we && !isnan(t); i++)
                if (isnan(thr[i]) || t < thr[i])
                    thr[i] = (float)t;
            if (ws + wsize >= n) /* Orion: while window_end < len(errors) */
                break;
        }
    }
    free(s.mask);
    free(s.runs);
    free(s.order);
    return rc;
}

/* ---- apply ------------------------------------------------------------------ */

int gt_thresh_apply(const gt_thresh_cfg *c, const float *score, size_t n, const float *ref,
                    size_t nref, uint8_t *flag, float *thr, gt_error *err)
{
    if (!c || !flag || (n && !score))
        return gt_error_set(err, GT_EINVAL, "threshold: no configuration, scores or flags");
    double t;
    switch (c->kind) {
    case GT_THRESH_FIXED:
        if (isnan(c->value))
            return gt_error_set(err, GT_EINVAL, "fixed threshold: the value is NaN");
        t = c->value;
        break;
    case GT_THRESH_QUANTILE:
        if (!(c->value >= 0 && c->value <= 1) || !(c->factor > 0) || !isfinite(c->factor))
            return gt_error_set(err, GT_EINVAL,
                                "quantile threshold: q must be in [0, 1] and the factor > 0 "
                                "(q %g, factor %g)", c->value, c->factor);
        t = ref ? gt_quantile(ref, nref, c->value) : NAN;
        if (isnan(t))
            return gt_error_set(err, GT_EINVAL,
                                "quantile threshold: no reference scores (%zu given, none "
                                "finite or out of memory)", ref ? nref : 0);
        t *= c->factor;
        break;
    case GT_THRESH_DYNAMIC:
        return thresh_dynamic(c, score, n, flag, thr, err);
    default:
        return gt_error_set(err, GT_EINVAL, "threshold: unknown kind %d", (int)c->kind);
    }
    for (size_t i = 0; i < n; i++) {
        flag[i] = score[i] > t; /* NaN never */
        if (thr)
            thr[i] = (float)t;
    }
    return GT_OK;
}
