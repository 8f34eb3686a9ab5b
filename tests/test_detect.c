/* Thresholds, events and metrics: hand-computed cases, brute-force
 * equivalents on random data, Orion's dynamic threshold on signals whose
 * answer is known, parsing round trips. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/detect.h"
#include "gantry/rng.h"
#include "testutil.h"

#define EV(s, e) ((gt_event){(s), (e), 0})

static void assert_counts(const gt_counts *c, double tp, double fp, double fn, double tn,
                          const char *what)
{
    ck_assert_msg(c->tp == tp && c->fp == fp && c->fn == fn && c->tn == tn,
                  "%s: got tp %g fp %g fn %g tn %g, want %g %g %g %g", what, c->tp, c->fp, c->fn,
                  c->tn, tp, fp, fn, tn);
}

/* ---- overlap segment -------------------------------------------------------- */

START_TEST(overlap_segment_hand_cases)
{
    /* One long prediction covering two true events: both found, no fp. */
    gt_event t2[] = {EV(10, 20), EV(30, 40)}, p1[] = {EV(5, 45)};
    gt_counts c = {0};
    gt_overlap_segment(t2, 2, p1, 1, &c);
    assert_counts(&c, 2, 0, 0, 0, "one prediction over two truths");

    /* Two predictions inside one true event: one tp, neither is an fp. */
    gt_event t1[] = {EV(10, 30)}, p2[] = {EV(12, 15), EV(20, 25)};
    c = (gt_counts){0};
    gt_overlap_segment(t1, 1, p2, 2, &c);
    assert_counts(&c, 1, 0, 0, 0, "two predictions on one truth");

    /* Disjoint: the truth is missed, the prediction a false alarm. */
    gt_event p3[] = {EV(50, 60)};
    c = (gt_counts){0};
    gt_overlap_segment(t1, 1, p3, 1, &c);
    assert_counts(&c, 0, 1, 1, 0, "disjoint");

    /* [0, 5) and [5, 8) share no sample. */
    gt_event a[] = {EV(0, 5)}, b[] = {EV(5, 8)};
    c = (gt_counts){0};
    gt_overlap_segment(a, 1, b, 1, &c);
    assert_counts(&c, 0, 1, 1, 0, "adjacent");
    /* ... but [0, 6) and [5, 8) share sample 5. */
    a[0].end = 6;
    c = (gt_counts){0};
    gt_overlap_segment(a, 1, b, 1, &c);
    assert_counts(&c, 1, 0, 0, 0, "one shared sample");

    /* Mixed, and counts are added into the accumulator. */
    gt_event t3[] = {EV(0, 10), EV(20, 30), EV(40, 50)};
    gt_event p4[] = {EV(5, 8), EV(9, 21), EV(32, 38), EV(60, 61)};
    gt_overlap_segment(t3, 3, p4, 4, &c);
    assert_counts(&c, 1 + 2, 0 + 2, 0 + 1, 0, "mixed, accumulated");

    /* Unordered lists give the same counts as ordered ones. */
    gt_event t3r[] = {EV(40, 50), EV(0, 10), EV(20, 30)};
    gt_event p4r[] = {EV(60, 61), EV(9, 21), EV(5, 8), EV(32, 38)};
    c = (gt_counts){0};
    gt_overlap_segment(t3r, 3, p4r, 4, &c);
    assert_counts(&c, 2, 2, 1, 0, "unordered");

    /* Nothing predicted; nothing true. */
    c = (gt_counts){0};
    gt_overlap_segment(t3, 3, NULL, 0, &c);
    gt_overlap_segment(NULL, 0, p4, 4, &c);
    assert_counts(&c, 0, 4, 3, 0, "empty lists");
}
END_TEST

/* Random events: runs of random flags (sorted), or random intervals that may
 * overlap each other and come in any order. */
static size_t random_events(gt_rng *g, size_t n, gt_event *ev, size_t cap, int messy)
{
    size_t k = 0;
    if (messy) {
        size_t m = gt_rng_next(g) % cap;
        for (; k < m; k++) {
            size_t s = gt_rng_next(g) % n, len = 1 + gt_rng_next(g) % 20;
            ev[k] = EV(s, s + len); /* may run past n */
        }
        return k;
    }
    uint8_t *f = malloc(n);
    ck_assert_ptr_nonnull(f);
    int on = 0;
    for (size_t i = 0; i < n; i++) {
        if (gt_rng_next(g) % 10 == 0)
            on = !on;
        f[i] = (uint8_t)on;
    }
    k = gt_events_from_flags(f, NULL, NULL, n, 0, 1, ev, cap);
    free(f);
    return k < cap ? k : cap;
}

