/* Windows, normalisation and FFTW features (include/gantry/features.h):
 * every feature kind against numpy/scipy fixtures
 * (tests/reference/make_feature_fixtures.py) and a naive double-precision
 * DFT, the vectorised log1p against libm's double log1p, normalisation
 * against direct computations, window lists, thread-count independence, and
 * the envelope feature on a synthetic bearing signal. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/features.h"
#include "gantry/signal.h"
#include "testutil.h"

#define PI 3.14159265358979323846

/* ---------------------------------------------------------------- log1p */

static float from_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

START_TEST(log1p_within_1e7_relative)
{
    /* Every stride-th float from 0 up to FLT_MAX (all exponents, denormals
     * included), plus a log-spaced sweep 1e-30..1e30 and chosen values. */
    const uint32_t stride = gtt_quick() ? 4093 : 127;
    const size_t nsweep = (0x7f7fffffu / stride) + 1, nlog = 200001, nextra = 12;
    const size_t n = nsweep + nlog + nextra;
    float *x = gtt_falloc(n), *y = gtt_falloc(n);
    size_t j = 0;
    for (uint64_t b = 0; b <= 0x7f7fffffu; b += stride)
        x[j++] = from_bits((uint32_t)b);
    for (size_t i = 0; i < nlog; i++)
        x[j++] = (float)pow(10.0, -30.0 + 60.0 * (double)i / (double)(nlog - 1));
    const float extra[] = {0.0f,       from_bits(1), FLT_MIN,    1e-8f,     5.9604645e-08f,
                           1.1920929e-07f, 0.41421354f, 0.41421357f, 1.0f, 3.0e38f,
                           FLT_MAX,    16777216.0f};
    for (size_t i = 0; i < nextra; i++)
        x[j++] = extra[i];
    ck_assert_uint_eq(j, n);
    memcpy(y, x, n * sizeof *x);
    gt_log1p_inplace(y, n);
    double worst = 0;
    size_t wi = 0;
    for (size_t i = 0; i < n; i++) {
        double want = log1p((double)x[i]);
        double rel = want == 0 ? fabs((double)y[i]) : fabs(y[i] - want) / want;
        if (rel > worst) {
            worst = rel;
            wi = i;
        }
    }
    ck_assert_msg(worst <= 1e-7, "log1p(%.9g): got %.9g want %.17g (relative error %.3g > 1e-7)",
                  (double)x[wi], (double)y[wi], log1p((double)x[wi]), worst);
    ck_assert(y[n - nextra] == 0.0f);
    float special[3] = {INFINITY, NAN, 0.0f};
    gt_log1p_inplace(special, 3);
    ck_assert(isinf(special[0]) && special[0] > 0);
    ck_assert(isnan(special[1]));
    free(x);
    free(y);
}
END_TEST

/* ------------------------------------------------------------ names, cfg */

START_TEST(names_parse_and_round_trip)
{
    gt_error err = {0};
    for (int k = GT_FEAT_RAW; k <= GT_FEAT_BANDS; k++) {
        gt_feature f;
        ck_assert_int_eq(gt_feature_parse(gt_feature_name((gt_feature)k), &f, &err), GT_OK);
        ck_assert_int_eq(f, k);
    }
    for (int m = GT_NORM_NONE; m <= GT_NORM_MINMAX; m++) {
        gt_norm_method mm;
        ck_assert_int_eq(gt_norm_parse(gt_norm_name((gt_norm_method)m), &mm, &err), GT_OK);
        ck_assert_int_eq(mm, m);
    }
    for (int t = GT_TAPER_HANN; t <= GT_TAPER_RECT; t++) {
        gt_taper tt;
        ck_assert_int_eq(gt_taper_parse(gt_taper_name((gt_taper)t), &tt, &err), GT_OK);
        ck_assert_int_eq(tt, t);
    }
    ck_assert_str_eq(gt_feature_name(GT_FEAT_ENVELOPE), "envelope");
    ck_assert_str_eq(gt_norm_name(GT_NORM_ROBUST), "robust");
    gt_feature f;
    ck_assert_int_eq(gt_feature_parse("spectra", &f, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "spectra") != NULL, "%s", err.msg);
    gt_norm_method m;
    ck_assert_int_eq(gt_norm_parse("z-score", &m, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "z-score") != NULL, "%s", err.msg);
    gt_taper t;
    ck_assert_int_eq(gt_taper_parse("blackman", &t, &err), GT_EINVAL);
}
END_TEST

