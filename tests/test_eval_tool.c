/* gantry eval, run as a user runs it: a small store with label tracks and
 * hand-written scores and events files; every figure checked against a
 * hand count; files that do not line up with the store are refused with
 * the file, the line and what differs. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/gantry.h"
#include "gantry/store.h"
#include "testutil.h"

static char out[1 << 16];

/* Recording a: 20 samples at 1 Hz from a wall-clock t0 (ISO timestamps),
 * track "anomaly" on [5, 8) and [12, 15), track "changepoint" on [5, 6).
 * Recording b: 10 samples at 10 Hz without t0 (timestamps in seconds),
 * track "anomaly" on [3, 6). */
static gt_recording *rec_a(void)
{
    gt_recording *r = gt_recording_new("a", 1, 20);
    ck_assert_ptr_nonnull(r);
    r->channels[0] = strdup("x");
    r->units[0] = strdup("");
    r->rate_hz = 1;
    r->has_t0 = 1;
    r->t0_ns = 1700000000LL * 1000000000LL;
    int l = gt_recording_add_label(r, "anomaly"), cp = gt_recording_add_label(r, "changepoint");
    ck_assert(l >= 0 && cp >= 0);
    for (size_t i = 0; i < 20; i++)
        r->labels[(size_t)l * 20 + i] = (i >= 5 && i < 8) || (i >= 12 && i < 15);
    r->labels[(size_t)cp * 20 + 5] = 1;
    return r;
}

static gt_recording *rec_b(void)
{
    gt_recording *r = gt_recording_new("b", 1, 10);
    ck_assert_ptr_nonnull(r);
    r->channels[0] = strdup("x");
    r->units[0] = strdup("");
    r->rate_hz = 10;
    int l = gt_recording_add_label(r, "anomaly");
    ck_assert(l >= 0);
    for (size_t i = 3; i < 6; i++)
        r->labels[(size_t)l * 10 + i] = 1;
    return r;
}

static void make_store(const char *path, gt_recording **r, int n)
{
    gt_error err = {0};
    gt_store *s;
    ck_assert_msg(gt_store_create(&s, path, &err) == GT_OK, "%s", err.msg);
    for (int k = 0; k < n; k++)
        ck_assert_msg(gt_store_add(s, r[k], &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_store_commit(s, &err) == GT_OK, "%s", err.msg);
}

/* Text builder. */
typedef struct text {
    char buf[8192];
    size_t n;
} text;

static void add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->buf + t->n, sizeof t->buf - t->n, fmt, ap);
    va_end(ap);
    ck_assert(k >= 0 && (size_t)k < sizeof t->buf - t->n);
    t->n += (size_t)k;
}

static const char *ts(const gt_recording *r, size_t i)
{
    static char buf[4][64];
    static int k;
    k = (k + 1) % 4;
    gt_recording_timestamp(r, i, buf[k], sizeof buf[k]);
    return buf[k];
}

/* Scores: a's score i/10 (NaN at 0), flagged at 6, 7, 8 and 17; b's score
 * 1 on its labelled samples, 0 elsewhere, nothing flagged.  Rows of a from
 * `first` to `last` inclusive (to drop some); named: the recording column. */
static void scores_a(text *t, const gt_recording *a, size_t first, size_t last, int named)
{
    for (size_t i = first; i <= last; i++) {
        int flag = (i >= 6 && i <= 8) || i == 17;
        add(t, "%s", named ? "a," : "");
        if (i == 0)
            add(t, "%s,nan,%d\n", ts(a, i), flag);
        else
            add(t, "%s,%.1f,%d\n", ts(a, i), (double)i / 10, flag);
    }
}

static void scores_b(text *t, const gt_recording *b, int named)
{
    for (size_t i = 0; i < 10; i++)
        add(t, "%s%s,%d,0\n", named ? "b," : "", ts(b, i), i >= 3 && i < 6);
}

/* A figure of the object named `name` in eval's JSON (NaN for null). */
static double jget(const char *json, const char *name, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof pat, "{\"name\": \"%s\"", name);
    const char *o = strstr(json, pat);
    ck_assert_msg(o != NULL, "no object %s in\n%s", name, json);
    const char *end = strchr(o, '}');
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *k = strstr(o, pat);
    ck_assert_msg(k && k < end, "no %s in object %s:\n%s", key, name, json);
    k += strlen(pat);
    return strncmp(k, "null", 4) ? strtod(k, NULL) : NAN;
}

