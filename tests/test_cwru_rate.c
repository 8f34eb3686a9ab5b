/* CWRU's normal baseline (Normal_0.mat, X097_DE_time, 1796 rpm): 12 kHz or
 * 48 kHz?  Decided from the data: under the right rate the spectrum holds
 * the shaft harmonics at whole orders of 1796 / 60 = 29.93 Hz and nothing at
 * quarter orders; read at 12 kHz, a 48 kHz recording puts its shaft lines at
 * quarter orders (7.48 Hz apart).  The strongest line near 30 Hz does not
 * decide it: the 120 Hz mains line of a 48 kHz recording lands at 30.0 Hz
 * when read at 12 kHz.  The 12 kHz fault files (same rig, same speed) are the
 * control, and their low-frequency lines must match the baseline's once it
 * is resampled to 12 kHz. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/gantry.h"
#include "gantry/resample_rate.h"
#include "testutil.h"

enum { SEG = 16384 };

typedef struct rec {
    float *x;
    size_t n;
    double shaft_hz;
} rec;

static int load(rec *r, const char *file)
{
    char path[1024];
    memset(r, 0, sizeof *r);
    if (gtt_dataset_path(path, sizeof path, file) < 0)
        return -1;
    gt_error err = {0};
    double rpm = 0;
    ck_assert_msg(gt_mat_read_vector(path, "*_DE_time", &r->x, &r->n, NULL, 0, &err) == GT_OK,
                  "%s", err.msg);
    ck_assert_msg(gt_mat_read_scalar(path, "*RPM", &rpm, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(rpm > 1700 && rpm < 1800, "%s: %g rpm", file, rpm);
    r->shaft_hz = rpm / 60;
    return 0;
}

static void scores(const rec *r, double *s12, double *s48)
{
    gt_error err = {0};
    ck_assert_msg(gt_shaft_rate_score(r->x, r->n, 12000, r->shaft_hz, s12, &err) == GT_OK, "%s",
                  err.msg);
    ck_assert_msg(gt_shaft_rate_score(r->x, r->n, 48000, r->shaft_hz, s48, &err) == GT_OK, "%s",
                  err.msg);
}

START_TEST(normal_baseline_is_48k)
{
    rec r;
    if (load(&r, "cwru/Normal/Normal_0.mat") < 0)
        return;
    double s12, s48;
    scores(&r, &s12, &s48);
    printf("cwru_rate: Normal_0 (%zu samples, %.3f Hz shaft): comb score %.2f at 12 kHz, "
           "%.2f at 48 kHz\n", r.n, r.shaft_hz, s12, s48);
    ck_assert_msg(s48 > 10 && s12 < 3 && s48 > 10 * s12,
                  "Normal_0: comb score 12 kHz %.2f, 48 kHz %.2f: not clearly 48 kHz", s12, s48);
    free(r.x);
}
END_TEST

START_TEST(fault_files_are_12k)
{
    /* The control: the same check must call the 12 kHz files 12 kHz. */
    const char *files[] = {"cwru/12k_DE/B007_0.mat", "cwru/12k_DE/IR007_0.mat",
                           "cwru/12k_DE/OR007@6_0.mat"};
    for (int i = 0; i < 3; i++) {
        rec r;
        if (load(&r, files[i]) < 0)
            continue;
        double s12, s48;
        scores(&r, &s12, &s48);
        printf("cwru_rate: %s: comb score %.2f at 12 kHz, %.2f at 48 kHz\n", files[i], s12, s48);
        ck_assert_msg(s12 > 10 && s48 < 5 && s12 > 10 * s48,
                      "%s: comb score 12 kHz %.2f, 48 kHz %.2f: not clearly 12 kHz", files[i],
                      s12, s48);
        free(r.x);
    }
}
END_TEST

/* Mean power spectrum (SEG / 2 + 1 bins) of Hann-windowed half-overlapping
 * segments, each with its mean removed. */
static float *spectrum(const float *x, size_t n)
{
    size_t segs = (n - SEG) / (SEG / 2) + 1;
    float *rows = gtt_falloc(segs * SEG), *psd = gtt_falloc(SEG / 2 + 1);
    for (size_t s = 0; s < segs; s++) {
        const float *src = x + s * (SEG / 2);
        double mean = 0;
        for (int i = 0; i < SEG; i++)
            mean += src[i];
        mean /= SEG;
        for (int i = 0; i < SEG; i++)
            rows[s * SEG + i] =
                (float)((src[i] - mean) * (0.5 - 0.5 * cos(6.283185307179586 * i / SEG)));
    }
    gt_error err = {0};
    ck_assert_msg(gt_power_spectrum_mean(psd, rows, (int)segs, SEG, &err) == GT_OK, "%s", err.msg);
    free(rows);
    return psd;
}

/* Frequency of the strongest bin in [lo, hi] Hz, and its power. */
static double strongest(const float *psd, double rate, double lo, double hi, double *power)
{
    const double hz = rate / SEG;
    int best = (int)ceil(lo / hz);
    for (int k = best; k <= (int)(hi / hz); k++)
        if (psd[k] > psd[best])
            best = k;
    *power = psd[best];
    return best * hz;
}