START_TEST(shapes_defaults_and_errors)
{
    gt_error err = {0};
    int rows = 0, cols = 0;
    gt_feat_cfg c = gt_feat_cfg_default(GT_FEAT_SPECTRUM, 1024, 12000);
    ck_assert_int_eq(gt_feat_shape(&c, &rows, &cols, &err), GT_OK);
    ck_assert_int_eq(rows, 1);
    ck_assert_int_eq(cols, 513);
    ck_assert(fabs(gt_feat_freq(&c, 10) - 10 * 12000.0 / 1024) < 1e-9);
    c.kind = GT_FEAT_RAW;
    ck_assert_int_eq(gt_feat_shape(&c, &rows, &cols, &err), GT_OK);
    ck_assert_int_eq(cols, 1024);
    ck_assert(isnan(gt_feat_freq(&c, 1)));
    c.kind = GT_FEAT_STFT; /* seg 128, hop 64: 1 + (1024 - 128) / 64 = 15 frames */
    ck_assert_int_eq(gt_feat_shape(&c, &rows, &cols, &err), GT_OK);
    ck_assert_int_eq(rows, 15);
    ck_assert_int_eq(cols, 65);
    ck_assert(fabs(gt_feat_freq(&c, 3) - 3 * 12000.0 / 128) < 1e-9);
    gt_feat_cfg r = c;
    ck_assert_int_eq(gt_feat_cfg_resolve(&r, &err), GT_OK);
    ck_assert_int_eq(r.seg, 128);
    ck_assert_int_eq(r.seg_hop, 64);
    ck_assert_int_eq(r.nbands, 16);
    c.kind = GT_FEAT_WELCH;
    c.win = 20; /* seg max(4, 20/8) = 4, hop 2 */
    ck_assert_int_eq(gt_feat_shape(&c, &rows, &cols, &err), GT_OK);
    ck_assert_int_eq(cols, 3);
    c = gt_feat_cfg_default(GT_FEAT_BANDS, 256, 1000);
    c.nbands = 8;
    ck_assert_int_eq(gt_feat_shape(&c, &rows, &cols, &err), GT_OK);
    ck_assert_int_eq(cols, 8);
    ck_assert(fabs(gt_feat_freq(&c, 0) - 31.25) < 1e-9);
    c.kind = GT_FEAT_SK;
    c.seg = 32;
    c.seg_hop = 8;
    ck_assert_int_eq(gt_feat_shape(&c, &rows, &cols, &err), GT_OK);
    ck_assert_int_eq(rows, 1);
    ck_assert_int_eq(cols, 17);

    /* errors */
    struct {
        gt_feature kind;
        int win, seg, seg_hop, nbands;
        double rate, lo, hi;
        const char *needle;
    } bad[] = {
        {GT_FEAT_SPECTRUM, 3, 0, 0, 0, 1000, 0, 0, "at least 4"},
        {GT_FEAT_STFT, 64, 65, 0, 0, 1000, 0, 0, "segment length"},
        {GT_FEAT_SK, 64, 2, 0, 0, 1000, 0, 0, "segment length"},
        {GT_FEAT_STFT, 64, 16, -1, 0, 1000, 0, 0, "hop"},
        {GT_FEAT_WELCH, 64, 0, 0, 0, 0, 0, 0, "rate"},
        {GT_FEAT_ENVELOPE, 64, 0, 0, 0, 0, 10, 100, "rate"},
        {GT_FEAT_ENVELOPE, 64, 0, 0, 0, 1000, 300, 100, "band"},
        {GT_FEAT_ENVELOPE, 64, 0, 0, 0, 1000, 300, 0, "upper edge"},
        {GT_FEAT_BANDS, 64, 0, 0, 33, 1000, 0, 0, "bands"},
        {GT_FEAT_BANDS, 64, 0, 0, -1, 1000, 0, 0, "bands"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = gt_feat_cfg_default(bad[i].kind, bad[i].win, bad[i].rate);
        c.seg = bad[i].seg;
        c.seg_hop = bad[i].seg_hop;
        c.nbands = bad[i].nbands;
        c.band_lo = bad[i].lo;
        c.band_hi = bad[i].hi;
        err.msg[0] = 0;
        ck_assert_int_eq(gt_feat_shape(&c, &rows, &cols, &err), GT_EINVAL);
        ck_assert_msg(strstr(err.msg, bad[i].needle) != NULL, "case %zu: '%s' lacks '%s'", i,
                      err.msg, bad[i].needle);
        gt_featurizer *f = (gt_featurizer *)&c; /* must be set to NULL */
        ck_assert_int_eq(gt_featurizer_create(&f, &c, &err), GT_EINVAL);
        ck_assert_ptr_null(f);
    }
    c = gt_feat_cfg_default(GT_FEAT_SPECTRUM, 64, 0);
    c.taper = (gt_taper)7;
    ck_assert_int_eq(gt_feat_shape(&c, &rows, &cols, &err), GT_EINVAL);
    c = gt_feat_cfg_default((gt_feature)42, 64, 0);
    ck_assert_int_eq(gt_feat_shape(&c, &rows, &cols, &err), GT_EINVAL);
    gt_featurizer_free(NULL);
}
END_TEST

/* --------------------------------------------------------- normalisation */

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* numpy's linear quantile of sorted v[0..n) */
static double sorted_quantile(const float *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (pos - (double)i) * ((double)v[i + 1] - v[i]);
}

static void direct_fit(gt_norm_method m, const float *x, size_t n, const uint8_t *skip,
                       double *c, double *s)
{
    float *v = gtt_falloc(n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]) && !(skip && skip[i]))
            v[k++] = x[i];
    qsort(v, k, sizeof *v, cmp_f);
    double mean = 0, var = 0;
    for (size_t i = 0; i < k; i++)
        mean += v[i];
    mean /= (double)k;
    for (size_t i = 0; i < k; i++)
        var += (v[i] - mean) * (v[i] - mean);
    var /= (double)k;
    switch (m) {
    case GT_NORM_NONE:
        *c = 0, *s = 1;
        break;
    case GT_NORM_ZSCORE:
        *c = mean, *s = sqrt(var);
        break;
    case GT_NORM_ROBUST:
        *c = sorted_quantile(v, k, 0.5);
        *s = (sorted_quantile(v, k, 0.75) - sorted_quantile(v, k, 0.25)) / 1.349;
        break;
    case GT_NORM_MINMAX:
        *c = 0.5 * ((double)v[0] + v[k - 1]), *s = 0.5 * ((double)v[k - 1] - v[0]);
        break;
    }
    free(v);
}

