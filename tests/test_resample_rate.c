/* Sample-rate conversion: tones below the new Nyquist frequency keep their
 * frequency and amplitude, tones above it vanish, lengths are as promised. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/resample_rate.h"
#include "testutil.h"

static const double two_pi = 6.283185307179586;

static float *tone(size_t n, double rate, double f, double amp, double phase)
{
    float *x = gtt_falloc(n);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * sin(two_pi * f * (double)i / rate + phase));
    return x;
}

/* Least-squares fit of a sin + b cos + c at frequency f to y[lo..hi): the
 * amplitude sqrt(a^2 + b^2), and the rms of what the fit leaves. */
static void fit_tone(const float *y, size_t lo, size_t hi, double rate, double f, double *amp,
                     double *resid)
{
    double A[3][4] = {{0}};
    for (size_t i = lo; i < hi; i++) {
        double ph = two_pi * f * (double)i / rate, b[3] = {sin(ph), cos(ph), 1};
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++)
                A[r][c] += b[r] * b[c];
            A[r][3] += b[r] * y[i];
        }
    }
    for (int c = 0; c < 3; c++) /* Gauss-Jordan; the system is well posed */
        for (int r = 0; r < 3; r++)
            if (r != c) {
                double f2 = A[r][c] / A[c][c];
                for (int k = c; k < 4; k++)
                    A[r][k] -= f2 * A[c][k];
            }
    double a = A[0][3] / A[0][0], b = A[1][3] / A[1][1], c0 = A[2][3] / A[2][2], ss = 0;
    for (size_t i = lo; i < hi; i++) {
        double ph = two_pi * f * (double)i / rate;
        double e = y[i] - (a * sin(ph) + b * cos(ph) + c0);
        ss += e * e;
    }
    *amp = sqrt(a * a + b * b);
    *resid = sqrt(ss / (double)(hi - lo));
}

static double rms(const float *y, size_t lo, size_t hi)
{
    double ss = 0;
    for (size_t i = lo; i < hi; i++)
        ss += (double)y[i] * y[i];
    return sqrt(ss / (double)(hi - lo));
}

static float *resample(const float *x, size_t n, double in, double out, size_t *ny)
{
    gt_error err = {0};
    float *y = NULL;
    ck_assert_msg(gt_resample_rate(x, n, in, out, &y, ny, &err) == GT_OK, "%s", err.msg);
    ck_assert_uint_eq(*ny, (size_t)llround((double)n * out / in));
    ck_assert_ptr_nonnull(y);
    return y;
}

/* Tones below 0.45 x the lower rate: amplitude within 0.5 %, and a fit at
 * the original frequency leaves under 0.5 % of the amplitude (a shifted
 * frequency would leave most of it). */
static void check_pass(double in, double out, double f, double amp)
{
    /* At least 20000 samples, so that 2 % is well beyond the filter's reach. */
    const size_t n = (size_t)fmax(20000, in * (gtt_quick() ? 0.5 : 2.0));
    float *x = tone(n, in, f, amp, 0.3);
    size_t ny;
    float *y = resample(x, n, in, out, &ny);
    /* Whole record, edges included (mirrored ends), but skip the first and
     * last 2 % where mirroring a tone cannot be exact. */
    size_t edge = ny / 50;
    double a, r;
    fit_tone(y, edge, ny - edge, out, f, &a, &r);
    ck_assert_msg(fabs(a / amp - 1) < 0.005 && r < 0.005 * amp,
                  "%g -> %g Hz, %g Hz tone: amplitude %.5f (want %.5f), residual %.2e", in, out,
                  f, a, amp, r);
    free(x);
    free(y);
}

START_TEST(tone_below_nyquist_keeps_frequency_and_amplitude)
{
    /* CWRU's 48 kHz to 12 kHz: 1/4 decimation (one polyphase phase). */
    check_pass(48000, 12000, 29.93, 1.0);
    check_pass(48000, 12000, 1000, 0.7);
    check_pass(48000, 12000, 5300, 1.3); /* just under the 5400 Hz passband edge */
    /* Interpolation, and rational ratios with many phases. */
    check_pass(12000, 48000, 2000, 1.0);
    check_pass(12000, 48000, 5350, 1.0);
    check_pass(48000, 44100, 9000, 1.0); /* 147/160 */
    check_pass(12000, 44100, 3000, 1.0); /* 147/40 */
    /* Rates that are not integers: the general interpolator. */
    check_pass(1000.5, 777.25, 120.0, 2.0);
    check_pass(777.25, 1000.5, 300.0, 1.0);
}
END_TEST