static int brute_overlap(const gt_event *a, const gt_event *b)
{
    for (size_t i = a->start; i < a->end; i++)
        if (i >= b->start && i < b->end)
            return 1;
    return 0;
}

START_TEST(overlap_segment_matches_brute_force)
{
    gt_rng g;
    gt_rng_seed(&g, 17);
    gt_event t[64], p[64];
    for (int rep = 0; rep < 200; rep++) {
        size_t n = 50 + gt_rng_next(&g) % 200;
        size_t nt = random_events(&g, n, t, 64, rep % 3 == 1);
        size_t np = random_events(&g, n, p, 64, rep % 3 == 2);
        double tp = 0, fp = 0;
        for (size_t i = 0; i < nt; i++) {
            int hit = 0;
            for (size_t j = 0; j < np; j++)
                hit |= brute_overlap(&t[i], &p[j]);
            tp += hit;
        }
        for (size_t j = 0; j < np; j++) {
            int hit = 0;
            for (size_t i = 0; i < nt; i++)
                hit |= brute_overlap(&p[j], &t[i]);
            fp += !hit;
        }
        gt_counts c = {0};
        gt_overlap_segment(t, nt, p, np, &c);
        assert_counts(&c, tp, fp, (double)nt - tp, 0, "random");
    }
}
END_TEST

/* ---- weighted segment and point-wise ---------------------------------------- */

START_TEST(weighted_segment_equals_pointwise)
{
    /* Hand case: truth [2, 6), prediction [4, 9) in 10 samples:
     * tp 4,5; fp 6,7,8; fn 2,3; tn 0,1,9. */
    gt_event t[] = {EV(2, 6)}, p[] = {EV(4, 9)};
    gt_counts c = {0};
    gt_weighted_segment(t, 1, p, 1, 10, &c);
    assert_counts(&c, 2, 3, 2, 3, "weighted hand case");

    gt_rng g;
    gt_rng_seed(&g, 3);
    gt_event te[64], pe[64];
    for (int rep = 0; rep < 200; rep++) {
        size_t n = 30 + gt_rng_next(&g) % 300;
        size_t nt = random_events(&g, n, te, 64, rep % 2);
        size_t np = random_events(&g, n, pe, 64, rep % 3 == 0);
        uint8_t *tf = malloc(n), *pf = malloc(n);
        ck_assert(tf && pf);
        gt_events_to_flags(te, nt, tf, n);
        gt_events_to_flags(pe, np, pf, n);
        gt_counts w = {0}, pw = {0};
        gt_weighted_segment(te, nt, pe, np, n, &w);
        gt_pointwise(tf, pf, n, &pw);
        assert_counts(&w, pw.tp, pw.fp, pw.fn, pw.tn, "weighted vs point-wise");
        ck_assert(pw.tp + pw.fp + pw.fn + pw.tn == (double)n);
        free(tf);
        free(pf);
    }
}
END_TEST

START_TEST(ratios_on_a_hand_case)
{
    /* truth 1 1 1 1 0 0 0 0 0 0, pred 1 1 0 0 1 0 0 0 0 0:
     * tp 2, fn 2, fp 1, tn 5. */
    uint8_t t[10] = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0}, p[10] = {1, 1, 0, 0, 1, 0, 0, 0, 0, 0};
    gt_counts c = {0};
    gt_pointwise(t, p, 10, &c);
    assert_counts(&c, 2, 1, 2, 5, "point-wise");
    ck_assert_double_eq_tol(gt_precision(&c), 2.0 / 3, 1e-12);
    ck_assert_double_eq_tol(gt_recall(&c), 0.5, 1e-12);
    ck_assert_double_eq_tol(gt_f1(&c), 2 * (2.0 / 3) * 0.5 / (2.0 / 3 + 0.5), 1e-12);
    ck_assert_double_eq_tol(gt_far(&c), 1.0 / 6, 1e-12);
    ck_assert_double_eq_tol(gt_mar(&c), 0.5, 1e-12);
    /* Undefined: sklearn's zero_division=0 for P/R/F1, NaN for the rates. */
    gt_counts z = {0};
    ck_assert(gt_precision(&z) == 0 && gt_recall(&z) == 0 && gt_f1(&z) == 0);
    ck_assert(isnan(gt_far(&z)) && isnan(gt_mar(&z)));
    gt_counts only_fp = {0, 3, 0, 0};
    ck_assert(gt_precision(&only_fp) == 0 && gt_f1(&only_fp) == 0 && gt_far(&only_fp) == 1);
}
END_TEST

/* ---- AUROC ------------------------------------------------------------------ */