START_TEST(norm_methods_match_direct_computation)
{
    gt_error err = {0};
    const size_t sizes[] = {1, 2, 3, 4, 5, 10, 101, 1000, 4097};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const size_t n = sizes[si];
        float *x = gtt_falloc(n);
        uint8_t *skip = calloc(n, 1);
        ck_assert_ptr_nonnull(skip);
        gtt_fill(x, n, 100 + si, 3.0f);
        for (size_t i = 0; i < n; i++) {
            x[i] += 1.5f;
            if (i % 7 == 3)
                x[i] = NAN;
            if (i % 11 == 5) {
                skip[i] = 1;
                x[i] = 1e6f; /* an outlier that must not count */
            }
            if (i % 13 == 6)
                x[i] = (float)(i % 5); /* ties */
        }
        size_t usable = 0;
        for (size_t i = 0; i < n; i++)
            usable += !isnan(x[i]) && !skip[i];
        for (int m = GT_NORM_NONE; m <= GT_NORM_MINMAX; m++) {
            float c = -1, s = -1;
            int rc = gt_norm_fit((gt_norm_method)m, x, n, skip, &c, &s, &err);
            if (usable == 0) {
                ck_assert_int_eq(rc, GT_EINVAL);
                continue;
            }
            ck_assert_msg(rc == GT_OK, "%s", err.msg);
            double wc, ws;
            direct_fit((gt_norm_method)m, x, n, skip, &wc, &ws);
            if (!(ws > 0))
                ws = 1;
            ck_assert_msg(fabs(c - wc) <= 1e-6 * (1 + fabs(wc)) && fabs(s - ws) <= 1e-6 * ws,
                          "%s n %zu: center %.9g scale %.9g, want %.9g %.9g",
                          gt_norm_name((gt_norm_method)m), n, c, s, wc, ws);
        }
        free(x);
        free(skip);
    }
}
END_TEST