START_TEST(resampled_baseline_matches_12k_files)
{
    rec nr, b;
    if (load(&nr, "cwru/Normal/Normal_0.mat") < 0 || load(&b, "cwru/12k_DE/B007_0.mat") < 0) {
        free(nr.x);
        return;
    }
    gt_error err = {0};
    float *y = NULL;
    size_t ny = 0;
    ck_assert_msg(gt_resample_rate(nr.x, nr.n, 48000, 12000, &y, &ny, &err) == GT_OK, "%s",
                  err.msg);
    ck_assert_uint_eq(ny, (size_t)llround(nr.n / 4.0));
    double s12 = 0;
    ck_assert_int_eq(gt_shaft_rate_score(y, ny, 12000, nr.shaft_hz, &s12, &err), GT_OK);
    ck_assert_msg(s12 > 10, "resampled to 12 kHz, comb score %.2f", s12);

    const double hz = 12000.0 / SEG;
    float *pn = spectrum(y, ny), *praw = spectrum(nr.x, nr.n), *pb = spectrum(b.x, b.n);
    double pw[6];
    double f_n = strongest(pn, 12000, 20, 40, &pw[0]);
    double f_b = strongest(pb, 12000, 20, 40, &pw[1]);
    double f_raw = strongest(praw, 12000, 20, 40, &pw[2]);
    /* A line the rig shows at 107.6 Hz (3.6 orders) in every 12 kHz file. */
    double g_n = strongest(pn, 12000, 100, 115, &pw[3]);
    double g_b = strongest(pb, 12000, 100, 115, &pw[4]);
    double g_raw = strongest(praw, 12000, 100, 115, &pw[5]);
    printf("cwru_rate: strongest 20-40 Hz line (bin %.3f Hz): Normal_0 resampled 48->12 kHz "
           "%.2f Hz (%.3g), B007_0 %.2f Hz (%.3g), Normal_0 read as 12 kHz %.2f Hz (%.3g)\n",
           hz, f_n, pw[0], f_b, pw[1], f_raw, pw[2]);
    printf("cwru_rate: strongest 100-115 Hz line: resampled %.2f Hz (%.3g), B007_0 %.2f Hz "
           "(%.3g), read as 12 kHz %.2f Hz (%.3g)\n",
           g_n, pw[3], g_b, pw[4], g_raw, pw[5]);
    ck_assert_msg(fabs(f_n - nr.shaft_hz) <= hz, "resampled baseline: shaft line at %.2f Hz, "
                  "want %.2f", f_n, nr.shaft_hz);
    ck_assert_msg(fabs(f_b - b.shaft_hz) <= hz, "B007_0: shaft line at %.2f Hz, want %.2f", f_b,
                  b.shaft_hz);
    ck_assert_msg(fabs(g_n - g_b) <= hz, "107 Hz line: resampled baseline %.2f Hz, B007_0 %.2f Hz",
                  g_n, g_b);
    /* Read as 12 kHz the baseline's lines move 4x down: the shaft line to
     * 7.48 Hz, and neither the 30 Hz nor the 107.6 Hz line is the strongest. */
    double p_q, f_q = strongest(praw, 12000, 5, 10, &p_q);
    printf("cwru_rate: read as 12 kHz, strongest 5-10 Hz line %.2f Hz (%.3g)\n", f_q, p_q);
    ck_assert_msg(fabs(f_q - nr.shaft_hz / 4) <= hz, "read as 12 kHz: 5-10 Hz line at %.2f Hz",
                  f_q);
    ck_assert_msg(fabs(f_raw - nr.shaft_hz) > 2 * hz, "read as 12 kHz, the baseline's strongest "
                  "20-40 Hz line is at %.2f Hz too", f_raw);
    ck_assert_msg(fabs(g_raw - g_b) > 2 * hz, "read as 12 kHz, the baseline also has %.2f Hz",
                  g_raw);
    free(pn);
    free(praw);
    free(pb);
    free(y);
    free(nr.x);
    free(b.x);
}
END_TEST

START_TEST(score_refuses_bad_input)
{
    float x[100] = {0};
    double s = 1;
    gt_error err = {0};
    ck_assert_int_eq(gt_shaft_rate_score(x, 100, 12000, 29.93, &s, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "100 samples") != NULL, "%s", err.msg);
    ck_assert_int_eq(gt_shaft_rate_score(x, 100, 12000, 0, &s, &err), GT_EINVAL);
    ck_assert_int_eq(gt_shaft_rate_score(x, 100, 100, 29.93, &s, &err), GT_EINVAL);
}
END_TEST

GTT_SUITE(gt_test_cwru_rate_suite)
{
    Suite *s = suite_create("cwru_rate");
    TCase *tc = tcase_create("cwru_rate");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, normal_baseline_is_48k);
    tcase_add_test(tc, fault_files_are_12k);
    tcase_add_test(tc, resampled_baseline_matches_12k_files);
    tcase_add_test(tc, score_refuses_bad_input);
    suite_add_tcase(s, tc);
    return s;
}
