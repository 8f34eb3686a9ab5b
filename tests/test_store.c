/* The HDF5 store: recordings round-trip exactly (values, quality, time,
 * labels, attributes); bad recordings are refused; label files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gantry/gantry.h"
#include "gantry/labels.h"
#include "gantry/store.h"
#include "gantry/timefmt.h"
#include "testutil.h"

static gt_recording *sample_recording(const char *name, size_t n, int irregular)
{
    gt_recording *r = gt_recording_new(name, 2, n);
    ck_assert_ptr_nonnull(r);
    r->channels[0] = strdup("Pressure");
    r->channels[1] = strdup("Temp");
    r->units[0] = strdup("bar");
    r->units[1] = strdup("");
    free(r->cls);
    r->cls = strdup("valve");
    free(r->source);
    r->source = strdup("pump.csv");
    r->rate_hz = 2.0;
    r->rpm = 1797.5;
    r->has_t0 = 1;
    r->t0_ns = 1700000000123456789LL;
    gt_rng g;
    gt_rng_seed(&g, 5);
    for (size_t i = 0; i < 2 * n; i++)
        r->values[i] = gt_rng_normal(&g) * 1e3f;
    ck_assert_int_eq(gt_recording_ensure_quality(r), GT_OK);
    r->quality[3] = GT_Q_BAD;
    r->quality[n + 4] = GT_Q_MISSING;
    r->values[n + 4] = NAN;
    r->quality[n + 5] = GT_Q_INTERP;
    if (irregular) {
        r->time_ns = malloc(n * sizeof(int64_t));
        int64_t t = r->t0_ns;
        for (size_t i = 0; i < n; i++) {
            r->time_ns[i] = t;
            t += 500000000LL + (int64_t)(i % 3) * 1000 + (i == 7 ? 60000000000LL : 0);
        }
    }
    int l = gt_recording_add_label(r, "anomaly");
    ck_assert_int_ge(l, 0);
    for (size_t i = 10; i < 15 && i < n; i++)
        r->labels[(size_t)l * n + i] = 1;
    return r;
}

START_TEST(recordings_round_trip_exactly)
{
    char *dir = gtt_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/s.h5", dir);
    gt_error err = {0};
    gt_store *s;
    ck_assert_int_eq(gt_store_create(&s, path, &err), GT_OK);
    gt_recording *a = sample_recording("a", 40, 1), *b = sample_recording("b-2.x", 33, 0);
    ck_assert_msg(gt_store_add(s, a, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_store_add(s, b, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(access(path, F_OK), -1); /* nothing at the target before commit */
    ck_assert_msg(gt_store_commit(s, &err) == GT_OK, "%s", err.msg);

    ck_assert_msg(gt_store_open(&s, path, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(gt_store_count(s), 2);
    ck_assert_str_eq(gt_store_name(s, 0), "a");
    ck_assert_str_eq(gt_store_name(s, 1), "b-2.x");
    const gt_recording *src[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        gt_recording *r;
        ck_assert_msg(gt_store_read(s, src[k]->name, &r, &err) == GT_OK, "%s", err.msg);
        const gt_recording *o = src[k];
        ck_assert_uint_eq(r->n, o->n);
        ck_assert_int_eq(r->nch, 2);
        ck_assert_str_eq(r->cls, "valve");
        ck_assert_str_eq(r->source, "pump.csv");
        ck_assert_str_eq(r->units[0], "bar");
        ck_assert(r->rate_hz == 2.0 && r->rpm == 1797.5);
        /* channels come back in name order, which here is the order written */
        ck_assert_str_eq(r->channels[0], "Pressure");
        for (size_t i = 0; i < 2 * o->n; i++) {
            if (isnan(o->values[i]))
                ck_assert(isnan(r->values[i]));
            else
                ck_assert_msg(r->values[i] == o->values[i], "value %zu", i);
            ck_assert_int_eq(r->quality[i], o->quality[i]);
        }
        ck_assert_int_eq(r->nlabels, 1);
        ck_assert_str_eq(r->label_names[0], "anomaly");
        ck_assert_mem_eq(r->labels, o->labels, o->n);
        if (o->time_ns) {
            ck_assert_ptr_nonnull(r->time_ns);
            for (size_t i = 0; i < o->n; i++)
                ck_assert(r->time_ns[i] == o->time_ns[i]);
        } else {
            ck_assert_ptr_null(r->time_ns);
            ck_assert(r->has_t0 && r->t0_ns == o->t0_ns);
            ck_assert(gt_recording_time(r, 10) == o->t0_ns + 5000000000LL);
            ck_assert_uint_eq(gt_recording_find_time(r, o->t0_ns + 5000000000LL), 10);
            ck_assert_uint_eq(gt_recording_find_time(r, o->t0_ns + 5000000001LL), 11);
        }
        gt_recording_free(r);
    }
    gt_recording *r;
    ck_assert_int_ne(gt_store_read(s, "nope", &r, &err), GT_OK);
    ck_assert_ptr_nonnull(strstr(err.msg, "no recording 'nope'"));
    gt_store_close(s);
    gt_recording_free(a);
    gt_recording_free(b);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(bad_recordings_are_refused_and_nothing_is_written)
{
    char *dir = gtt_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/s.h5", dir);
    gtt_write_file(path, "precious");
    gt_error err = {0};
    gt_store *s;
    ck_assert_int_eq(gt_store_create(&s, path, &err), GT_OK);
    gt_recording *a = sample_recording("a", 20, 1);
    ck_assert_int_eq(gt_store_add(s, a, &err), GT_OK);
    ck_assert_int_ne(gt_store_add(s, a, &err), GT_OK);
    ck_assert_msg(strstr(err.msg, "two recordings named 'a'"), "%s", err.msg);

    gt_recording *b = sample_recording("b", 20, 1);
    b->quality[20 + 4] = GT_Q_GOOD; /* NaN no longer marked missing */
    ck_assert_int_eq(gt_store_add(s, b, &err), GT_ENUMERIC);
    ck_assert_msg(strstr(err.msg, "channel Temp sample 4 is NaN"), "%s", err.msg);
    b->quality[20 + 4] = GT_Q_MISSING;
    b->time_ns[6] = b->time_ns[5];
    ck_assert_int_ne(gt_store_add(s, b, &err), GT_OK);
    ck_assert_msg(strstr(err.msg, "time does not increase at sample 6"), "%s", err.msg);
    free(b->name);
    b->name = strdup("a/b");
    ck_assert_int_ne(gt_store_add(s, b, &err), GT_OK);
    gt_store_abort(s);
    /* the existing file is untouched and no temporary file is left */
    FILE *f = fopen(path, "r");
    char buf[16] = {0};
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fread(buf, 1, sizeof buf - 1, f), 8);
    fclose(f);
    ck_assert_str_eq(buf, "precious");
    ck_assert_int_eq(gtt_count_tmp_files(dir), 0);
    /* not a store */
    ck_assert_int_ne(gt_store_open(&s, path, &err), GT_OK);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err.msg, path), "%s", err.msg);
    gt_recording_free(a);
    gt_recording_free(b);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(interval_files_mark_label_tracks)
{
    char *dir = gtt_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/iv.csv", dir);
    gtt_write_file(path, "start,end,class\n"
                         "2023-11-14T22:13:25Z,2023-11-14T22:13:27Z,leak\n"
                         "\n"
                         "2023-11-14T22:13:40Z,2023-11-14T22:13:41.5Z\n");
    gt_error err = {0};
    gt_intervals iv;
    ck_assert_msg(gt_intervals_read_csv(path, &iv, &err) == GT_OK, "%s", err.msg);
    ck_assert_uint_eq(iv.n, 2);
    ck_assert_str_eq(iv.v[0].cls, "leak");
    ck_assert_str_eq(iv.v[1].cls, "anomaly");
    /* a regular 2 Hz recording starting at 22:13:20.123456789 */
    gt_recording *r = sample_recording("a", 60, 0);
    r->nlabels = 0; /* drop the sample's own track (freed with r) */
    free(r->label_names[0]);
    free(r->label_names);
    free(r->labels);
    r->label_names = NULL;
    r->labels = NULL;
    size_t marked = 0;
    ck_assert_int_eq(gt_intervals_apply(&iv, "", r, &marked, &err), GT_OK);
    ck_assert_uint_eq(marked, 2);
    ck_assert_int_eq(r->nlabels, 2);
    /* leak: 22:13:25 .. 22:13:27 inclusive covers samples at 25.12, 25.62,
     * 26.12, 26.62 s -> indices 10..13 */
    for (size_t i = 0; i < r->n; i++)
        ck_assert_int_eq(r->labels[i], i >= 10 && i <= 13);
    /* anomaly: 40 .. 41.5 -> 40.12, 40.62, 41.12 -> 40..42 */
    for (size_t i = 0; i < r->n; i++)
        ck_assert_int_eq(r->labels[r->n + i], i >= 40 && i <= 42);
    gt_intervals_free(&iv);

    gtt_write_file(path, "start,end\n5,7\n9,x\n");
    ck_assert_int_ne(gt_intervals_read_csv(path, &iv, &err), GT_OK);
    ck_assert_msg(strstr(err.msg, "iv.csv:3"), "%s", err.msg);
    gtt_write_file(path, "7,5\n");
    ck_assert_int_ne(gt_intervals_read_csv(path, &iv, &err), GT_OK);
    ck_assert_msg(strstr(err.msg, "iv.csv:1: the interval ends before"), "%s", err.msg);

    /* NAB windows, matched by the file's path */
    snprintf(path, sizeof path, "%s/w.json", dir);
    gtt_write_file(path, "{\n \"realKnownCause/a.csv\": [\n  [\"2023-11-14 22:13:30.000000\", "
                         "\"2023-11-14 22:13:31.000000\"]\n ],\n \"other/a.csv\": [],\n"
                         " \"realKnownCause/b.csv\": [[\"2023-11-14 22:13:20\", "
                         "\"2023-11-14 22:13:59\"]]\n}\n");
    ck_assert_msg(gt_intervals_read_nab(path, &iv, &err) == GT_OK, "%s", err.msg);
    gt_recording *q = sample_recording("q", 60, 0);
    ck_assert_int_eq(gt_intervals_apply(&iv, "/data/nab/realKnownCause/a.csv", q, &marked, &err),
                     GT_OK);
    ck_assert_uint_eq(marked, 1);
    ck_assert_int_eq(q->nlabels, 1); /* the sample's "anomaly" track, now NAB's */
    for (size_t i = 0; i < q->n; i++)
        ck_assert_int_eq(q->labels[i], (i >= 10 && i < 15) || (i >= 20 && i <= 21));
    ck_assert_int_eq(gt_intervals_apply(&iv, "/x/notrealKnownCause/a.csv", q, &marked, &err),
                     GT_OK);
    ck_assert_uint_eq(marked, 0);
    gt_intervals_free(&iv);
    gtt_write_file(path, "{\"a.csv\": [[\"2023-11-14 22:13:30\", \"soon\"]]}");
    ck_assert_int_ne(gt_intervals_read_nab(path, &iv, &err), GT_OK);
    ck_assert_msg(strstr(err.msg, "w.json:1") && strstr(err.msg, "soon"), "%s", err.msg);
    gtt_write_file(path, "{\"a.csv\": [[\"2023-11-14 22:13:30\"\n");
    ck_assert_int_ne(gt_intervals_read_nab(path, &iv, &err), GT_OK);
    ck_assert_msg(strstr(err.msg, "w.json:2: expected ','"), "%s", err.msg);
    gt_recording_free(q);
    gt_recording_free(r);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

GTT_SUITE(gt_test_store_suite)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("store");
    tcase_add_test(tc, recordings_round_trip_exactly);
    tcase_add_test(tc, bad_recordings_are_refused_and_nothing_is_written);
    tcase_add_test(tc, interval_files_mark_label_tracks);
    suite_add_tcase(s, tc);
    return s;
}