START_TEST(norm_constant_nan_and_round_trip)
{
    gt_error err = {0};
    float c, s;
    float k[6] = {2.5f, 2.5f, NAN, 2.5f, 2.5f, 2.5f};
    for (int m = GT_NORM_NONE; m <= GT_NORM_MINMAX; m++) {
        ck_assert_int_eq(gt_norm_fit((gt_norm_method)m, k, 6, NULL, &c, &s, &err), GT_OK);
        ck_assert(s == 1.0f);
        ck_assert(c == (m == GT_NORM_NONE ? 0.0f : 2.5f));
    }
    /* nothing usable: all NaN, or all skipped */
    float nan3[3] = {NAN, NAN, NAN};
    ck_assert_int_eq(gt_norm_fit(GT_NORM_ZSCORE, nan3, 3, NULL, &c, &s, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "usable") != NULL, "%s", err.msg);
    uint8_t all[3] = {1, 1, 1};
    float ok3[3] = {1, 2, 3};
    ck_assert_int_eq(gt_norm_fit(GT_NORM_ROBUST, ok3, 3, all, &c, &s, &err), GT_EINVAL);
    ck_assert_int_eq(gt_norm_fit(GT_NORM_MINMAX, ok3, 0, NULL, &c, &s, &err), GT_EINVAL);
    ck_assert_int_eq(gt_norm_fit((gt_norm_method)9, ok3, 3, NULL, &c, &s, &err), GT_EINVAL);
    /* minmax lands in [-1, 1]; undo(apply(x)) gives x back */
    const size_t n = 1000;
    float *x = gtt_falloc(n), *y = gtt_falloc(n);
    gtt_fill(x, n, 7, 40.0f);
    x[17] = NAN;
    for (size_t i = 0; i < n; i++)
        if (i != 17)
            x[i] += 100.0f;
    for (int m = GT_NORM_NONE; m <= GT_NORM_MINMAX; m++) {
        ck_assert_int_eq(gt_norm_fit((gt_norm_method)m, x, n, NULL, &c, &s, &err), GT_OK);
        memcpy(y, x, n * sizeof *x);
        gt_norm_apply(y, n, c, s);
        ck_assert(isnan(y[17]));
        for (size_t i = 0; i < n; i++)
            if (i != 17) {
                double want = ((double)x[i] - c) / s;
                ck_assert_msg(fabs(y[i] - want) <= 1e-6 * (1 + fabs(want)), "apply %zu", i);
                if (m == GT_NORM_MINMAX)
                    ck_assert(y[i] >= -1.0f - 1e-6f && y[i] <= 1.0f + 1e-6f);
            }
        gt_norm_undo(y, n, c, s);
        ck_assert(isnan(y[17]));
        y[17] = x[17] = 0;
        gtt_assert_close(y, x, n, 1e-6, 2e-6, "undo(apply(x))");
        x[17] = NAN;
    }
    free(x);
    free(y);
}
END_TEST

/* --------------------------------------------------------------- windows */

START_TEST(window_starts_masks_and_edges)
{
    ck_assert_uint_eq(gt_window_count(10, 4, 2), 4);
    ck_assert_uint_eq(gt_window_count(4, 4, 1), 1);
    ck_assert_uint_eq(gt_window_count(3, 4, 1), 0);
    ck_assert_uint_eq(gt_window_count(10, 0, 1), 0);
    ck_assert_uint_eq(gt_window_count(10, 4, 0), 0);
    ck_assert_uint_eq(gt_window_count(11, 4, 7), 2);
    size_t st[16];
    uint8_t fl[16];
    /* n < win: nothing, whatever the mask */
    ck_assert_uint_eq(gt_window_starts(3, 4, 1, NULL, 1, st, fl), 0);
    /* no mask: w * hop */
    ck_assert_uint_eq(gt_window_starts(10, 4, 3, NULL, 0, st, fl), 3);
    ck_assert_uint_eq(st[0], 0);
    ck_assert_uint_eq(st[1], 3);
    ck_assert_uint_eq(st[2], 6);
    ck_assert(fl[0] == 0 && fl[1] == 0 && fl[2] == 0);
    /* bad sample 5: windows [0,4) [2,6) [4,8) [6,10) [8,12) of n 12, hop 2 */
    uint8_t bad[12] = {0};
    bad[5] = 1;
    ck_assert_uint_eq(gt_window_starts(12, 4, 2, bad, 0, st, NULL), 3);
    ck_assert_uint_eq(st[0], 0);
    ck_assert_uint_eq(st[1], 6);
    ck_assert_uint_eq(st[2], 8);
    ck_assert_uint_eq(gt_window_starts(12, 4, 2, bad, 1, st, fl), 5);
    const uint8_t want_fl[5] = {0, 1, 1, 0, 0};
    for (int i = 0; i < 5; i++) {
        ck_assert_uint_eq(st[i], 2 * (size_t)i);
        ck_assert_uint_eq(fl[i], want_fl[i]);
    }
    /* a bad first and last sample, hop > win (gaps between windows) */
    memset(bad, 0, sizeof bad);
    bad[0] = bad[11] = 1;
    ck_assert_uint_eq(gt_window_starts(12, 3, 4, bad, 1, st, fl), 3);
    ck_assert(fl[0] == 1 && fl[1] == 0 && fl[2] == 0); /* [8,11) misses 11 */
    bad[11] = 0;
    bad[3] = 1; /* between windows [0,3) and [4,7): no window holds it */
    ck_assert_uint_eq(gt_window_starts(12, 3, 4, bad, 0, st, fl), 2);
    ck_assert_uint_eq(st[0], 4);
    ck_assert_uint_eq(st[1], 8);
    /* all bad */
    memset(bad, 1, sizeof bad);
    ck_assert_uint_eq(gt_window_starts(12, 4, 1, bad, 0, st, fl), 0);
    ck_assert_uint_eq(gt_window_starts(12, 4, 1, bad, 1, st, fl), 9);
    for (int i = 0; i < 9; i++)
        ck_assert_uint_eq(fl[i], 1);
    /* against brute force on a random mask */
    enum { N = 500 };
    uint8_t m[N];
    size_t s2[N];
    uint8_t f2[N];
    uint64_t r = 99;
    for (int i = 0; i < N; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        m[i] = (r >> 60) == 0;
    }
    const size_t wins[] = {1, 7, 16, 64}, hops[] = {1, 5, 16, 70};
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            const size_t w = wins[a], h = hops[b];
            for (int keep = 0; keep <= 1; keep++) {
                size_t got = gt_window_starts(N, w, h, m, keep, s2, f2), j = 0;
                for (size_t s0 = 0; s0 + w <= N; s0 += h) {
                    int isbad = 0;
                    for (size_t i = s0; i < s0 + w; i++)
                        isbad |= m[i];
                    if (isbad && !keep)
                        continue;
                    ck_assert_uint_lt(j, got);
                    ck_assert_uint_eq(s2[j], s0);
                    ck_assert_uint_eq(f2[j], (uint8_t)isbad);
                    j++;
                }
                ck_assert_uint_eq(got, j);
            }
        }
}
END_TEST