START_TEST(auroc_hand_and_brute_force)
{
    float s[6] = {0.1f, 0.2f, 0.3f, 0.7f, 0.8f, 0.9f};
    uint8_t up[6] = {0, 0, 0, 1, 1, 1}, down[6] = {1, 1, 1, 0, 0, 0};
    ck_assert_double_eq_tol(gt_auroc(s, up, 6), 1.0, 1e-12);
    ck_assert_double_eq_tol(gt_auroc(s, down, 6), 0.0, 1e-12);
    float same[6] = {2, 2, 2, 2, 2, 2};
    ck_assert_double_eq_tol(gt_auroc(same, up, 6), 0.5, 1e-12);
    /* One tie between a positive and a negative counts half:
     * scores neg {1, 2}, pos {2, 3}: pairs (2>1)(2=2)(3>1)(3>2) = 3.5 / 4. */
    float t[4] = {1, 2, 2, 3};
    uint8_t l[4] = {0, 0, 1, 1};
    ck_assert_double_eq_tol(gt_auroc(t, l, 4), 3.5 / 4, 1e-12);
    /* NaN left out; a class missing gives NaN. */
    float tn[5] = {1, NAN, 2, 2, 3};
    uint8_t ln[5] = {0, 1, 0, 1, 1};
    ck_assert_double_eq_tol(gt_auroc(tn, ln, 5), 3.5 / 4, 1e-12);
    ck_assert(isnan(gt_auroc(s, up, 3)));
    ck_assert(isnan(gt_auroc(s, up, 0)));

    gt_rng g;
    gt_rng_seed(&g, 99);
    for (int rep = 0; rep < 50; rep++) {
        size_t n = 20 + gt_rng_next(&g) % 200;
        float *x = gtt_falloc(n);
        uint8_t *lab = malloc(n);
        ck_assert_ptr_nonnull(lab);
        for (size_t i = 0; i < n; i++) {
            lab[i] = gt_rng_next(&g) % 3 == 0;
            /* few distinct values: many ties; positives a little higher */
            x[i] = (float)(gt_rng_next(&g) % 7 + lab[i] * (gt_rng_next(&g) % 3));
            if (gt_rng_next(&g) % 17 == 0)
                x[i] = NAN;
        }
        double wins = 0, pairs = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (lab[i] && !lab[j] && !isnan(x[i]) && !isnan(x[j])) {
                    wins += x[i] > x[j] ? 1 : x[i] == x[j] ? 0.5 : 0;
                    pairs++;
                }
        double a = gt_auroc(x, lab, n);
        if (pairs == 0)
            ck_assert(isnan(a));
        else
            ck_assert_msg(fabs(a - wins / pairs) < 1e-12, "rep %d: %.15g vs %.15g", rep, a,
                          wins / pairs);
        free(x);
        free(lab);
    }
}
END_TEST

/* ---- quantile and fixed thresholds ------------------------------------------ */

START_TEST(quantile_and_fixed)
{
    float x[4] = {4, 1, 3, 2};
    /* numpy.quantile([1, 2, 3, 4], q): index q * 3 interpolated */
    ck_assert_double_eq_tol(gt_quantile(x, 4, 0.5), 2.5, 1e-12);
    ck_assert_double_eq_tol(gt_quantile(x, 4, 0.25), 1.75, 1e-12);
    ck_assert_double_eq_tol(gt_quantile(x, 4, 0.9), 3.7, 1e-12);
    ck_assert(gt_quantile(x, 4, 0) == 1);
    ck_assert(gt_quantile(x, 4, 1) == 4);
    float y[5] = {0, NAN, 10, 20, 30};
    ck_assert_double_eq_tol(gt_quantile(y, 5, 1.0 / 3), 10, 1e-9);
    ck_assert_double_eq_tol(gt_quantile(y, 5, 0.5), 15, 1e-12);
    float one = 7;
    ck_assert(gt_quantile(&one, 1, 0.3) == 7);
    float nan1 = NAN;
    ck_assert(isnan(gt_quantile(&nan1, 1, 0.5)));
    ck_assert(isnan(gt_quantile(x, 0, 0.5)));
    ck_assert(isnan(gt_quantile(x, 4, 1.5)));

    /* quantile:0.5x2 of ref {1,2,3,4} is 5: flags scores above 5 */
    gt_error err = {0};
    gt_thresh_cfg c = gt_thresh_default(GT_THRESH_QUANTILE);
    c.value = 0.5;
    c.factor = 2;
    float s[5] = {4.9f, 5.0f, 5.1f, NAN, 100};
    uint8_t f[5];
    float thr[5];
    ck_assert_msg(gt_thresh_apply(&c, s, 5, x, 4, f, thr, &err) == GT_OK, "%s", err.msg);
    uint8_t want[5] = {0, 0, 1, 0, 1};
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(f[i], want[i]);
        ck_assert_float_eq(thr[i], 5.0f);
    }
    ck_assert_int_eq(gt_thresh_apply(&c, s, 5, NULL, 0, f, thr, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "reference") != NULL, "%s", err.msg);
    ck_assert_int_eq(gt_thresh_apply(&c, s, 5, &nan1, 1, f, thr, &err), GT_EINVAL);

    c = gt_thresh_default(GT_THRESH_FIXED);
    c.value = 5;
    ck_assert_int_eq(gt_thresh_apply(&c, s, 5, NULL, 0, f, NULL, &err), GT_OK);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(f[i], want[i]);
}
END_TEST

