/* Sample-rate conversion by a Kaiser-windowed sinc (see gantry/resample_rate.h). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/resample_rate.h"
#include "gantry/signal.h"

#define ATTEN_DB 80.0
#define MAX_PHASES 4096

static const double pi = 3.14159265358979323846;

/* The filter, in units of input samples. */
typedef struct kern {
    double fc;   /* cutoff, cycles per input sample */
    double beta; /* Kaiser window shape */
    double i0b;  /* I0(beta) */
    int half;    /* taps on each side: weights for input j in (t - half, t + half] */
} kern;

/* Modified Bessel function of the first kind, order 0 (power series). */
static double bessel_i0(double x)
{
    double sum = 1, term = 1, q = x * x / 4;
    for (int k = 1; k < 200 && term > 1e-17 * sum; k++) {
        term *= q / ((double)k * k);
        sum += term;
    }
    return sum;
}

static double kernel(const kern *k, double tau)
{
    double r = tau / k->half;
    if (r <= -1 || r >= 1)
        return 0;
    double w = bessel_i0(k->beta * sqrt(1 - r * r)) / k->i0b;
    double s = tau == 0 ? 2 * k->fc : sin(2 * pi * k->fc * tau) / (pi * tau);
    return s * w;
}

/* 2 * half weights for an output at input time i0 + frac (0 <= frac < 1):
 * w[m] multiplies input i0 - half + 1 + m.  Scaled to sum to 1. */
static void weights(const kern *k, double frac, double *w)
{
    double sum = 0;
    for (int m = 0; m < 2 * k->half; m++) {
        w[m] = kernel(k, frac - (double)(m - k->half + 1));
        sum += w[m];
    }
    for (int m = 0; m < 2 * k->half; m++)
        w[m] /= sum;
}

/* Index j mirrored into [0, n) about the end samples (period 2n - 2). */
static size_t reflect(long long j, size_t n)
{
    if (n == 1)
        return 0;
    long long period = 2 * (long long)n - 2;
    j %= period;
    if (j < 0)
        j += period;
    return (size_t)(j < (long long)n ? j : period - j);
}

static float apply(const float *x, size_t n, long long i0, const double *w, int half)
{
    long long lo = i0 - half + 1;
    double acc = 0;
    if (lo >= 0 && lo + 2 * half <= (long long)n) {
        const float *p = x + lo;
        for (int m = 0; m < 2 * half; m++)
            acc += w[m] * p[m];
    } else {
        for (int m = 0; m < 2 * half; m++)
            acc += w[m] * x[reflect(lo + m, n)];
    }
    return (float)acc;
}