/* ------------------------------------------------------- feature fixtures */

static gt_featurizer *make(const gt_feat_cfg *c)
{
    gt_error err = {0};
    gt_featurizer *f = NULL;
    ck_assert_msg(gt_featurizer_create(&f, c, &err) == GT_OK, "%s", err.msg);
    return f;
}

static void check_fixture(const char *name, double atol, double rtol)
{
    gtt_fixture *fx = gtt_fixture_load(name);
    size_t n, ncfg;
    const float *x = gtt_fixture_get(fx, "x", &n);
    const float *cf = gtt_fixture_get(fx, "cfg", &ncfg);
    const gtt_array *out = gtt_fixture_array(fx, "out");
    ck_assert_uint_eq(ncfg, 10);
    gt_feat_cfg c = gt_feat_cfg_default((gt_feature)(int)cf[0], (int)cf[1], cf[6]);
    const size_t hop = (size_t)cf[2];
    c.taper = (gt_taper)(int)cf[3];
    c.seg = (int)cf[4];
    c.seg_hop = (int)cf[5];
    c.band_lo = cf[7];
    c.band_hi = cf[8];
    c.nbands = (int)cf[9];
    int rows, cols;
    gt_error err = {0};
    ck_assert_msg(gt_feat_shape(&c, &rows, &cols, &err) == GT_OK, "%s: %s", name, err.msg);
    const size_t nwin = gt_window_count(n, (size_t)c.win, hop), per = (size_t)rows * cols;
    ck_assert_int_eq(out->ndim, 2);
    ck_assert_uint_eq((size_t)out->dims[0], nwin);
    ck_assert_uint_eq((size_t)out->dims[1], per);
    float *got = gtt_falloc(nwin * per);
    gt_featurizer *f = make(&c);
    gt_featurize(f, x, NULL, hop, nwin, got);
    gt_featurizer_free(f);
    char what[128];
    snprintf(what, sizeof what, "%s (%s)", name, gt_feature_name(c.kind));
    gtt_assert_close(got, out->data, nwin * per, atol, rtol, what);
    free(got);
    gtt_fixture_free(fx);
}

/* Tolerances, float32 FFTs against float64 references (stored as float32):
 * log-type outputs (SPECTRUM, STFT log1p, WELCH, BANDS log10) within 2e-6
 * absolute + 2e-6 relative (worst seen 6e-7); the envelope (linear amplitude,
 * up to ~0.3, down to ~0 in empty bins) within 3e-7 absolute + 1e-5 relative
 * (worst seen 8e-8 absolute); spectral kurtosis within 1e-6 + 1e-5. */
START_TEST(spectrum_matches_numpy)
{
    check_fixture("feat_spectrum_hann", 2e-6, 2e-6);
    check_fixture("feat_spectrum_hamming_odd", 2e-6, 2e-6);
    check_fixture("feat_spectrum_rect", 2e-6, 2e-6);
}
END_TEST

START_TEST(welch_matches_scipy)
{
    check_fixture("feat_welch_default", 2e-6, 2e-6);
    check_fixture("feat_welch_odd", 2e-6, 2e-6);
}
END_TEST

START_TEST(stft_and_sk_match_scipy)
{
    check_fixture("feat_stft_hann", 2e-6, 2e-6);
    check_fixture("feat_stft_odd", 2e-6, 2e-6);
    check_fixture("feat_sk_hann", 1e-6, 1e-5);
}
END_TEST