/* ---- dynamic threshold ------------------------------------------------------ */

/* Mean and population standard deviation (numpy's std), in double. */
static void pop_stats(const float *x, size_t n, double *mean, double *sd)
{
    double m = 0, v = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = sqrt(v / (double)n);
}

/* Noise uniform in [0.9, 1.1]. */
static float *flat(size_t n, uint64_t seed)
{
    float *x = gtt_falloc(n);
    gt_rng g;
    gt_rng_seed(&g, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = 0.9f + 0.2f * gt_rng_uniform(&g);
    return x;
}

/* flag must be 1 exactly on the given [start, end) ranges. */
static void assert_flags(const uint8_t *f, size_t n, const gt_event *want, size_t nw,
                         const char *what)
{
    uint8_t *w = malloc(n);
    ck_assert_ptr_nonnull(w);
    gt_events_to_flags(want, nw, w, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(f[i] == w[i], "%s: sample %zu flagged %d, want %d", what, i, f[i], w[i]);
    free(w);
}

START_TEST(dynamic_flags_spikes_with_padding)
{
    const size_t n = 1000;
    float *x = flat(n, 1);
    x[300] = 10;
    x[700] = 12;
    x[1] = 11; /* padding clamped at the start */
    uint8_t *f = malloc(n);
    float *thr = gtt_falloc(n);
    ck_assert_ptr_nonnull(f);
    gt_error err = {0};
    gt_event want[] = {EV(0, 7), EV(295, 306), EV(695, 706)};

    /* One window over everything, z = 4: the threshold is mean + 4 std
     * (population std, as numpy's) of the whole signal. */
    gt_thresh_cfg c = gt_thresh_default(GT_THRESH_DYNAMIC);
    c.window = 1;
    c.step = 1;
    c.padding = 5;
    ck_assert_msg(gt_thresh_apply(&c, x, n, NULL, 0, f, thr, &err) == GT_OK, "%s", err.msg);
    assert_flags(f, n, want, 3, "one window");
    double m, sd;
    pop_stats(x, n, &m, &sd);
    float t = (float)(m + 4 * sd);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabsf(thr[i] - t) < 1e-5f * t, "thr[%zu] %g want %g", i, thr[i], t);

    /* Orion's defaults (window 0.33 of n, step 0.1 of the window): windows
     * without a spike flag nothing (their noise never passes mean + 4 std),
     * windows with one flag it. */
    c.window = 0.33;
    c.step = 0.1;
    ck_assert_msg(gt_thresh_apply(&c, x, n, NULL, 0, f, thr, &err) == GT_OK, "%s", err.msg);
    assert_flags(f, n, want, 3, "sliding windows");
    /* Spike-free windows have lower thresholds: the lowest applies. */
    ck_assert_msg(thr[500] < 1.3f && thr[300] < t, "thr %g %g", thr[500], thr[300]);
    /* Windows and steps in samples: the same. */
    c.window = 330;
    c.step = 33;
    ck_assert_msg(gt_thresh_apply(&c, x, n, NULL, 0, f, NULL, &err) == GT_OK, "%s", err.msg);
    assert_flags(f, n, want, 3, "windows in samples");

    /* z searched by Hundman's cost: the same spikes. */
    c.z = 0;
    ck_assert_msg(gt_thresh_apply(&c, x, n, NULL, 0, f, thr, &err) == GT_OK, "%s", err.msg);
    assert_flags(f, n, want, 3, "z searched");

    /* NaN scores are never flagged, even inside a padded run. */
    x[302] = NAN;
    c.z = 4;
    ck_assert_msg(gt_thresh_apply(&c, x, n, NULL, 0, f, NULL, &err) == GT_OK, "%s", err.msg);
    ck_assert(f[301] && !f[302] && f[303]);

    /* An infinite score is flagged (and left out of the statistics). */
    x[302] = 1;
    x[500] = INFINITY;
    ck_assert_msg(gt_thresh_apply(&c, x, n, NULL, 0, f, NULL, &err) == GT_OK, "%s", err.msg);
    ck_assert(f[495] && f[500] && f[505] && !f[494] && !f[506]);

    /* Bad configurations. */
    c.window = 0;
    ck_assert_int_eq(gt_thresh_apply(&c, x, n, NULL, 0, f, NULL, &err), GT_EINVAL);
    c.window = 0.3;
    c.z = -1;
    ck_assert_int_eq(gt_thresh_apply(&c, x, n, NULL, 0, f, NULL, &err), GT_EINVAL);
    free(x);
    free(f);
    free(thr);
}
END_TEST

/* The z that puts one window's threshold mean + z std at `target`. */
static double z_for(const float *x, size_t n, double target)
{
    double m, sd;
    pop_stats(x, n, &m, &sd);
    return (target - m) / sd;
}

START_TEST(dynamic_pruning_drops_a_small_bump)
{
    /* Constant 1 with a huge spike (1000 at 300), a bump just over the
     * threshold (5.2 at 700) and the largest error below it (5.0 at 500).
     * With the threshold at 5.1 both the spike and the bump are runs; the
     * peaks in order are 1000, 5.2, then 5.0 below: 1 - 5.2/1000 >= 0.1 but
     * 1 - 5.0/5.2 = 0.038 < 0.1, so only the spike is kept. */
    const size_t n = 1000;
    float *x = gtt_falloc(n);
    gtt_fill_const(x, n, 1);
    x[300] = 1000;
    x[500] = 5.0f;
    x[700] = 5.2f;
    uint8_t *f = malloc(n);
    ck_assert_ptr_nonnull(f);
    gt_error err = {0};
    gt_thresh_cfg c = gt_thresh_default(GT_THRESH_DYNAMIC);
    c.window = 1;
    c.step = 1;
    c.padding = 3;
    c.z = z_for(x, n, 5.1);
    ck_assert_msg(gt_thresh_apply(&c, x, n, NULL, 0, f, NULL, &err) == GT_OK, "%s", err.msg);
    gt_event spike[] = {EV(297, 304)}, both[] = {EV(297, 304), EV(697, 704)};
    assert_flags(f, n, spike, 1, "pruned");
    /* A smaller min_percent keeps the bump. */
    c.min_percent = 0.01;
    ck_assert_msg(gt_thresh_apply(&c, x, n, NULL, 0, f, NULL, &err) == GT_OK, "%s", err.msg);
    assert_flags(f, n, both, 2, "min_percent 0.01");
    /* Without the spike the bump alone is not clear of 5.0: nothing kept. */
    x[300] = 1;
    c.min_percent = 0.1;
    c.z = z_for(x, n, 5.1);
    ck_assert_msg(gt_thresh_apply(&c, x, n, NULL, 0, f, NULL, &err) == GT_OK, "%s", err.msg);
    assert_flags(f, n, NULL, 0, "bump alone");
    /* Padding wide enough to swallow 5.0 into the bump's run: the next
     * error below is 1, the bump stands clear and is kept. */
    c.padding = 200;
    ck_assert_msg(gt_thresh_apply(&c, x, n, NULL, 0, f, NULL, &err) == GT_OK, "%s", err.msg);
    gt_event wide[] = {EV(500, 901)};
    assert_flags(f, n, wide, 1, "wide padding");
    free(x);
    free(f);
}
END_TEST

/* A fixture's float32 copy of a short decimal (0.33f) back to that decimal. */
static double decimal(float v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.7g", v);
    return strtod(buf, NULL);
}

/* Against tests/reference/detect_ref.py: Orion's find_anomalies step by
 * step in pandas, on noise with bumps (z fixed and searched) and on
 * exponential noise where pruning drops most runs. */
START_TEST(dynamic_matches_orion_reference)
{
    gtt_fixture *fx = gtt_fixture_load("detect_dynamic");
    const char *cases[] = {"dyn_fixed", "dyn_search", "dyn_prune"};
    for (int k = 0; k < 3; k++) {
        char name[64];
        size_t n, nf, nt, nc;
        snprintf(name, sizeof name, "%s_x", cases[k]);
        const float *x = gtt_fixture_get(fx, name, &n);
        snprintf(name, sizeof name, "%s_flag", cases[k]);
        const float *want = gtt_fixture_get(fx, name, &nf);
        snprintf(name, sizeof name, "%s_thr", cases[k]);
        const float *want_thr = gtt_fixture_get(fx, name, &nt);
        snprintf(name, sizeof name, "%s_cfg", cases[k]);
        const float *cfg = gtt_fixture_get(fx, name, &nc);
        ck_assert(nf == n && nt == n && nc == 5);
        gt_thresh_cfg c = gt_thresh_default(GT_THRESH_DYNAMIC);
        c.z = decimal(cfg[0]);
        c.window = decimal(cfg[1]);
        c.step = decimal(cfg[2]);
        c.min_percent = decimal(cfg[3]);
        c.padding = (size_t)cfg[4];
        uint8_t *f = malloc(n);
        float *thr = gtt_falloc(n);
        ck_assert_ptr_nonnull(f);
        gt_error err = {0};
        ck_assert_msg(gt_thresh_apply(&c, x, n, NULL, 0, f, thr, &err) == GT_OK, "%s", err.msg);
        size_t flagged = 0;
        for (size_t i = 0; i < n; i++) {
            ck_assert_msg(f[i] == (want[i] != 0), "%s: sample %zu flagged %d", cases[k], i, f[i]);
            flagged += f[i];
        }
        ck_assert_msg(flagged > 0 && flagged < n / 2, "%s: %zu flagged", cases[k], flagged);
        gtt_assert_close(thr, want_thr, n, 1e-5, 1e-5, cases[k]);
        free(f);
        free(thr);
    }
    gtt_fixture_free(fx);
}
END_TEST

/* ---- parsing ---------------------------------------------------------------- */

START_TEST(parse_round_trips_and_rejects)
{
    gt_error err = {0};
    gt_thresh_cfg c, d;
    char buf[128];
    ck_assert_int_eq(gt_thresh_parse("fixed:0.5", &c, &err), GT_OK);
    ck_assert(c.kind == GT_THRESH_FIXED && c.value == 0.5);
    ck_assert_int_eq(gt_thresh_parse("quantile:0.99", &c, &err), GT_OK);
    ck_assert(c.kind == GT_THRESH_QUANTILE && c.value == 0.99 && c.factor == 1);
    ck_assert_int_eq(gt_thresh_parse("quantile:0.99x1.5", &c, &err), GT_OK);
    ck_assert(c.value == 0.99 && c.factor == 1.5);
    ck_assert_int_eq(gt_thresh_parse("dynamic", &c, &err), GT_OK);
    ck_assert(c.kind == GT_THRESH_DYNAMIC && c.z == 4 && c.window == 0.33 && c.step == 0.1 &&
              c.min_percent == 0.1 && c.padding == 50);
    ck_assert_int_eq(gt_thresh_parse("dynamic:0", &c, &err), GT_OK);
    ck_assert(c.z == 0 && c.window == 0.33);
    ck_assert_int_eq(gt_thresh_parse("dynamic:3.5:500:50", &c, &err), GT_OK);
    ck_assert(c.z == 3.5 && c.window == 500 && c.step == 50);

    const char *good[] = {"fixed:0.5",         "fixed:-2e-3",        "quantile:0.99",
                          "quantile:0.99x1.5", "quantile:1",         "dynamic",
                          "dynamic:0",         "dynamic:2.5",        "dynamic:4:0.5:0.25",
                          "dynamic:4:1000:1",  "fixed:0.1",          "quantile:0.3x0.7"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ck_assert_msg(gt_thresh_parse(good[i], &c, &err) == GT_OK, "%s: %s", good[i], err.msg);
        gt_thresh_format(&c, buf, sizeof buf);
        ck_assert_msg(gt_thresh_parse(buf, &d, &err) == GT_OK, "%s -> %s: %s", good[i], buf,
                      err.msg);
        ck_assert_msg(c.kind == d.kind && c.value == d.value && c.factor == d.factor &&
                          c.z == d.z && c.window == d.window && c.step == d.step,
                      "%s -> %s reads back differently", good[i], buf);
    }
    /* The canonical text of the plain forms is the form itself. */
    gt_thresh_parse("quantile:0.99x1.5", &c, &err);
    gt_thresh_format(&c, buf, sizeof buf);
    ck_assert_str_eq(buf, "quantile:0.99x1.5");
    gt_thresh_parse("dynamic", &c, &err);
    gt_thresh_format(&c, buf, sizeof buf);
    ck_assert_str_eq(buf, "dynamic");

    const char *bad[] = {"",           "fixed",         "fixed:",         "fixed:abc",
                         "fixed:nan",  "fixed:inf",     "fixed:1:2",      "fixed:0x10",
                         "quantile:",  "quantile:1.5",  "quantile:-0.1",  "quantile:0.9x",
                         "quantile:0.9x0", "quantile:0.5x2x3", "quantile:x2", "dynamic:",
                         "dynamic:-1", "dynamic:4:0.3", "dynamic:4:0:0.1", "dynamic:4:0.3:0",
                         "dynamic:4:0.3:0.1:9", "Dynamic", "bogus:1", "fixed :1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = 0;
        ck_assert_msg(gt_thresh_parse(bad[i], &c, &err) == GT_EINVAL, "'%s' accepted", bad[i]);
        ck_assert_msg(strstr(err.msg, "fixed:V") && strstr(err.msg, "quantile:QxF") &&
                          strstr(err.msg, "dynamic:Z:WINDOW:STEP"),
                      "'%s': %s", bad[i], err.msg);
    }
    ck_assert_int_eq(gt_thresh_parse(NULL, &c, &err), GT_EINVAL);
}
END_TEST

/* ---- events ----------------------------------------------------------------- */

START_TEST(events_merge_len_and_severity)
{
    /*               0  1  2  3  4  5  6  7  8  9 10 11 */
    uint8_t f[12] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1};
    float s[12] = {0, 3, 5, 0, 0, 4, 0, 0, 0, 2, 9, NAN};
    float t[12] = {1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 3, 1};
    gt_event ev[8];
    /* runs [1,3), [5,6), [9,12) */
    ck_assert_uint_eq(gt_events_from_flags(f, s, t, 12, 0, 1, NULL, 0), 3);
    ck_assert_uint_eq(gt_events_from_flags(f, s, t, 12, 0, 1, ev, 8), 3);
    ck_assert(ev[0].start == 1 && ev[0].end == 3 && ev[1].start == 5 && ev[1].end == 6 &&
              ev[2].start == 9 && ev[2].end == 12);
    /* severity: max(score - thr): [1,3): max(2, 3) = 3; [5,6): 3;
     * [9,12): max(1, 6) = 6 (the NaN left out) */
    ck_assert(ev[0].severity == 3 && ev[1].severity == 3 && ev[2].severity == 6);
    /* thr NULL: the peak score */
    gt_events_from_flags(f, s, NULL, 12, 0, 1, ev, 8);
    ck_assert(ev[0].severity == 5 && ev[1].severity == 4 && ev[2].severity == 9);
    /* min_gap 3: the gap of 2 (samples 3, 4) merges, the gap of 3 does not */
    ck_assert_uint_eq(gt_events_from_flags(f, s, t, 12, 3, 1, ev, 8), 2);
    ck_assert(ev[0].start == 1 && ev[0].end == 6 && ev[0].severity == 3);
    ck_assert(ev[1].start == 9 && ev[1].end == 12);
    /* min_gap 4: everything one event */
    ck_assert_uint_eq(gt_events_from_flags(f, s, t, 12, 4, 1, ev, 8), 1);
    ck_assert(ev[0].start == 1 && ev[0].end == 12 && ev[0].severity == 6);
    /* min_len 2 drops the single sample; min_len 3 keeps only [9, 12) */
    ck_assert_uint_eq(gt_events_from_flags(f, s, t, 12, 0, 2, ev, 8), 2);
    ck_assert(ev[0].start == 1 && ev[1].start == 9);
    ck_assert_uint_eq(gt_events_from_flags(f, s, t, 12, 0, 3, ev, 8), 1);
    ck_assert(ev[0].start == 9);
    /* min_len applies after merging: [1, 6) is 5 long */
    ck_assert_uint_eq(gt_events_from_flags(f, s, t, 12, 3, 4, ev, 8), 1);
    ck_assert(ev[0].start == 1 && ev[0].end == 6);
    /* cap smaller than the count: the count is still returned */
    ev[1].start = 999;
    ck_assert_uint_eq(gt_events_from_flags(f, s, t, 12, 0, 1, ev, 1), 3);
    ck_assert(ev[0].start == 1 && ev[1].start == 999);
    /* nothing flagged; everything flagged */
    uint8_t none[4] = {0}, all[4] = {1, 1, 1, 1};
    ck_assert_uint_eq(gt_events_from_flags(none, NULL, NULL, 4, 0, 1, ev, 8), 0);
    ck_assert_uint_eq(gt_events_from_flags(all, NULL, NULL, 4, 0, 1, ev, 8), 1);
    ck_assert(ev[0].start == 0 && ev[0].end == 4);

    /* labels: any non-zero value; severity 0; back to flags */
    uint8_t lab[8] = {2, 1, 0, 0, 7, 0, 1, 1};
    ck_assert_uint_eq(gt_events_from_labels(lab, 8, ev, 8), 3);
    ck_assert(ev[0].start == 0 && ev[0].end == 2 && ev[0].severity == 0);
    ck_assert(ev[1].start == 4 && ev[1].end == 5 && ev[2].start == 6 && ev[2].end == 8);
    uint8_t back[8];
    gt_events_to_flags(ev, 3, back, 8);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(back[i], lab[i] != 0);
}
END_TEST

