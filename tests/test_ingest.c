/* gantry ingest, inspect and featurize, run as a user runs them: what goes
 * in comes back out of the store exactly; bad input is named and leaves
 * nothing behind; every shared dataset ingests without hand-editing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gantry/gantry.h"
#include "gantry/features.h"
#include "gantry/store.h"
#include "gantry/timefmt.h"
#include "testutil.h"

static char out[1 << 16];

static gt_recording *read_one(const char *store, const char *name)
{
    gt_error err = {0};
    gt_store *s;
    ck_assert_msg(gt_store_open(&s, store, &err) == GT_OK, "%s", err.msg);
    gt_recording *r;
    ck_assert_msg(gt_store_read(s, name, &r, &err) == GT_OK, "%s", err.msg);
    gt_store_close(s);
    return r;
}

static int channel(const gt_recording *r, const char *name)
{
    for (int c = 0; c < r->nch; c++)
        if (!strcmp(r->channels[c], name))
            return c;
    ck_abort_msg("no channel %s", name);
    return -1;
}

static int64_t iso(const char *s)
{
    int64_t t;
    ck_assert_int_eq(gt_time_parse(s, strlen(s), GT_TIME_AUTO, &t), GT_OK);
    return t;
}

START_TEST(long_historian_export_round_trips)
{
    char *d = gtt_tmpdir(), csv[512], h5[512], args[2048];
    snprintf(csv, sizeof csv, "%s/hist.csv", d);
    snprintf(h5, sizeof h5, "%s/s.h5", d);
    /* unsorted, interleaved, a bad reading, a tag missing at one time */
    gtt_write_file(csv, "Timestamp,TagName,Value,Quality\n"
                        "2024-03-01T00:00:01Z,FIC101.PV,2.5,Good\n"
                        "2024-03-01T00:00:00Z,FIC101.PV,1.25,Good\n"
                        "2024-03-01T00:00:00Z,TI-7,-40.125,Good\n"
                        "2024-03-01T00:00:01Z,TI-7,1e-3,I/O Timeout\n"
                        "2024-03-01T00:00:03.5Z,FIC101.PV,3.0000001,192\n");
    snprintf(args, sizeof args, "ingest %s -o %s --units FIC101.PV=m3/h", csv, h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    gt_recording *r = read_one(h5, "hist");
    ck_assert_uint_eq(r->n, 3);
    ck_assert_int_eq(r->nch, 2);
    int f = channel(r, "FIC101.PV"), t = channel(r, "TI-7");
    ck_assert_str_eq(r->units[f], "m3/h");
    ck_assert_ptr_nonnull(r->time_ns); /* 1 s then 2.5 s: irregular, kept */
    ck_assert(r->time_ns[0] == iso("2024-03-01T00:00:00Z"));
    ck_assert(r->time_ns[2] == iso("2024-03-01T00:00:03.5Z"));
    const float *F = r->values + (size_t)f * 3, *T = r->values + (size_t)t * 3;
    ck_assert(F[0] == 1.25f && F[1] == 2.5f && F[2] == (float)3.0000001);
    ck_assert(T[0] == -40.125f && T[1] == (float)1e-3 && isnan(T[2]));
    ck_assert_ptr_nonnull(r->quality);
    ck_assert_int_eq(r->quality[(size_t)t * 3 + 1], GT_Q_BAD);
    ck_assert_int_eq(r->quality[(size_t)t * 3 + 2], GT_Q_MISSING);
    ck_assert_int_eq(r->quality[(size_t)f * 3 + 2], GT_Q_GOOD);
    gt_recording_free(r);

    /* inspect shows it, as a table and as JSON */
    snprintf(args, sizeof args, "inspect %s", h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    ck_assert_msg(strstr(out, "FIC101.PV") && strstr(out, "m3/h") &&
                  strstr(out, "2024-03-01T00:00:00Z .. 2024-03-01T00:00:03.5Z"), "%s", out);
    snprintf(args, sizeof args, "inspect --json %s", h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    ck_assert_msg(strstr(out, "\"samples\": 3") && strstr(out, "\"bad\": 1") &&
                  strstr(out, "\"missing\": 1") && strstr(out, "\"regular\": false"), "%s", out);

    /* resampled onto 1 s: hold, with the gap at 2 s interpolated */
    snprintf(args, sizeof args, "ingest %s -o %s --force --resample 1s --method linear", csv, h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    r = read_one(h5, "hist");
    ck_assert_ptr_null(r->time_ns);
    ck_assert(r->rate_hz == 1.0 && r->t0_ns == iso("2024-03-01T00:00:00Z"));
    ck_assert_uint_eq(r->n, 4);
    f = channel(r, "FIC101.PV");
    ck_assert_int_eq(r->quality[(size_t)f * 4 + 2], GT_Q_INTERP);
    ck_assert_int_eq(r->quality[(size_t)f * 4 + 1], GT_Q_GOOD);
    /* linear between (1 s, 2.5) and (3.5 s, 3.0000001): at 2 s */
    ck_assert_float_eq_tol(r->values[(size_t)f * 4 + 2], 2.5f + 0.5f * 1.0f / 2.5f, 1e-5f);
    gt_recording_free(r);
    gtt_rmdir(d);
    free(d);
}
END_TEST

START_TEST(wide_files_labels_and_raw_samples)
{
    char *d = gtt_tmpdir(), p[512], h5[512], args[2048];
    snprintf(p, sizeof p, "%s/w.csv", d);
    snprintf(h5, sizeof h5, "%s/s.h5", d);
    gtt_write_file(p, "datetime;Accel RMS;Current;anomaly\r\n"
                      "2020-03-09 10:14:33;0,0265;1,33;0\r\n"
                      "2020-03-09 10:14:34;0,0261;1,35;1\r\n"
                      "2020-03-09 10:14:35;0,0270;1,31;1\r\n"
                      "2020-03-09 10:14:36;0,0275;1,30;0\r\n");
    snprintf(args, sizeof args, "ingest %s -o %s --decimal-comma --class valve", p, h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    gt_recording *r = read_one(h5, "w");
    ck_assert_uint_eq(r->n, 4);
    ck_assert_int_eq(r->nch, 2);
    ck_assert(r->rate_hz == 1.0 && !r->time_ns);
    ck_assert_str_eq(r->cls, "valve");
    int a = channel(r, "Accel_RMS");
    ck_assert(r->values[(size_t)a * 4 + 1] == 0.0261f);
    ck_assert_int_eq(r->nlabels, 1);
    ck_assert_str_eq(r->label_names[0], "anomaly");
    ck_assert_mem_eq(r->labels, "\0\1\1\0", 4);
    gt_recording_free(r);

    /* raw little-endian float32, two interleaved channels */
    snprintf(p, sizeof p, "%s/v.f32", d);
    FILE *f = fopen(p, "wb");
    float x[6] = {1.5f, -2, 3.25f, 4, 5, -6e-7f};
    ck_assert_uint_eq(fwrite(x, sizeof x, 1, f), 1);
    fclose(f);
    snprintf(args, sizeof args, "ingest %s -o %s --force --channels 2", p, h5);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 1);
    ck_assert_msg(strstr(out, "need --rate"), "%s", out);
    snprintf(args, sizeof args, "ingest %s -o %s --force --channels 2 --rate 25600", p, h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    r = read_one(h5, "v");
    ck_assert_uint_eq(r->n, 3);
    ck_assert(r->rate_hz == 25600 && r->values[0] == 1.5f && r->values[2] == 5 &&
              r->values[3] == -2 && r->values[5] == -6e-7f);
    gt_recording_free(r);
    snprintf(args, sizeof args, "ingest %s -o %s --force --channels 4 --rate 1", p, h5);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 1);
    ck_assert_msg(strstr(out, "v.f32") && strstr(out, "24 bytes"), "%s", out);
    gtt_rmdir(d);
    free(d);
}
END_TEST

/* Several exports of one historian become one recording in time order;
 * the overlap is dropped and reported. */
START_TEST(merged_exports_append_in_time_order)
{
    char *d = gtt_tmpdir(), a[512], b[512], h5[512], args[2048];
    snprintf(a, sizeof a, "%s/jan.csv", d);
    snprintf(b, sizeof b, "%s/feb.csv", d);
    snprintf(h5, sizeof h5, "%s/s.h5", d);
    gtt_write_file(a, "time,P,T\n2024-01-31 23:59:58,1,10\n2024-01-31 23:59:59,2,11\n");
    gtt_write_file(b, "time,P,T\n2024-01-31 23:59:59,99,99\n2024-02-01 00:00:00,3,12\n"
                      "2024-02-01 00:00:01,4,13\n");
    snprintf(args, sizeof args, "ingest %s %s --merge --name plant -o %s", b, a, h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    ck_assert_msg(strstr(out, "overlaps") && strstr(out, "dropped 1 rows") &&
                  strstr(out, "2024-01-31T23:59:59Z"), "%s", out);
    gt_recording *r = read_one(h5, "plant");
    ck_assert_uint_eq(r->n, 4);
    ck_assert(r->rate_hz == 1.0 && r->t0_ns == iso("2024-01-31 23:59:58"));
    int p = channel(r, "P");
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(r->values[(size_t)p * 4 + (size_t)i], (float)(i + 1));
    gt_recording_free(r);
    gtt_rmdir(d);
    free(d);
}
END_TEST

/* Each bad file: a non-zero exit, a message naming the file (and line), no
 * store written, the existing one untouched, no temporary file left. */
START_TEST(bad_input_is_named_and_leaves_nothing)
{
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"time,a\n2024-01-01 00:00:00,1\n2024-01-01 00:00:01,abc\n", "bad.csv:3"},
        {"time,a\n2024-01-01 00:00:00,1\n2024-01-01 00:00:01,nan\n", "bad.csv:3"},
        {"time,a\n2024-01-01 00:00:00,1\n2024-01-01 00:00:01,inf\n", "bad.csv:3"},
        {"time,a\n2024-01-01 00:00:05,1\n2024-01-01 00:00:01,2\n", "bad.csv:3"},
        {"time,a\n2024-01-01 00:00:05,1\n2024-01-01 00:00:05,2\n", "bad.csv:3"},
        {"time,a,b\n2024-01-01 00:00:05,1,2\n2024-01-01 00:00:06,2\n", "bad.csv:3"},
        {"", "bad.csv"},
        {"time,a\n", "bad.csv"},
    };
    char *d = gtt_tmpdir(), csv[512], h5[512], args[2048];
    snprintf(csv, sizeof csv, "%s/bad.csv", d);
    snprintf(h5, sizeof h5, "%s/s.h5", d);
    gtt_write_file(h5, "keep me");
    struct stat before;
    ck_assert_int_eq(stat(h5, &before), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gtt_write_file(csv, cases[i].text);
        snprintf(args, sizeof args, "ingest %s -o %s --force", csv, h5);
        int rc = gtt_tool_run(out, sizeof out, args);
        ck_assert_msg(rc != 0, "case %zu accepted: %s", i, out);
        ck_assert_msg(strstr(out, cases[i].expect), "case %zu: '%s' not in: %s", i,
                      cases[i].expect, out);
        struct stat now;
        ck_assert_int_eq(stat(h5, &now), 0);
        ck_assert_int_eq(now.st_size, before.st_size);
        ck_assert_int_eq(gtt_count_tmp_files(d), 0);
    }
    /* --skip-bad turns row errors into a counted warning */
    gtt_write_file(csv, "time,a\n2024-01-01 00:00:00,1\n2024-01-01 00:00:01,abc\n"
                        "2024-01-01 00:00:02,3\n");
    snprintf(args, sizeof args, "ingest %s -o %s --force --skip-bad", csv, h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    ck_assert_msg(strstr(out, "skipped 1 of 3 lines") && strstr(out, "bad.csv:3"), "%s", out);
    gt_recording *r = read_one(h5, "bad");
    ck_assert_uint_eq(r->n, 2);
    gt_recording_free(r);
    /* an existing store is not replaced without --force */
    snprintf(args, sizeof args, "ingest %s -o %s", csv, h5);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 1);
    ck_assert_msg(strstr(out, "exists"), "%s", out);
    /* a missing .mat variable and a truncated .mat */
    char mat[600];
    if (gtt_dataset_path(mat, sizeof mat, "cwru/12k_DE/IR007_0.mat") == 0) {
        snprintf(args, sizeof args, "ingest '%s' -o %s --force --rate 12000 --vars X999_DE_time",
                 mat, h5);
        ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 1);
        ck_assert_msg(strstr(out, "X999_DE_time") && strstr(out, "IR007_0.mat"), "%s", out);
        char cut[512];
        snprintf(cut, sizeof cut, "%s/cut.mat", d);
        snprintf(args, sizeof args, "head -c 100000 '%s' > %s", mat, cut);
        ck_assert_int_eq(system(args), 0);
        snprintf(args, sizeof args, "ingest %s -o %s --force --rate 12000", cut, h5);
        ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 1);
        ck_assert_msg(strstr(out, "cut.mat"), "%s", out);
    }
    ck_assert_int_eq(gtt_count_tmp_files(d), 0);
    gtt_rmdir(d);
    free(d);
}
END_TEST