START_TEST(envelope_matches_scipy_hilbert)
{
    check_fixture("feat_envelope_full", 3e-7, 1e-5);
    check_fixture("feat_envelope_band", 3e-7, 1e-5);
    check_fixture("feat_envelope_odd", 3e-7, 1e-5);
}
END_TEST

START_TEST(bands_match_numpy)
{
    check_fixture("feat_bands_hann", 2e-6, 2e-6);
    check_fixture("feat_bands_odd", 2e-6, 2e-6);
}
END_TEST

/* ------------------------------------------------- naive DFT (in double) */

static void naive_power(const double *v, int n, double *re, double *im)
{
    for (int k = 0; k <= n / 2; k++) {
        double a = 0, b = 0;
        for (int t = 0; t < n; t++) {
            double ph = -2 * PI * (double)((long long)k * t % n) / n;
            a += v[t] * cos(ph);
            b += v[t] * sin(ph);
        }
        re[k] = a;
        im[k] = b;
    }
}

START_TEST(spectrum_bands_and_raw_match_naive_dft)
{
    const int wins[] = {16, 37, 128};
    for (size_t wi = 0; wi < sizeof wins / sizeof wins[0]; wi++) {
        const int win = wins[wi], nb = win / 2 + 1, nwin = 3;
        const size_t n = (size_t)win * 2 + 5;
        float *x = gtt_falloc(n);
        gtt_fill(x, n, 31 + wi, 2.0f);
        size_t starts[3] = {0, 5, (size_t)win + 5};
        for (int t = GT_TAPER_HANN; t <= GT_TAPER_RECT; t++) {
            gt_feat_cfg c = gt_feat_cfg_default(GT_FEAT_SPECTRUM, win, 100.0);
            c.taper = (gt_taper)t;
            float *sp = gtt_falloc((size_t)nwin * nb), *want = gtt_falloc((size_t)nwin * nb);
            gt_featurizer *f = make(&c);
            gt_featurize(f, x, starts, 0, nwin, sp);
            gt_featurizer_free(f);
            c.kind = GT_FEAT_BANDS;
            c.nbands = win / 4;
            float *bd = gtt_falloc((size_t)nwin * c.nbands),
                  *wbd = gtt_falloc((size_t)nwin * c.nbands);
            f = make(&c);
            gt_featurize(f, x, starts, 0, nwin, bd);
            gt_featurizer_free(f);
            double *v = malloc(sizeof(double) * (size_t)win), *re = malloc(sizeof(double) * nb),
                   *im = malloc(sizeof(double) * nb);
            ck_assert(v && re && im);
            for (int w = 0; w < nwin; w++) {
                for (int i = 0; i < win; i++) {
                    double ph = 2 * PI * i / win;
                    double tp = t == GT_TAPER_HANN      ? 0.5 - 0.5 * cos(ph)
                                : t == GT_TAPER_HAMMING ? 0.54 - 0.46 * cos(ph)
                                                        : 1.0;
                    v[i] = tp * x[starts[w] + (size_t)i];
                }
                naive_power(v, win, re, im);
                double e[64] = {0};
                for (int k = 0; k < nb; k++) {
                    double p = re[k] * re[k] + im[k] * im[k];
                    want[w * nb + k] = (float)log1p(sqrt(p));
                    /* band of bin k: its frequency k rate / win against the
                     * band width rate / 2 / nbands */
                    double fk = k * 100.0 / win, width = 50.0 / c.nbands;
                    int b = (int)floor(fk / width + 1e-9);
                    e[b < c.nbands ? b : c.nbands - 1] += p;
                }
                for (int b = 0; b < c.nbands; b++)
                    wbd[w * c.nbands + b] = (float)log10(e[b]);
            }
            gtt_assert_close(sp, want, (size_t)nwin * nb, 1e-5, 1e-5, "spectrum vs naive DFT");
            gtt_assert_close(bd, wbd, (size_t)nwin * c.nbands, 1e-5, 1e-5, "bands vs naive DFT");
            free(v);
            free(re);
            free(im);
            free(sp);
            free(want);
            free(bd);
            free(wbd);
        }
        gt_feat_cfg c = gt_feat_cfg_default(GT_FEAT_RAW, win, 0);
        float *raw = gtt_falloc((size_t)nwin * win);
        gt_featurizer *f = make(&c);
        gt_featurize(f, x, starts, 0, nwin, raw);
        gt_featurizer_free(f);
        for (int w = 0; w < nwin; w++)
            ck_assert(memcmp(raw + (size_t)w * win, x + starts[w], sizeof(float) * win) == 0);
        free(raw);
        free(x);
    }
}
END_TEST

