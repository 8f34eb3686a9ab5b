/* gantry simulate bearing: exit codes, the store it writes (read back),
 * determinism, no overwriting unasked, envelope spectra at the defect
 * frequencies, and the run to failure's label track. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gantry/gantry.h"
#include "gantry/store.h"
#include "testutil.h"

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static gt_recording *read_rec(const char *path, const char *name)
{
    gt_error err = {0};
    gt_store *s = NULL;
    ck_assert_msg(gt_store_open(&s, path, &err) == GT_OK, "%s", err.msg);
    gt_recording *r = NULL;
    ck_assert_msg(gt_store_read(s, name, &r, &err) == GT_OK, "%s", err.msg);
    gt_store_close(s);
    return r;
}

static int path_exists_(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

START_TEST(usage_and_errors)
{
    char out[8192];
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "simulate --help"), 0);
    ck_assert_msg(strstr(out, "usage: gantry simulate bearing") && strstr(out, "onset"), "%s",
                  out);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "--help"), 0);
    ck_assert_msg(strstr(out, "simulate") != NULL, "%s", out);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "simulate"), 2);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "simulate gearbox -o /tmp/x.h5"), 2);
    ck_assert_msg(strstr(out, "gearbox") != NULL, "%s", out);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "simulate bearing"), 2);
    ck_assert_msg(strstr(out, "-o") != NULL, "%s", out);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "simulate bearing -o /tmp/x.h5 --faults normal,cracked"),
                     2);
    ck_assert_msg(strstr(out, "cracked") && strstr(out, "inner_race"), "%s", out);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "simulate bearing -o /tmp/x.h5 --seconds -1"), 2);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "simulate bearing -o /tmp/x.h5 --bearing 6206"), 2);
    ck_assert_msg(strstr(out, "6205-2RS") != NULL, "%s", out);
    ck_assert_int_eq(
        gtt_tool_run(out, sizeof out, "simulate bearing -o /tmp/x.h5 --run-to-failure 5 --fault normal"), 2);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "simulate bearing -o /tmp/x.h5 --t0 yesterday"), 2);
    ck_assert_msg(strstr(out, "yesterday") != NULL, "%s", out);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "simulate bearing -o /tmp/x.h5 --rate 900"), 2);
    ck_assert_msg(strstr(out, "BPFI") && !path_exists_("/tmp/x.h5"), "%s", out);
    /* A directory that does not exist: exit 1, nothing written. */
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "simulate bearing -o /nonexistent-gantry/x.h5"), 1);
    ck_assert_msg(strstr(out, "/nonexistent-gantry/x.h5") != NULL, "%s", out);
}
END_TEST