/* Tones above the new Nyquist frequency: >= 60 dB down (amplitude ratio
 * 1e-3), wherever they would alias to.  Measured away from the ends (2 %),
 * where mirroring a tone makes a kink whose broadband splash passes. */
START_TEST(tone_above_nyquist_is_removed)
{
    const double in = 48000, out = 12000;
    const double freqs[] = {6050, 6600, 7000, 9000, 11990, 13000, 18000, 23900};
    const size_t n = (size_t)in;
    double worst = 0, worst_f = 0;
    for (size_t k = 0; k < sizeof freqs / sizeof freqs[0]; k++) {
        float *x = tone(n, in, freqs[k], 1.0, 0.1 * k);
        size_t ny;
        float *y = resample(x, n, in, out, &ny);
        double att = rms(y, ny / 50, ny - ny / 50) / (1 / sqrt(2.0));
        if (att > worst)
            worst = att, worst_f = freqs[k];
        free(x);
        free(y);
    }
    printf("resample_rate: worst stopband tone %g Hz at %.1f dB\n", worst_f, 20 * log10(worst));
    ck_assert_msg(worst <= 1e-3, "%g Hz passes at %.1f dB (want <= -60 dB)", worst_f,
                  20 * log10(worst));
    /* The general interpolator too: 10 kHz at 48 kHz into 19.5 kHz. */
    float *x = tone(n, in, 10000, 1.0, 0.2);
    size_t ny;
    float *y = resample(x, n, in, 19500.5, &ny);
    double att = rms(y, ny / 50, ny - ny / 50) / (1 / sqrt(2.0));
    ck_assert_msg(att <= 1e-3, "10 kHz into 19.5 kHz passes at %.1f dB", 20 * log10(att));
    free(x);
    free(y);
}
END_TEST

START_TEST(lengths_edges_and_errors)
{
    static const struct {
        size_t n;
        double in, out;
    } cases[] = {{1001, 48000, 12000}, {1002, 48000, 12000}, {10, 3, 2},  {7, 2, 3},
                 {1, 12000, 48000},    {5, 48000, 12000},    {999, 44100, 48000},
                 {1000, 1000.5, 777.25}, {3, 1000, 1000}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        /* A constant stays constant, to the last sample. */
        float *x = gtt_falloc(cases[c].n);
        gtt_fill_const(x, cases[c].n, 2.5f);
        size_t ny;
        float *y = resample(x, cases[c].n, cases[c].in, cases[c].out, &ny);
        for (size_t i = 0; i < ny; i++)
            ck_assert_msg(fabsf(y[i] - 2.5f) < 1e-5f, "case %zu: y[%zu] = %.7g", c, i, y[i]);
        free(x);
        free(y);
    }
    gt_error err = {0};
    float x[4] = {1, 2, 3, 4}, *y = (float *)x;
    size_t ny = 7;
    /* One sample at 48 kHz makes none at 12 kHz (round(0.25) = 0). */
    ck_assert_int_eq(gt_resample_rate(x, 1, 48000, 12000, &y, &ny, &err), GT_OK);
    ck_assert_uint_eq(ny, 0);
    ck_assert_ptr_null(y);
    ck_assert_int_eq(gt_resample_rate(x, 4, 0, 12000, &y, &ny, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "rate_in") != NULL, "%s", err.msg);
    ck_assert_int_eq(gt_resample_rate(x, 4, 48000, NAN, &y, &ny, &err), GT_EINVAL);
    ck_assert_int_eq(gt_resample_rate(x, 4, 48000, -1, &y, &ny, &err), GT_EINVAL);
    ck_assert_int_eq(gt_resample_rate(x, 4, 1, 1e6, &y, &ny, &err), GT_EINVAL);
    ck_assert_int_eq(gt_resample_rate(NULL, 4, 1, 2, &y, &ny, &err), GT_EINVAL);
    ck_assert_ptr_null(y);
}
END_TEST

GTT_SUITE(gt_test_resample_rate_suite)
{
    Suite *s = suite_create("resample_rate");
    TCase *tc = tcase_create("resample_rate");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, tone_below_nyquist_keeps_frequency_and_amplitude);
    tcase_add_test(tc, tone_above_nyquist_is_removed);
    tcase_add_test(tc, lengths_edges_and_errors);
    suite_add_tcase(s, tc);
    return s;
}