/* Expected figures: {object name, key, value} (NaN: null). */
typedef struct fig {
    const char *name, *key;
    double want;
} fig;

static void check_figs(const fig *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double got = jget(out, f[i].name, f[i].key);
        ck_assert_msg(isnan(f[i].want) ? isnan(got) : fabs(got - f[i].want) < 1e-6,
                      "%s %s: got %.9g, want %.9g", f[i].name, f[i].key, got, f[i].want);
    }
}

#define CHECK_FIGS(...)                                                    \
    do {                                                                   \
        const fig figs_[] = {__VA_ARGS__};                                 \
        check_figs(figs_, sizeof figs_ / sizeof figs_[0]);                 \
    } while (0)

typedef struct fixture {
    char *dir;
    char store[512], scores[512], events[512], args[2048];
    gt_recording *a, *b;
} fixture;

static void setup(fixture *f)
{
    f->dir = gtt_tmpdir();
    snprintf(f->store, sizeof f->store, "%s/s.h5", f->dir);
    snprintf(f->scores, sizeof f->scores, "%s/scores.csv", f->dir);
    snprintf(f->events, sizeof f->events, "%s/events.csv", f->dir);
    f->a = rec_a();
    f->b = rec_b();
    gt_recording *r[2] = {f->a, f->b};
    make_store(f->store, r, 2);
}

static void teardown(fixture *f)
{
    gt_recording_free(f->a);
    gt_recording_free(f->b);
    gtt_rmdir(f->dir);
    free(f->dir);
}

static int run_eval(fixture *f, const char *extra)
{
    snprintf(f->args, sizeof f->args, "eval %s --scores %s %s", f->store, f->scores, extra);
    return gtt_tool_run(out, sizeof out, f->args);
}