/* flag[i] kept iff in[i - head .. i + tail] all set (outside: unset). */
static void trim_by_definition(const uint8_t *in, uint8_t *out, size_t n, size_t head,
                               size_t tail)
{
    for (size_t i = 0; i < n; i++) {
        int all = i >= head && i + tail < n;
        for (size_t j = i >= head ? i - head : 0; all && j <= i + tail; j++)
            all = in[j] != 0;
        out[i] = (uint8_t)all;
    }
}

START_TEST(flags_trim_hand_case_and_definition)
{
    /*                      0  1  2  3  4  5  6  7  8  9 10 11 */
    const uint8_t in[12] = {1, 1, 0, 1, 1, 1, 1, 0, 2, 0, 1, 1};
    uint8_t f[12];
    /* An on-delay of 3 (head 2): [0,2) and [10,12) are too short, [3,7)
     * keeps 5..6. */
    const uint8_t delay3[12] = {0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0};
    memcpy(f, in, sizeof f);
    gt_flags_trim(f, 12, 2, 0);
    for (int i = 0; i < 12; i++)
        ck_assert_msg(f[i] == delay3[i], "head 2, sample %d: %d", i, f[i]);
    /* Centred, 1 each side: [3,7) keeps 4..5, the rest is too short. */
    const uint8_t centred1[12] = {0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0};
    memcpy(f, in, sizeof f);
    gt_flags_trim(f, 12, 1, 1);
    for (int i = 0; i < 12; i++)
        ck_assert_msg(f[i] == centred1[i], "head 1 tail 1, sample %d: %d", i, f[i]);
    /* Tail only: each run loses its last sample. */
    const uint8_t tail1[12] = {1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0};
    memcpy(f, in, sizeof f);
    gt_flags_trim(f, 12, 0, 1);
    for (int i = 0; i < 12; i++)
        ck_assert_msg(f[i] == tail1[i], "tail 1, sample %d: %d", i, f[i]);
    /* Nothing to trim: unchanged but 2 -> 1; more than any run: none. */
    memcpy(f, in, sizeof f);
    gt_flags_trim(f, 12, 0, 0);
    for (int i = 0; i < 12; i++)
        ck_assert_int_eq(f[i], in[i] != 0);
    memcpy(f, in, sizeof f);
    gt_flags_trim(f, 12, 2, 2);
    for (int i = 0; i < 12; i++)
        ck_assert_int_eq(f[i], 0);
    gt_flags_trim(f, 0, 3, 3);

    /* Random flags, every head and tail up to 6: the definition. */
    gt_rng rng;
    gt_rng_seed(&rng, 11);
    uint8_t r[200], g[200], d[200];
    for (int rep = 0; rep < 20; rep++) {
        for (int i = 0; i < 200; i++)
            r[i] = gt_rng_uniform(&rng) < 0.7;
        for (size_t head = 0; head <= 6; head++)
            for (size_t tail = 0; tail <= 6; tail++) {
                memcpy(g, r, sizeof g);
                gt_flags_trim(g, 200, head, tail);
                trim_by_definition(r, d, 200, head, tail);
                ck_assert_msg(!memcmp(g, d, sizeof g), "rep %d head %zu tail %zu", rep, head,
                              tail);
            }
    }
}
END_TEST