static unsigned long long gcd_u(unsigned long long a, unsigned long long b)
{
    while (b) {
        unsigned long long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* p / q = rate_out / rate_in with p <= MAX_PHASES, when both rates are
 * integers; 0 otherwise. */
static int rational(double rate_in, double rate_out, unsigned long long *p, unsigned long long *q)
{
    if (rate_in > 4e15 || rate_out > 4e15 || rate_in != floor(rate_in) ||
        rate_out != floor(rate_out))
        return 0;
    unsigned long long a = (unsigned long long)rate_out, b = (unsigned long long)rate_in;
    unsigned long long g = gcd_u(a, b);
    *p = a / g;
    *q = b / g;
    return *p <= MAX_PHASES && *q <= (1ULL << 31);
}

int gt_resample_rate(const float *x, size_t n, double rate_in, double rate_out, float **y,
                     size_t *ny, gt_error *err)
{
    *y = NULL;
    *ny = 0;
    if (!isfinite(rate_in) || !isfinite(rate_out) || !(rate_in > 0) || !(rate_out > 0))
        return gt_error_set(err, GT_EINVAL,
                            "resample: rate_in (%g) and rate_out (%g) must be finite and > 0",
                            rate_in, rate_out);
    const double ratio = rate_out / rate_in;
    if (ratio < 1e-4 || ratio > 1e4)
        return gt_error_set(err, GT_EINVAL,
                            "resample: rate_out / rate_in = %g is outside [1e-4, 1e4]", ratio);
    if (n > 0 && !x)
        return gt_error_set(err, GT_EINVAL, "resample: x is NULL for %zu samples", n);
    const double len = round((double)n * rate_out / rate_in);
    if (len >= (double)(SIZE_MAX / sizeof(float)) || len >= 9e15)
        return gt_error_set(err, GT_EINVAL, "resample: %zu samples at %g -> %g Hz is too long", n,
                            rate_in, rate_out);
    const size_t m = (size_t)len;
    if (m == 0)
        return GT_OK;
    float *out = malloc(m * sizeof *out);
    if (!out)
        return gt_error_set(err, GT_ENOMEM, "resample: out of memory (%zu samples)", m);
    if (rate_in == rate_out) {
        memcpy(out, x, m * sizeof *out);
        *y = out;
        *ny = m;
        return GT_OK;
    }

    /* Band edges in cycles per input sample (see the header). */
    const double lo = fmin(rate_in, rate_out) / rate_in;
    const double pass = 0.45 * lo, stop = 0.5 * lo;
    kern k;
    k.fc = 0.5 * (pass + stop);
    k.beta = 0.1102 * (ATTEN_DB - 8.7);
    k.i0b = bessel_i0(k.beta);
    k.half = (int)ceil((ATTEN_DB - 7.95) / (14.36 * (stop - pass)) / 2) + 1;
    const size_t taps = 2 * (size_t)k.half;

    unsigned long long p = 0, q = 0;
    int poly = rational(rate_in, rate_out, &p, &q);
    double *w = malloc((poly ? p : 1) * taps * sizeof *w);
    if (!w) {
        free(out);
        return gt_error_set(err, GT_ENOMEM, "resample: out of memory (%zu filter taps)",
                            (size_t)(poly ? p : 1) * taps);
    }
    if (poly) {
        /* Output i sits at input time i q / p: whole part i q / p, phase i q % p. */
        for (unsigned long long ph = 0; ph < p; ph++)
            weights(&k, (double)ph / (double)p, w + ph * taps);
        for (size_t i = 0; i < m; i++) {
            unsigned long long t = (unsigned long long)i * q;
            out[i] = apply(x, n, (long long)(t / p), w + (t % p) * taps, k.half);
        }
    } else {
        const double step = rate_in / rate_out;
        for (size_t i = 0; i < m; i++) {
            double t = (double)i * step, whole = floor(t);
            weights(&k, t - whole, w);
            out[i] = apply(x, n, (long long)whole, w, k.half);
        }
    }
    free(w);
    *y = out;
    *ny = m;
    return GT_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Peak within +-tol bins of bin c over the median of the bins 2..7 beyond. */
static double prominence(const float *psd, int nb, double c, int tol)
{
    int k0 = (int)lround(c);
    double peak = 0, ring[16];
    int m = 0;
    for (int k = k0 - tol; k <= k0 + tol; k++)
        if (k > 0 && k < nb && psd[k] > peak)
            peak = psd[k];
    for (int d = tol + 2; d <= tol + 7; d++) {
        if (k0 - d > 0)
            ring[m++] = psd[k0 - d];
        if (k0 + d < nb)
            ring[m++] = psd[k0 + d];
    }
    double med = m ? median(ring, m) : 0;
    return med > 0 ? peak / med : (peak > 0 ? 1e30 : 1);
}

int gt_shaft_rate_score(const float *x, size_t n, double rate, double shaft_hz, double *score,
                        gt_error *err)
{
    enum { H = 8 };
    *score = 0;
    if (!isfinite(rate) || !isfinite(shaft_hz) || !(rate > 0) || !(shaft_hz > 0) ||
        (H + 0.5) * shaft_hz >= rate / 2)
        return gt_error_set(err, GT_EINVAL,
                            "shaft rate check: need rate (%g) > 0 and shaft_hz (%g) > 0 with "
                            "%d.5 x shaft_hz below rate / 2", rate, shaft_hz, H);
    /* Segment: a power of two with at least 40 bins per shaft order. */
    size_t len = 64;
    while ((double)len < 40.0 * rate / shaft_hz && len < ((size_t)1 << 26))
        len *= 2;
    if (!x || n < len)
        return gt_error_set(err, GT_EINVAL,
                            "shaft rate check: %zu samples at %g Hz; need at least %zu "
                            "(40 turns at %g Hz, in a power of two)", n, rate, len, shaft_hz);
    const size_t hop = len / 2, segs = (n - len) / hop + 1;
    const int nb = (int)(len / 2 + 1);
    float *rows = malloc(segs * len * sizeof *rows);
    float *psd = malloc((size_t)nb * sizeof *psd);
    if (!rows || !psd) {
        free(rows);
        free(psd);
        return gt_error_set(err, GT_ENOMEM, "shaft rate check: out of memory (%zu x %zu)", segs,
                            len);
    }
    for (size_t s = 0; s < segs; s++) {
        const float *src = x + s * hop;
        float *dst = rows + s * len;
        double mean = 0;
        for (size_t i = 0; i < len; i++)
            mean += src[i];
        mean /= (double)len;
        for (size_t i = 0; i < len; i++)
            dst[i] = (float)((src[i] - mean) * (0.5 - 0.5 * cos(2 * pi * (double)i / (double)len)));
    }
    int rc = gt_power_spectrum_mean(psd, rows, (int)segs, (int)len, err);
    free(rows);
    if (rc < 0) {
        free(psd);
        return rc;
    }
    const double per_order = shaft_hz * (double)len / rate; /* bins per order */
    double whole[H], frac[3 * H];
    int nw = 0, nf = 0;
    for (int q = 1; q < 4 * H; q++) {
        double c = q / 4.0 * per_order;
        int tol = 1 + (int)(0.005 * c);
        double p = prominence(psd, nb, c, tol);
        if (q % 4 == 0)
            whole[nw++] = p;
        else
            frac[nf++] = p;
    }
    whole[nw++] = prominence(psd, nb, H * per_order, 1 + (int)(0.005 * H * per_order));
    free(psd);
    *score = median(whole, nw) / median(frac, nf);
    return GT_OK;
}