START_TEST(figures_match_hand_counts)
{
    fixture f;
    setup(&f);
    text t = {.n = 0};
    add(&t, "recording,timestamp,score,anomaly\n");
    scores_a(&t, f.a, 0, 19, 1);
    scores_b(&t, f.b, 1);
    gtt_write_file(f.scores, t.buf);
    int rc = run_eval(&f, "--json");
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);

    /* a: truth [5,8) [12,15); predicted runs [6,9) [17,18).
     * Overlap: [5,8) found, [12,15) missed, [17,18) a false alarm.
     * Point-wise: tp {6,7}, fp {8,17}, fn {5,12,13,14}, tn the other 12.
     * AUROC: sample 0 (NaN) left out; positives 0.5 0.6 0.7 beat 4
     * negatives each, 1.2 1.3 1.4 beat 8: 36 of 6 x 13 pairs.
     * Delay: [5,8) first flagged at 6: 1 sample. */
    CHECK_FIGS(
        {"a", "samples", 20},
        {"a", "truth_events", 2},
        {"a", "pred_events", 2},
        {"a", "overlap_tp", 1},
        {"a", "overlap_fp", 1},
        {"a", "overlap_fn", 1},
        {"a", "overlap_precision", 0.5},
        {"a", "overlap_recall", 0.5},
        {"a", "overlap_f1", 0.5},
        {"a", "pointwise_tp", 2},
        {"a", "pointwise_fp", 2},
        {"a", "pointwise_fn", 4},
        {"a", "pointwise_tn", 12},
        {"a", "pointwise_f1", 4.0 / 10},
        {"a", "weighted_f1", 4.0 / 10},
        {"a", "far_pct", 100.0 * 2 / 14},
        {"a", "mar_pct", 100.0 * 4 / 6},
        {"a", "auroc", 36.0 / 78},
        {"a", "detected", 1},
        {"a", "delay_mean", 1},
        {"a", "delay_median", 1},
        {"a", "flagged_pct", 20});
    ck_assert_msg(strstr(out, "\"label_track\": \"anomaly\"") != NULL, "%s", out);

    /* b: one true event, nothing flagged; scores separate perfectly. */
    CHECK_FIGS(
        {"b", "overlap_tp", 0},
        {"b", "overlap_fp", 0},
        {"b", "overlap_fn", 1},
        {"b", "overlap_f1", 0},
        {"b", "pointwise_fn", 3},
        {"b", "pointwise_tn", 7},
        {"b", "far_pct", 0},
        {"b", "mar_pct", 100},
        {"b", "auroc", 1},
        {"b", "detected", 0},
        {"b", "delay_mean", NAN},
        {"b", "flagged_pct", 0});

    /* TOTAL: counts summed first.  Overlap tp 1 fp 1 fn 2: P 1/2, R 1/3,
     * F1 0.4.  Point-wise tp 2 fp 2 fn 7 tn 19: F1 4/13.  AUROC over all 29
     * scored samples: a's 0.5-0.7 beat 11 negatives, 1.2-1.4 beat 15, b's
     * three 1s beat 13 and tie a's 1.0: (33 + 45 + 40.5) / (9 x 20). */
    CHECK_FIGS(
        {"TOTAL", "samples", 30},
        {"TOTAL", "truth_events", 3},
        {"TOTAL", "overlap_tp", 1},
        {"TOTAL", "overlap_fp", 1},
        {"TOTAL", "overlap_fn", 2},
        {"TOTAL", "overlap_precision", 0.5},
        {"TOTAL", "overlap_recall", 1.0 / 3},
        {"TOTAL", "overlap_f1", 0.4},
        {"TOTAL", "pointwise_f1", 4.0 / 13},
        {"TOTAL", "weighted_f1", 4.0 / 13},
        {"TOTAL", "far_pct", 100.0 * 2 / 21},
        {"TOTAL", "mar_pct", 100.0 * 7 / 9},
        {"TOTAL", "auroc", 118.5 / 180},
        {"TOTAL", "detected", 1},
        {"TOTAL", "delay_median", 1},
        {"TOTAL", "flagged_pct", 100.0 * 4 / 30});

    /* The table: a row per recording and TOTAL. */
    rc = run_eval(&f, "");
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    ck_assert_msg(strstr(out, "AUROC") && strstr(out, "\nTOTAL ") && strstr(out, "\na ") &&
                      strstr(out, "\nb ") && strstr(out, "0.658"),
                  "%s", out);

    /* --skip-rows 10: a's samples 10..19 only (truth [12,15), flag 17), b's
     * none.  Point-wise tp 0 fp 1 fn 3 tn 6; overlap fp 1 fn 1; AUROC: 1.2,
     * 1.3, 1.4 each beat 1.0 and 1.1 of the 7 negatives: 6 / 21. */
    rc = run_eval(&f, "--skip-rows 10 --json");
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    CHECK_FIGS(
        {"a", "samples", 10},
        {"a", "pointwise_tp", 0},
        {"a", "pointwise_fp", 1},
        {"a", "pointwise_fn", 3},
        {"a", "pointwise_tn", 6},
        {"a", "overlap_fp", 1},
        {"a", "overlap_fn", 1},
        {"a", "auroc", 6.0 / 21},
        {"b", "samples", 0},
        {"TOTAL", "samples", 10},
        {"TOTAL", "far_pct", 100.0 / 7},
        {"TOTAL", "auroc", 6.0 / 21});

    /* One recording, no recording column. */
    t.n = 0;
    add(&t, "timestamp,score,anomaly\n");
    scores_b(&t, f.b, 0);
    gtt_write_file(f.scores, t.buf);
    rc = run_eval(&f, "--recordings b --json");
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    CHECK_FIGS(
        {"TOTAL", "samples", 10},
        {"TOTAL", "overlap_fn", 1},
        {"TOTAL", "auroc", 1});
    ck_assert_msg(strstr(out, "\"name\": \"a\"") == NULL, "%s", out);
    teardown(&f);
}
END_TEST

