/* Envelope spectra and .mat reading: a synthetic fault signal, and the real
 * CWRU bearing recordings, whose envelope spectra must single out the
 * defect frequency of the damaged part. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gantry/gantry.h"
#include "testutil.h"

enum { SEG = GTT_ENV_SEG };
static const double RATE = 12000.0;

START_TEST(synthetic_impacts_show_their_rate)
{
    /* Impacts at 37 Hz ring a 3 kHz resonance (decay 2 ms) in noise: the
     * power spectrum peaks near 3 kHz, the envelope spectrum at 37 Hz. */
    const size_t n = 4 * SEG;
    float *x = gtt_falloc(n), *env = gtt_falloc(SEG / 2 + 1), *psd = gtt_falloc(SEG / 2 + 1);
    gt_rng r;
    gt_rng_seed(&r, 3);
    for (size_t i = 0; i < n; i++)
        x[i] = 0.3f * gt_rng_normal(&r);
    const double period = RATE / 37.0;
    for (double t0 = 10; t0 < n; t0 += period)
        for (size_t i = (size_t)t0; i < n && i < (size_t)t0 + 200; i++) {
            double t = (i - t0) / RATE;
            x[i] += (float)(exp(-t / 0.002) * sin(2 * 3.14159265358979 * 3000 * t));
        }
    gtt_mean_envelope(env, x, n, RATE, 0, 0);
    gt_error err = {0};
    ck_assert_int_eq(gt_power_spectrum_mean(psd, x, 1, SEG, &err), GT_OK);
    const double hz = RATE / SEG;
    int pe[1], pp[1];
    gt_spectrum_peaks(env, SEG / 2 + 1, 1, pe);
    gt_spectrum_peaks(psd, SEG / 2 + 1, 1, pp);
    ck_assert_msg(fabs(pe[0] * hz - 37.0) <= hz, "envelope peak at %.2f Hz, not 37", pe[0] * hz);
    ck_assert_msg(fabs(pp[0] * hz - 3000.0) < 300.0, "power peak at %.1f Hz, not near 3 kHz",
                  pp[0] * hz);
    /* Band-passing around the resonance keeps the 37 Hz line. */
    gtt_mean_envelope(env, x, n, RATE, 2000, 4000);
    gt_spectrum_peaks(env, SEG / 2 + 1, 1, pe);
    ck_assert_msg(fabs(pe[0] * hz - 37.0) <= hz, "band-passed envelope peak at %.2f Hz",
                  pe[0] * hz);
    ck_assert_int_eq(gt_envelope_spectrum(env, x, SEG, RATE, 4000, 2000, &err), GT_EINVAL);
    free(x);
    free(env);
    free(psd);
}
END_TEST

typedef enum { INNER, OUTER } race;

static void check_cwru(const char *file, race which)
{
    char path[1024];
    if (gtt_dataset_path(path, sizeof path, file) < 0)
        return;
    gt_error err = {0};
    float *x = NULL, *rpm = NULL;
    size_t n = 0, nr = 0;
    char var[64];
    ck_assert_msg(gt_mat_read_vector(path, "*_DE_time", &x, &n, var, sizeof var, &err) == GT_OK,
                  "%s", err.msg);
    ck_assert_msg(n > 100000, "%s: only %zu samples", file, n);
    ck_assert_msg(gt_mat_read_vector(path, "*RPM", &rpm, &nr, NULL, 0, &err) == GT_OK, "%s",
                  err.msg);
    ck_assert_uint_eq(nr, 1);
    gt_bearing b;
    gt_bearing_freqs f;
    ck_assert_int_eq(gt_bearing_preset("6205-2RS", &b, &err), GT_OK);
    ck_assert_int_eq(gt_bearing_frequencies(&b, rpm[0] / 60.0, &f, &err), GT_OK);
    float *acc = gtt_falloc(SEG / 2 + 1);
    gtt_mean_envelope(acc, x, n, RATE, 0, 0);
    double pi = gtt_prominence(acc, RATE, f.bpfi), po = gtt_prominence(acc, RATE, f.bpfo),
           pb = gtt_prominence(acc, RATE, f.bsf);
    double mine = which == INNER ? pi : po, other = which == INNER ? po : pi;
    ck_assert_msg(mine > 50 && mine > other && mine > pb,
                  "%s (%s): %s family %.1f x the median, others BPF%c %.1f, BSF %.1f", file, var,
                  which == INNER ? "BPFI" : "BPFO", mine, which == INNER ? 'O' : 'I', other, pb);
    free(acc);
    free(x);
    free(rpm);
}

START_TEST(cwru_inner_race_at_bpfi)
{
    check_cwru("cwru/12k_DE/IR007_0.mat", INNER);
    check_cwru("cwru/12k_DE/IR014_0.mat", INNER);
    check_cwru("cwru/12k_DE/IR021_0.mat", INNER);
}
END_TEST

START_TEST(cwru_outer_race_at_bpfo)
{
    check_cwru("cwru/12k_DE/OR007@6_0.mat", OUTER);
    check_cwru("cwru/12k_DE/OR021@6_0.mat", OUTER);
}
END_TEST

START_TEST(mat_errors_name_file_and_variable)
{
    char path[1024];
    if (gtt_dataset_path(path, sizeof path, "cwru/12k_DE/IR007_0.mat") < 0)
        return;
    gt_error err = {0};
    float *x = NULL;
    size_t n = 0;
    ck_assert_int_eq(gt_mat_read_vector(path, "X999_DE_time", &x, &n, NULL, 0, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "X999_DE_time") && strstr(err.msg, "X105_DE_time"),
                  "message should name the variable and list the file's: %s", err.msg);
    ck_assert_ptr_null(x);

    /* Not a MAT file, and a truncated copy of a real one: errors, no crash. */
    char dir[] = "/tmp/gantry-mat-XXXXXX", bad[1100], cmd[2300];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(bad, sizeof bad, "%s/text.mat", dir);
    FILE *f = fopen(bad, "w");
    ck_assert_ptr_nonnull(f);
    fputs("time,value\n1,2\n", f);
    fclose(f);
    ck_assert_int_lt(gt_mat_read_vector(bad, "*_DE_time", &x, &n, NULL, 0, &err), 0);
    ck_assert_msg(strstr(err.msg, bad) != NULL, "%s", err.msg);
    const long cuts[] = {100, 2000, 60000, 400000};
    for (int i = 0; i < 4; i++) {
        snprintf(bad, sizeof bad, "%s/cut%d.mat", dir, i);
        snprintf(cmd, sizeof cmd, "head -c %ld '%s' > '%s'", cuts[i], path, bad);
        ck_assert_int_eq(system(cmd), 0);
        int rc = gt_mat_read_vector(bad, "*_DE_time", &x, &n, NULL, 0, &err);
        ck_assert_msg(rc < 0, "truncated copy (%ld bytes) read as %zu values", cuts[i], n);
        ck_assert_ptr_null(x);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

GTT_SUITE(gt_test_envelope_suite)
{
    Suite *s = suite_create("envelope");
    TCase *tc = tcase_create("spectra");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, synthetic_impacts_show_their_rate);
    tcase_add_test(tc, cwru_inner_race_at_bpfi);
    tcase_add_test(tc, cwru_outer_race_at_bpfo);
    tcase_add_test(tc, mat_errors_name_file_and_variable);
    suite_add_tcase(s, tc);
    return s;
}