START_TEST(detection_delays_hand_case)
{
    gt_event t[] = {EV(2, 6), EV(10, 14), EV(20, 22)};
    /* flagged: 0 (before the first event: does not count), 4, 11..12, 25 */
    uint8_t p[30] = {0};
    p[0] = p[4] = p[11] = p[12] = p[25] = 1;
    long d[3];
    ck_assert_uint_eq(gt_detection_delays(t, 3, p, 30, d), 2);
    ck_assert_int_eq(d[0], 2);
    ck_assert_int_eq(d[1], 1);
    ck_assert_int_eq(d[2], -1);
}
END_TEST

GTT_SUITE(gt_test_detect_suite)
{
    Suite *s = suite_create("detect");
    TCase *tc = tcase_create("detect");
    tcase_add_test(tc, overlap_segment_hand_cases);
    tcase_add_test(tc, overlap_segment_matches_brute_force);
    tcase_add_test(tc, weighted_segment_equals_pointwise);
    tcase_add_test(tc, ratios_on_a_hand_case);
    tcase_add_test(tc, auroc_hand_and_brute_force);
    tcase_add_test(tc, quantile_and_fixed);
    tcase_add_test(tc, dynamic_flags_spikes_with_padding);
    tcase_add_test(tc, dynamic_pruning_drops_a_small_bump);
    tcase_add_test(tc, dynamic_matches_orion_reference);
    tcase_add_test(tc, parse_round_trips_and_rejects);
    tcase_add_test(tc, events_merge_len_and_severity);
    tcase_add_test(tc, flags_trim_hand_case_and_definition);
    tcase_add_test(tc, detection_delays_hand_case);
    suite_add_tcase(s, tc);
    return s;
}