START_TEST(store_reads_back_and_is_never_overwritten)
{
    char *dir = gtt_tmpdir(), path[1100], args[1400], out[8192];
    snprintf(path, sizeof path, "%s/sim.h5", dir);
    snprintf(args, sizeof args, "simulate bearing -o %s --seconds 2 --seed 7", path);
    int rc = gtt_tool_run(out, sizeof out, args);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    /* The summary names the recordings and the defect frequencies (BPFI
     * of the 6205-2RS at 1797 rpm: 5.4152 x 29.95 = 162.19 Hz). */
    ck_assert_msg(strstr(out, "sim_inner_race") && strstr(out, "BPFI 162.19") &&
                      strstr(out, "BPFO 107.36"),
                  "%s", out);

    gt_error err = {0};
    gt_store *s = NULL;
    ck_assert_msg(gt_store_open(&s, path, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(gt_store_count(s), 4);
    const char *names[4] = {"sim_ball", "sim_inner_race", "sim_normal", "sim_outer_race"};
    const char *cls[4] = {"ball", "inner_race", "normal", "outer_race"};
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(gt_store_name(s, i), names[i]);
        gt_recording *r = NULL;
        ck_assert_msg(gt_store_read(s, names[i], &r, &err) == GT_OK, "%s", err.msg);
        ck_assert_str_eq(r->cls, cls[i]);
        ck_assert_int_eq(r->nch, 1);
        ck_assert_str_eq(r->channels[0], "DE_accel");
        ck_assert_str_eq(r->units[0], "g");
        ck_assert_uint_eq(r->n, 24000);
        ck_assert(r->rate_hz == 12000 && r->rpm == 1797);
        ck_assert(r->has_t0 && r->t0_ns == 1767225600LL * 1000000000LL);
        ck_assert_msg(strstr(r->source, "gantry simulate bearing") && strstr(r->source, "seed=7"),
                      "%s", r->source);
        ck_assert_int_eq(r->nlabels, 0);
        double ss = 0;
        for (size_t k = 0; k < r->n; k++)
            ss += (double)r->values[k] * r->values[k];
        ck_assert_msg(ss > 0 && isfinite(ss), "%s: energy %g", names[i], ss);
        gt_recording_free(r);
    }
    gt_store_close(s);

    /* Again: refused, the file untouched, no temporary left. */
    struct stat a, b;
    ck_assert_int_eq(stat(path, &a), 0);
    snprintf(args, sizeof args, "simulate bearing -o %s --seconds 1 --seed 8", path);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 1);
    ck_assert_msg(strstr(out, "exists") && strstr(out, "--force"), "%s", out);
    ck_assert_int_eq(stat(path, &b), 0);
    ck_assert(a.st_size == b.st_size && a.st_mtime == b.st_mtime && a.st_ino == b.st_ino);
    ck_assert_int_eq(count_files(dir), 1);
    /* With --force it is replaced. */
    snprintf(args, sizeof args, "simulate bearing -o %s --seconds 1 --faults ball --force", path);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 0);
    ck_assert_msg(gt_store_open(&s, path, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(gt_store_count(s), 1);
    gt_store_close(s);
    ck_assert_int_eq(count_files(dir), 1);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(same_seed_same_values)
{
    char *dir = gtt_tmpdir(), p[3][1100], args[4096], out[8192];
    const int seeds[3] = {5, 5, 6};
    for (int i = 0; i < 3; i++) {
        snprintf(p[i], sizeof p[i], "%s/s%d.h5", dir, i);
        snprintf(args, sizeof args,
                 "simulate bearing -o %s --seconds 1 --faults inner_race,normal --seed %d "
                 "--run-to-failure 2",
                 p[i], seeds[i]);
        ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 0);
    }
    const char *names[3] = {"sim_inner_race", "sim_normal", "sim_run_to_failure"};
    for (int k = 0; k < 3; k++) {
        gt_recording *r0 = read_rec(p[0], names[k]), *r1 = read_rec(p[1], names[k]),
                     *r2 = read_rec(p[2], names[k]);
        ck_assert_uint_eq(r0->n, r1->n);
        ck_assert_msg(memcmp(r0->values, r1->values, r0->n * sizeof(float)) == 0,
                      "%s: same seed, different values", names[k]);
        ck_assert_msg(memcmp(r0->values, r2->values, r0->n * sizeof(float)) != 0,
                      "%s: seeds 5 and 6 give the same values", names[k]);
        gt_recording_free(r0);
        gt_recording_free(r1);
        gt_recording_free(r2);
    }
    /* Recordings of one store do not share their noise. */
    gt_recording *a = read_rec(p[0], "sim_normal"), *b = read_rec(p[0], "sim_inner_race");
    double dot = 0, na = 0, nb = 0;
    for (size_t i = 0; i < a->n; i++) {
        dot += (double)a->values[i] * b->values[i];
        na += (double)a->values[i] * a->values[i];
        nb += (double)b->values[i] * b->values[i];
    }
    ck_assert_msg(fabs(dot) < 0.1 * sqrt(na * nb), "normal and inner race correlate: %g",
                  dot / sqrt(na * nb));
    gt_recording_free(a);
    gt_recording_free(b);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

/* Frequency of the strongest envelope line between 10 and 500 Hz. */
static double envelope_peak(const float *acc, double rate)
{
    const double hz = rate / GTT_ENV_SEG;
    int best = (int)(10 / hz);
    for (int k = best; k <= (int)(500 / hz); k++)
        if (acc[k] > acc[best])
            best = k;
    return best * hz;
}

START_TEST(envelope_peaks_at_defect_frequencies)
{
    char *dir = gtt_tmpdir(), path[1100], args[1400], out[8192];
    snprintf(path, sizeof path, "%s/sim.h5", dir);
    snprintf(args, sizeof args, "simulate bearing -o %s --seconds 4 --seed 3", path);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 0);
    gt_bearing b;
    gt_bearing_freqs f;
    gt_error err = {0};
    ck_assert_int_eq(gt_bearing_preset("6205-2RS", &b, &err), GT_OK);
    ck_assert_int_eq(gt_bearing_frequencies(&b, 1797 / 60.0, &f, &err), GT_OK);
    const double rate = 12000, hz = rate / GTT_ENV_SEG;
    float *acc = gtt_falloc(GTT_ENV_SEG / 2 + 1);
    static const struct {
        const char *name;
        int which; /* 0 BPFI, 1 BPFO, 2 BSF or 2 x BSF */
    } cases[] = {{"sim_inner_race", 0}, {"sim_outer_race", 1}, {"sim_ball", 2}};
    for (int c = 0; c < 3; c++) {
        gt_recording *r = read_rec(path, cases[c].name);
        gtt_mean_envelope(acc, r->values, r->n, rate, 0, 0);
        double pk = envelope_peak(acc, rate);
        int ok = cases[c].which == 0   ? fabs(pk - f.bpfi) <= hz
                 : cases[c].which == 1 ? fabs(pk - f.bpfo) <= hz
                                       : fabs(pk - f.bsf) <= hz || fabs(pk - 2 * f.bsf) <= hz;
        ck_assert_msg(ok, "%s: envelope peak at %.2f Hz (BPFI %.2f, BPFO %.2f, BSF %.2f)",
                      cases[c].name, pk, f.bpfi, f.bpfo, f.bsf);
        gt_recording_free(r);
    }
    /* The normal recording shows none of them. */
    gt_recording *r = read_rec(path, "sim_normal");
    gtt_mean_envelope(acc, r->values, r->n, rate, 0, 0);
    double pi = gtt_prominence(acc, rate, f.bpfi), po = gtt_prominence(acc, rate, f.bpfo),
           pb = gtt_prominence(acc, rate, 2 * f.bsf);
    ck_assert_msg(pi < 10 && po < 10 && pb < 10, "normal: BPFI %.1f, BPFO %.1f, 2xBSF %.1f",
                  pi, po, pb);
    gt_recording_free(r);
    free(acc);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(run_to_failure_labels_the_onset)
{
    char *dir = gtt_tmpdir(), path[1100], args[1400], out[8192];
    snprintf(path, sizeof path, "%s/rtf.h5", dir);
    const double T = 20, sev_end = 2, noise = 0.1, rate = 12000;
    snprintf(args, sizeof args,
             "simulate bearing -o %s --faults normal --seconds 1 --run-to-failure %g "
             "--severity-end %g --noise %g",
             path, T, sev_end, noise);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 0);
    ck_assert_msg(strstr(out, "sim_run_to_failure") != NULL, "%s", out);
    gt_recording *r = read_rec(path, "sim_run_to_failure");
    ck_assert_uint_eq(r->n, (size_t)(T * rate));
    ck_assert_str_eq(r->cls, "outer_race");
    ck_assert_int_eq(r->nlabels, 1);
    ck_assert_str_eq(r->label_names[0], "fault");
    /* Onset as --help defines it: sev_end (t / T)^2 = noise. */
    const size_t want = (size_t)ceil(T * sqrt(noise / sev_end) * rate);
    size_t first = r->n;
    for (size_t i = 0; i < r->n; i++)
        if (r->labels[i]) {
            first = i;
            break;
        }
    ck_assert_msg(first == want, "label starts at sample %zu, want %zu", first, want);
    for (size_t i = first; i < r->n; i++)
        ck_assert_msg(r->labels[i] == 1, "label back to 0 at %zu", i);
    /* The outer-race line: absent early, present from the onset, strong at
     * the end (two-second windows). */
    gt_bearing b;
    gt_bearing_freqs f;
    gt_error err = {0};
    ck_assert_int_eq(gt_bearing_preset("6205-2RS", &b, &err), GT_OK);
    ck_assert_int_eq(gt_bearing_frequencies(&b, 1797 / 60.0, &f, &err), GT_OK);
    float *acc = gtt_falloc(GTT_ENV_SEG / 2 + 1);
    const size_t win = (size_t)(2 * rate);
    double prom[3];
    const size_t starts[3] = {(size_t)(0.5 * rate), first, r->n - win};
    for (int k = 0; k < 3; k++) {
        gtt_mean_envelope(acc, r->values + starts[k], win, rate, 0, 0);
        prom[k] = gtt_prominence(acc, rate, f.bpfo);
    }
    printf("simulate_tool: run to failure, BPFO prominence %.1f early, %.1f from the onset, "
           "%.1f at the end\n", prom[0], prom[1], prom[2]);
    ck_assert_msg(prom[0] < 5 && prom[1] > 10 && prom[2] > prom[1],
                  "BPFO prominence: early %.1f, onset %.1f, end %.1f", prom[0], prom[1], prom[2]);
    free(acc);
    gt_recording_free(r);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

GTT_SUITE(gt_test_simulate_tool_suite)
{
    Suite *s = suite_create("simulate_tool");
    TCase *tc = tcase_create("simulate_tool");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, usage_and_errors);
    tcase_add_test(tc, store_reads_back_and_is_never_overwritten);
    tcase_add_test(tc, same_seed_same_values);
    tcase_add_test(tc, envelope_peaks_at_defect_frequencies);
    tcase_add_test(tc, run_to_failure_labels_the_onset);
    suite_add_tcase(s, tc);
    return s;
}