START_TEST(constant_window_floors_and_zero_sk)
{
    /* A silent window: WELCH and BANDS at the 1e-30 floor (-30), SK 0,
     * SPECTRUM and ENVELOPE 0. */
    const int win = 64;
    float x[64] = {0};
    float out[64 * 33];
    const gt_feature kinds[] = {GT_FEAT_WELCH, GT_FEAT_BANDS, GT_FEAT_SK, GT_FEAT_SPECTRUM,
                                GT_FEAT_ENVELOPE, GT_FEAT_STFT};
    const float want[] = {-30.0f, -30.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        gt_feat_cfg c = gt_feat_cfg_default(kinds[i], win, 1000);
        int rows, cols;
        ck_assert_int_eq(gt_feat_shape(&c, &rows, &cols, NULL), GT_OK);
        gt_featurizer *f = make(&c);
        gt_featurize(f, x, NULL, 0, 1, out);
        gt_featurizer_free(f);
        for (int j = 0; j < rows * cols; j++)
            ck_assert_msg(fabsf(out[j] - want[i]) < 1e-6f, "%s[%d] = %g, want %g",
                          gt_feature_name(kinds[i]), j, out[j], want[i]);
    }
}
END_TEST

/* ------------------------------------------------------ threads, no alloc */

START_TEST(thread_count_does_not_change_results)
{
    const int saved = gt_threads_get();
    const size_t n = 20000;
    float *x = gtt_falloc(n);
    gtt_fill(x, n, 5, 1.0f);
    size_t starts[41];
    for (int w = 0; w < 41; w++)
        starts[w] = (size_t)(w * 457) % (n - 512);
    for (int k = GT_FEAT_RAW; k <= GT_FEAT_BANDS; k++) {
        gt_feat_cfg c = gt_feat_cfg_default((gt_feature)k, 512, 12000);
        if (k == GT_FEAT_ENVELOPE) {
            c.band_lo = 1000;
            c.band_hi = 4000;
        }
        int rows, cols;
        ck_assert_int_eq(gt_feat_shape(&c, &rows, &cols, NULL), GT_OK);
        const size_t total = 41 * (size_t)rows * cols;
        float *a = gtt_falloc(total), *b = gtt_falloc(total), *d = gtt_falloc(total);
        gt_threads_set(1);
        gt_featurizer *f1 = make(&c);
        gt_featurize(f1, x, starts, 0, 41, a);
        gt_threads_set(2);
        gt_featurizer *f2 = make(&c);
        gt_featurize(f2, x, starts, 0, 41, b);
        /* made for 1 thread, run with 2 configured: uses 1 */
        gt_featurize(f1, x, starts, 0, 41, d);
        ck_assert_msg(memcmp(a, b, total * sizeof *a) == 0, "%s: 1 vs 2 threads differ",
                      gt_feature_name((gt_feature)k));
        ck_assert_msg(memcmp(a, d, total * sizeof *a) == 0, "%s: capped run differs",
                      gt_feature_name((gt_feature)k));
        /* starts NULL: w * hop, the same as the explicit list */
        size_t grid[5] = {0, 300, 600, 900, 1200};
        gt_featurize(f2, x, grid, 0, 5, a);
        gt_featurize(f2, x, NULL, 300, 5, b);
        ck_assert(memcmp(a, b, 5 * (size_t)rows * cols * sizeof *a) == 0);
        gt_featurize(f2, x, NULL, 300, 0, b); /* no windows: nothing happens */
        gt_featurizer_free(f1);
        gt_featurizer_free(f2);
        free(a);
        free(b);
        free(d);
    }
    gt_threads_set(saved);
    free(x);
}
END_TEST

/* ------------------------------------------------ amplitudes, envelope */

START_TEST(spectrum_amplitudes_pick_harmonics)
{
    /* bins 1 Hz apart (bin k at k Hz); lines at 37.4 (between bins 37 and 38),
     * 74.8 and 112.2 Hz, a decoy at 40 Hz. */
    enum { NB = 200 };
    float s[NB];
    for (int k = 0; k < NB; k++)
        s[k] = 0.01f * (k % 3);
    s[37] = 0.5f, s[38] = 1.0f; /* fundamental: the larger neighbour wins */
    s[75] = 2.0f;
    s[112] = 3.0f;
    s[40] = 9.0f; /* 2.6 Hz away: outside a 1-bin tolerance, inside a 3 Hz one */
    float amp[4];
    gt_spectrum_amplitudes(s, NB, 1.0, 37.4, 4, 0.0, amp);
    ck_assert_float_eq(amp[0], 1.0f);
    ck_assert_float_eq(amp[1], 2.0f);
    ck_assert_float_eq(amp[2], 3.0f);
    ck_assert_float_eq(amp[3], fmaxf(s[149], s[150])); /* 149.6 Hz +- 1 bin */
    gt_spectrum_amplitudes(s, NB, 1.0, 37.4, 1, 3.0, amp);
    ck_assert_float_eq(amp[0], 9.0f);
    /* harmonics beyond the last bin give 0 */
    gt_spectrum_amplitudes(s, NB, 1.0, 150.0, 3, 0.0, amp);
    ck_assert_float_eq(amp[1], 0.0f);
    ck_assert_float_eq(amp[2], 0.0f);
    /* bin_hz 0.5: tolerance at least one bin (0.5 Hz) around 10 Hz = bin 20 */
    gt_spectrum_amplitudes(s, NB, 0.5, 10.0, 1, 0.0, amp);
    ck_assert_float_eq(amp[0], fmaxf(fmaxf(s[19], s[20]), s[21]));
}
END_TEST