START_TEST(events_file_and_label_tracks)
{
    fixture f;
    setup(&f);
    text t = {.n = 0};
    add(&t, "recording,timestamp,score,anomaly\n");
    scores_a(&t, f.a, 0, 19, 1);
    scores_b(&t, f.b, 1);
    gtt_write_file(f.scores, t.buf);
    /* Events (end inclusive): a [5,5] and [12,14]; b [8,9]. */
    t.n = 0;
    add(&t, "recording,start,end,severity\n");
    add(&t, "a,%s,%s,1.5\n", ts(f.a, 5), ts(f.a, 5));
    add(&t, "a,%s,%s,2\n", ts(f.a, 12), ts(f.a, 14));
    add(&t, "b,%s,%s,0.25\n", ts(f.b, 8), ts(f.b, 9));
    gtt_write_file(f.events, t.buf);
    char extra[700];
    snprintf(extra, sizeof extra, "--events %s --json", f.events);
    int rc = run_eval(&f, extra);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    /* Overlap: a 2 found, b's event misses: total tp 2 fp 1 fn 1, F1 2/3.
     * Weighted (samples of the events): a tp 4 fn 2 tn 14, b fp 2 fn 3 tn 5:
     * tp 4 fp 2 fn 5, F1 8/15.  Point-wise stays the anomaly column's. */
    CHECK_FIGS(
        {"a", "pred_events", 2},
        {"a", "overlap_tp", 2},
        {"a", "overlap_fp", 0},
        {"b", "pred_events", 1},
        {"b", "overlap_fp", 1},
        {"TOTAL", "overlap_f1", 2.0 / 3},
        {"TOTAL", "weighted_f1", 8.0 / 15},
        {"TOTAL", "pointwise_f1", 4.0 / 13});
    /* Delays from the events: both of a's events flagged at their start. */
    CHECK_FIGS(
        {"a", "detected", 2},
        {"TOTAL", "detected", 2},
        {"TOTAL", "delay_mean", 0});

    /* --skip-rows 10: a's event [12,14] becomes [2,5) and is found, [5,5]
     * and b's [8,9] lie in the skipped rows. */
    snprintf(extra, sizeof extra, "--events %s --skip-rows 10 --json", f.events);
    rc = run_eval(&f, extra);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    CHECK_FIGS(
        {"a", "pred_events", 1},
        {"a", "overlap_tp", 1},
        {"a", "overlap_fp", 0},
        {"b", "pred_events", 0},
        {"TOTAL", "overlap_f1", 1},
        {"TOTAL", "detected", 1});
    snprintf(extra, sizeof extra, "--events %s --json", f.events);

    /* Another track: changepoint [5,6) of a; b's rows skipped. */
    rc = run_eval(&f, "--recordings a --labels changepoint --json");
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    ck_assert_msg(strstr(out, "\"label_track\": \"changepoint\"") != NULL, "%s", out);
    CHECK_FIGS(
        {"TOTAL", "truth_events", 1},
        {"TOTAL", "overlap_tp", 0},
        {"TOTAL", "overlap_fp", 2},
        {"TOTAL", "overlap_fn", 1},
        {"TOTAL", "pointwise_fn", 1});

    /* b has no changepoint track; a has no 'nope' track. */
    ck_assert_int_eq(run_eval(&f, "--labels changepoint"), 1);
    ck_assert_msg(strstr(out, "recording b has no label track 'changepoint' (it has anomaly)"),
                  "%s", out);
    ck_assert_int_eq(run_eval(&f, "--labels nope"), 1);
    ck_assert_msg(strstr(out, "'nope' (it has anomaly, changepoint)"), "%s", out);

    /* An event past the end; events without a recording column for two. */
    gtt_write_file(f.events, "start,end,severity\n0,1,1\n");
    ck_assert_int_eq(run_eval(&f, extra), 1);
    ck_assert_msg(strstr(out, "events.csv:1:") && strstr(out, "recording column"), "%s", out);
    t.n = 0;
    add(&t, "recording,start,end,severity\nb,%s,5,1\n", ts(f.b, 2));
    gtt_write_file(f.events, t.buf);
    ck_assert_int_eq(run_eval(&f, extra), 1);
    ck_assert_msg(strstr(out, "events.csv:2:") && strstr(out, "not within recording b"), "%s",
                  out);
    teardown(&f);
}
END_TEST