START_TEST(featurize_windows_normalises_and_refuses_mismatches)
{
    char *d = gtt_tmpdir(), raw[512], h5[512], fh5[512], f2[512], args[2048];
    snprintf(raw, sizeof raw, "%s/x.f32", d);
    snprintf(h5, sizeof h5, "%s/s.h5", d);
    snprintf(fh5, sizeof fh5, "%s/f.h5", d);
    snprintf(f2, sizeof f2, "%s/f2.h5", d);
    /* a 250 Hz tone at 4 kHz, mean 3, amplitude 2 */
    const size_t n = 8192;
    float *x = gtt_falloc(n);
    for (size_t i = 0; i < n; i++)
        x[i] = 3.0f + 2.0f * (float)sin(2 * 3.14159265358979 * 250.0 * (double)i / 4000.0);
    FILE *f = fopen(raw, "wb");
    ck_assert_uint_eq(fwrite(x, sizeof(float), n, f), n);
    fclose(f);
    snprintf(args, sizeof args, "ingest %s -o %s --rate 4000", raw, h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    snprintf(args, sizeof args,
             "featurize %s -o %s --window 256 --hop 128 --features raw,spectrum,envelope", h5, fh5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    ck_assert_msg(strstr(out, "63 windows"), "%s", out);
    gt_error err = {0};
    gt_h5 *h;
    ck_assert_msg(gt_h5_open(&h, fh5, "gantry-features", 1, NULL, &err) == GT_OK, "%s", err.msg);
    float *c, *s, *sp, *hz, *rw;
    size_t nc, ns, nsp, nhz, nrw, dims[8];
    int nd;
    ck_assert_int_eq(gt_h5_read_floats(h, "norm/center", &c, &nc, NULL, NULL, &err), GT_OK);
    ck_assert_int_eq(gt_h5_read_floats(h, "norm/scale", &s, &ns, NULL, NULL, &err), GT_OK);
    ck_assert_float_eq_tol(c[0], 3.0f, 1e-4f);
    ck_assert_float_eq_tol(s[0], 1.41421356f, 1e-3f); /* std of a sine of amplitude 2 */
    ck_assert_int_eq(gt_h5_read_floats(h, "features/raw", &rw, &nrw, &nd, dims, &err), GT_OK);
    ck_assert(nd == 3 && dims[0] == 63 && dims[1] == 1 && dims[2] == 256);
    ck_assert_float_eq_tol(rw[256 + 5], (x[128 + 5] - c[0]) / s[0], 1e-5f);
    ck_assert_int_eq(gt_h5_read_floats(h, "features/spectrum", &sp, &nsp, &nd, dims, &err), GT_OK);
    ck_assert(nd == 3 && dims[2] == 129);
    ck_assert_int_eq(gt_h5_read_floats(h, "features/spectrum_freq_hz", &hz, &nhz, NULL, NULL, &err),
                     GT_OK);
    int peak = 0;
    for (int j = 1; j < 129; j++)
        if (sp[j] > sp[peak])
            peak = j;
    ck_assert_float_eq_tol(hz[peak], 250.0f, 4000.0f / 256);
    free(c), free(s), free(sp), free(hz), free(rw);
    gt_h5_close(h);

    /* new data scaled with the first file's statistics */
    for (size_t i = 0; i < n; i++)
        x[i] = 10.0f * x[i];
    f = fopen(raw, "wb");
    ck_assert_uint_eq(fwrite(x, sizeof(float), n, f), n);
    fclose(f);
    snprintf(args, sizeof args, "ingest %s -o %s --rate 4000 --force", raw, h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    snprintf(args, sizeof args, "featurize %s -o %s --window 256 --features raw --stats-from %s",
             h5, f2, fh5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    ck_assert_int_eq(gt_h5_open(&h, f2, "gantry-features", 1, NULL, &err), GT_OK);
    ck_assert_int_eq(gt_h5_read_floats(h, "norm/center", &c, &nc, NULL, NULL, &err), GT_OK);
    ck_assert_float_eq_tol(c[0], 3.0f, 1e-4f);
    free(c);
    gt_h5_close(h);
    /* refusals: a channel the store lacks, an existing output */
    snprintf(args, sizeof args, "featurize %s -o %s --channels value,DE --force", h5, f2);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 1);
    ck_assert_msg(strstr(out, "no channel DE (it has value)"), "%s", out);
    snprintf(args, sizeof args, "featurize %s -o %s", h5, f2);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 1);
    ck_assert_msg(strstr(out, "exists"), "%s", out);
    snprintf(args, sizeof args, "featurize %s -o %s --force --window 100000", h5, f2);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 1);
    ck_assert_msg(strstr(out, "no windows"), "%s", out);
    ck_assert_int_eq(gtt_count_tmp_files(d), 0);
    free(x);
    gtt_rmdir(d);
    free(d);
}
END_TEST

/* Every shared historian-style file ingests without options beyond what
 * the dataset's documentation says (C-MAPSS: its unit column). */
START_TEST(every_shared_table_ingests)
{
    char base[600];
    if (gtt_dataset_path(base, sizeof base, "nab/data") != 0)
        return;
    char *d = gtt_tmpdir(), args[8192], h5[512];
    snprintf(h5, sizeof h5, "%s/s.h5", d);
    const char *ds = base;
    char root[600];
    snprintf(root, sizeof root, "%.*s", (int)(strlen(ds) - strlen("/nab/data")), ds);
    struct {
        const char *args;
        int min_recordings;
    } runs[] = {
        /* ec2_request_latency repeats a timestamp at line 559 (the DST change) */
        {"'%s'/nab/data/*/*.csv --nab-labels '%s'/nab/labels/combined_windows.json --skip-bad",
         18},
        {"'%s'/skab/data/*/*.csv", 17},
        {"'%s'/ims_features/*.csv", 3},
        {"'%s'/cmapss/train_FD001.txt --segment-column 1", 100},
        {"'%s'/cwru/12k_DE/*.mat --rate 12000", 9},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        char what[4096];
        snprintf(what, sizeof what, runs[i].args, root, root);
        snprintf(args, sizeof args, "ingest %s -o %s --force", what, h5);
        ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s\n%s", args, out);
        gt_error err = {0};
        gt_store *s;
        ck_assert_int_eq(gt_store_open(&s, h5, &err), GT_OK);
        ck_assert_msg(gt_store_count(s) >= runs[i].min_recordings, "%s: %d recordings", args,
                      gt_store_count(s));
        gt_store_close(s);
    }
    /* spot checks against the text */
    snprintf(args, sizeof args,
             "ingest '%s'/nab/data/realKnownCause/nyc_taxi.csv --nab-labels "
             "'%s'/nab/labels/combined_windows.json -o %s --force", root, root, h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    gt_recording *r = read_one(h5, "nyc_taxi");
    ck_assert_uint_eq(r->n, 10320);
    ck_assert(r->rate_hz == 1.0 / 1800 && r->values[0] == 10844 && r->values[1] == 8127);
    ck_assert(r->t0_ns == iso("2014-07-01 00:00:00"));
    ck_assert_int_eq(r->nlabels, 1);
    size_t runs_seen = 0;
    for (size_t i = 0; i < r->n; i++)
        runs_seen += r->labels[i] && (i == 0 || !r->labels[i - 1]);
    ck_assert_uint_eq(runs_seen, 5); /* NAB lists five windows for nyc_taxi */
    gt_recording_free(r);
    snprintf(args, sizeof args, "ingest '%s'/skab/data/valve1/0.csv -o %s --force", root, h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    r = read_one(h5, "0");
    ck_assert_uint_eq(r->n, 1147);
    ck_assert_int_eq(r->nch, 8);
    ck_assert_int_eq(r->nlabels, 2);
    ck_assert(r->values[(size_t)channel(r, "Accelerometer1RMS") * r->n] == 0.0265878f);
    gt_recording_free(r);
    gtt_rmdir(d);
    free(d);
}
END_TEST

/* The line featurize prints for a recording ends with the defect that
 * stands out. */
static void assert_strongest(const char *text, const char *rec, const char *defect)
{
    const char *p = strstr(text, rec);
    ck_assert_msg(p, "no line for %s in:\n%s", rec, text);
    const char *eol = strchr(p, '\n');
    size_t k = strlen(defect);
    ck_assert_msg(eol && (size_t)(eol - p) > k && !strncmp(eol - k, defect, k) && eol[-k - 1] == ' ',
                  "%s: expected %s to stand out:\n%s", rec, defect, text);
}

START_TEST(featurize_finds_cwru_defect_frequencies)
{
    char ir[600], orr[600], b[600];
    if (gtt_dataset_path(ir, sizeof ir, "cwru/12k_DE/IR007_0.mat") ||
        gtt_dataset_path(orr, sizeof orr, "cwru/12k_DE/OR021@6_0.mat") ||
        gtt_dataset_path(b, sizeof b, "cwru/12k_DE/B021_0.mat"))
        return;
    char *d = gtt_tmpdir(), h5[512], f[512], args[4096];
    snprintf(h5, sizeof h5, "%s/c.h5", d);
    snprintf(f, sizeof f, "%s/f.h5", d);
    snprintf(args, sizeof args, "ingest '%s' '%s' '%s' --rate 12000 -o %s", ir, orr, b, h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    snprintf(args, sizeof args, "featurize %s -o %s --window 8192 --channels DE_time "
             "--features envelope --bearing 6205-2RS", h5, f);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    assert_strongest(out, "IR007_0", "BPFI");
    assert_strongest(out, "OR021_6_0", "BPFO");
    /* the ball fault stands out only in its resonance band (the band of
     * highest spectral kurtosis, 2.8-3.2 kHz) */
    snprintf(args, sizeof args, "featurize %s -o %s --force --window 8192 --channels DE_time "
             "--features envelope --bearing 6205-2RS --recordings B021_0 --band 2812:3188", h5, f);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    assert_strongest(out, "B021_0", "BSF");
    gtt_rmdir(d);
    free(d);
}
END_TEST

GTT_SUITE(gt_test_ingest_suite)
{
    Suite *s = suite_create("ingest");
    TCase *tc = tcase_create("ingest");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, long_historian_export_round_trips);
    tcase_add_test(tc, wide_files_labels_and_raw_samples);
    tcase_add_test(tc, merged_exports_append_in_time_order);
    tcase_add_test(tc, bad_input_is_named_and_leaves_nothing);
    tcase_add_test(tc, featurize_windows_normalises_and_refuses_mismatches);
    tcase_add_test(tc, every_shared_table_ingests);
    tcase_add_test(tc, featurize_finds_cwru_defect_frequencies);
    suite_add_tcase(s, tc);
    return s;
}