START_TEST(envelope_feature_finds_impact_rate)
{
    /* Impacts at 37 Hz ring a 3 kHz resonance (decay 2 ms) in noise at
     * 12 kHz: the mean envelope-feature spectrum peaks at 37 Hz (+-1 bin),
     * with and without a 2-4 kHz band-pass. */
    const double rate = 12000.0;
    const int win = 8192;
    const size_t n = 4 * (size_t)win;
    float *x = gtt_falloc(n);
    gt_rng r;
    gt_rng_seed(&r, 3);
    for (size_t i = 0; i < n; i++)
        x[i] = 0.3f * gt_rng_normal(&r);
    const double period = rate / 37.0;
    for (double t0 = 10; t0 < n; t0 += period)
        for (size_t i = (size_t)t0; i < n && i < (size_t)t0 + 200; i++) {
            double t = (i - t0) / rate;
            x[i] += (float)(exp(-t / 0.002) * sin(2 * PI * 3000 * t));
        }
    const int nb = win / 2 + 1;
    const size_t nwin = gt_window_count(n, (size_t)win, (size_t)win / 2);
    float *out = gtt_falloc(nwin * nb), *mean = gtt_falloc(nb);
    for (int band = 0; band <= 1; band++) {
        gt_feat_cfg c = gt_feat_cfg_default(GT_FEAT_ENVELOPE, win, rate);
        if (band) {
            c.band_lo = 2000;
            c.band_hi = 4000;
        }
        gt_featurizer *f = make(&c);
        gt_featurize(f, x, NULL, (size_t)win / 2, nwin, out);
        gt_featurizer_free(f);
        for (int k = 0; k < nb; k++) {
            double a = 0;
            for (size_t w = 0; w < nwin; w++)
                a += out[w * nb + k];
            mean[k] = (float)(a / nwin);
        }
        const double hz = gt_feat_freq(&c, 1);
        int pk[1];
        ck_assert_int_eq(gt_spectrum_peaks(mean, nb, 1, pk), 1);
        ck_assert_msg(fabs(pk[0] * hz - 37.0) <= hz, "band %d: envelope peak at %.2f Hz", band,
                      pk[0] * hz);
        float amp[3];
        gt_spectrum_amplitudes(mean, nb, hz, 37.0, 3, 0.0, amp);
        ck_assert_float_eq(amp[0], mean[pk[0]]);
        ck_assert(amp[1] > 0 && amp[2] > 0);
    }
    free(x);
    free(out);
    free(mean);
}
END_TEST

GTT_SUITE(gt_test_features_suite)
{
    Suite *s = suite_create("features");
    TCase *tc = tcase_create("features");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, log1p_within_1e7_relative);
    tcase_add_test(tc, names_parse_and_round_trip);
    tcase_add_test(tc, shapes_defaults_and_errors);
    tcase_add_test(tc, norm_methods_match_direct_computation);
    tcase_add_test(tc, norm_constant_nan_and_round_trip);
    tcase_add_test(tc, window_starts_masks_and_edges);
    tcase_add_test(tc, spectrum_matches_numpy);
    tcase_add_test(tc, welch_matches_scipy);
    tcase_add_test(tc, stft_and_sk_match_scipy);
    tcase_add_test(tc, envelope_matches_scipy_hilbert);
    tcase_add_test(tc, bands_match_numpy);
    tcase_add_test(tc, spectrum_bands_and_raw_match_naive_dft);
    tcase_add_test(tc, constant_window_floors_and_zero_sk);
    tcase_add_test(tc, thread_count_does_not_change_results);
    tcase_add_test(tc, spectrum_amplitudes_pick_harmonics);
    tcase_add_test(tc, envelope_feature_finds_impact_rate);
    suite_add_tcase(s, tc);
    return s;
}