START_TEST(mismatched_and_bad_files_are_refused)
{
    fixture f;
    setup(&f);
    text t = {.n = 0};

    /* a's last row missing: 19 rows for 20 samples (a's last row would
     * have been line 21). */
    add(&t, "recording,timestamp,score,anomaly\n");
    scores_a(&t, f.a, 0, 18, 1);
    scores_b(&t, f.b, 1);
    gtt_write_file(f.scores, t.buf);
    ck_assert_int_eq(run_eval(&f, "--json"), 1);
    ck_assert_msg(strstr(out, "scores.csv:20: 19 rows for recording a, which has 20 samples"),
                  "%s", out);

    /* a's first row missing: the first row is a's sample 1. */
    t.n = 0;
    add(&t, "recording,timestamp,score,anomaly\n");
    scores_a(&t, f.a, 1, 19, 1);
    gtt_write_file(f.scores, t.buf);
    ck_assert_int_eq(run_eval(&f, "--recordings a"), 1);
    ck_assert_msg(strstr(out, "scores.csv:2: timestamp") && strstr(out, "is sample 1 of "
                                                                        "recording a") &&
                      strstr(out, "first sample 0"),
                  "%s", out);

    /* One row too many for b alone (3 columns). */
    t.n = 0;
    add(&t, "timestamp,score,anomaly\n");
    scores_b(&t, f.b, 0);
    add(&t, "1.0,0,0\n");
    gtt_write_file(f.scores, t.buf);
    ck_assert_int_eq(run_eval(&f, "--recordings b"), 1);
    ck_assert_msg(strstr(out, "scores.csv:12: more rows than the 10 samples"), "%s", out);

    /* Wrong header, a non-number, a bad flag, a short row, an unknown
     * recording, rows split apart. */
    gtt_write_file(f.scores, "time,score,anomaly\n0,1,0\n");
    ck_assert_int_eq(run_eval(&f, "--recordings b"), 1);
    ck_assert_msg(strstr(out, "scores.csv:1: expected the header 'timestamp,score,anomaly'"),
                  "%s", out);
    t.n = 0;
    add(&t, "timestamp,score,anomaly\n0,0,0\n0.1,abc,0\n");
    gtt_write_file(f.scores, t.buf);
    ck_assert_int_eq(run_eval(&f, "--recordings b"), 1);
    ck_assert_msg(strstr(out, "scores.csv:3: score 'abc' is not a number"), "%s", out);
    gtt_write_file(f.scores, "timestamp,score,anomaly\n0,0,2\n");
    ck_assert_int_eq(run_eval(&f, "--recordings b"), 1);
    ck_assert_msg(strstr(out, "scores.csv:2: anomaly '2' is not 0 or 1"), "%s", out);
    gtt_write_file(f.scores, "timestamp,score,anomaly\n0,0\n");
    ck_assert_int_eq(run_eval(&f, "--recordings b"), 1);
    ck_assert_msg(strstr(out, "scores.csv:2: expected 3 fields, found 2"), "%s", out);
    gtt_write_file(f.scores, "recording,timestamp,score,anomaly\nzz,0,0,0\n");
    ck_assert_int_eq(run_eval(&f, ""), 1);
    ck_assert_msg(strstr(out, "scores.csv:2: recording 'zz' is not in"), "%s", out);
    t.n = 0;
    add(&t, "recording,timestamp,score,anomaly\nb,0,0,0\n");
    scores_a(&t, f.a, 0, 19, 1);
    add(&t, "b,0.1,0,0\n");
    gtt_write_file(f.scores, t.buf);
    ck_assert_int_eq(run_eval(&f, ""), 1);
    ck_assert_msg(strstr(out, "scores.csv:23: the rows of recording b are not together"), "%s",
                  out);

    /* A missing file; usage errors; --help; an unknown recording. */
    snprintf(f.args, sizeof f.args, "eval %s --scores %s/none.csv", f.store, f.dir);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, f.args), 1);
    ck_assert_msg(strstr(out, "none.csv: cannot open"), "%s", out);
    snprintf(f.args, sizeof f.args, "eval %s", f.store);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, f.args), 2);
    ck_assert_msg(strstr(out, "--scores") != NULL, "%s", out);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "eval --scores x.csv"), 2);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "eval --bogus"), 2);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "eval --help"), 0);
    ck_assert_msg(strstr(out, "usage: gantry eval") && strstr(out, "overlap-segment"), "%s", out);
    ck_assert_int_eq(run_eval(&f, "--recordings a,q"), 1);
    ck_assert_msg(strstr(out, "no recording 'q'"), "%s", out);

    /* A store without label tracks. */
    char nolab[600];
    snprintf(nolab, sizeof nolab, "%s/nolab.h5", f.dir);
    gt_recording *c = gt_recording_new("c", 1, 4);
    c->channels[0] = strdup("x");
    c->units[0] = strdup("");
    make_store(nolab, &c, 1);
    gt_recording_free(c);
    gtt_write_file(f.scores, "timestamp,score,anomaly\n0,0,0\n1,0,0\n2,0,0\n3,0,0\n");
    snprintf(f.args, sizeof f.args, "eval %s --scores %s", nolab, f.scores);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, f.args), 1);
    ck_assert_msg(strstr(out, "recording c has no label track"), "%s", out);
    teardown(&f);
}
END_TEST

GTT_SUITE(gt_test_eval_tool_suite)
{
    Suite *s = suite_create("eval_tool");
    TCase *tc = tcase_create("eval_tool");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, figures_match_hand_counts);
    tcase_add_test(tc, events_file_and_label_tracks);
    tcase_add_test(tc, mismatched_and_bad_files_are_refused);
    suite_add_tcase(s, tc);
    return s;
}
