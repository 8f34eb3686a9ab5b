/*
 * The featurizer: FFTW plans, tapers and per-thread scratch made once in
 * gt_featurizer_create, then windows turned into features without
 * allocating, spread over OpenMP threads (each window computed by one thread,
 * so the result does not depend on the thread count).
 *
 * FFTW's planner is not thread safe, its new-array execute functions are:
 * plans are made here in create, and every thread runs them on its own
 * fftwf_malloc'd buffers (same alignment as the planning buffers).
 */
#include <fftw3.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "fastlog.h"
#include "gantry/features.h"

#define GT_PI 3.14159265358979323846
/* log10 floor of WELCH and BANDS (a silent band would be -inf). */
#define POWER_FLOOR 1e-30f
#define POWER_FLOOR_BITS 0x0da24260u /* the bits of POWER_FLOOR */
#define INV_LN10 0.43429448190325182765f

/* ---- names ----------------------------------------------------------------- */

static const char *const feat_names[] = {"raw", "spectrum", "welch", "envelope",
                                         "stft", "sk", "bands"};
static const char *const taper_names[] = {"hann", "hamming", "rect"};
enum { NFEAT = sizeof feat_names / sizeof feat_names[0],
       NTAPER = sizeof taper_names / sizeof taper_names[0] };

const char *gt_feature_name(gt_feature f)
{
    return (unsigned)f < NFEAT ? feat_names[f] : "?";
}

int gt_feature_parse(const char *s, gt_feature *f, gt_error *err)
{
    for (int i = 0; s && i < NFEAT; i++)
        if (strcmp(s, feat_names[i]) == 0) {
            *f = (gt_feature)i;
            return GT_OK;
        }
    return gt_error_set(err, GT_EINVAL,
                        "unknown feature '%s' (raw, spectrum, welch, envelope, stft, sk, bands)",
                        s ? s : "(null)");
}

const char *gt_taper_name(gt_taper t)
{
    return (unsigned)t < NTAPER ? taper_names[t] : "?";
}

int gt_taper_parse(const char *s, gt_taper *t, gt_error *err)
{
    for (int i = 0; s && i < NTAPER; i++)
        if (strcmp(s, taper_names[i]) == 0) {
            *t = (gt_taper)i;
            return GT_OK;
        }
    return gt_error_set(err, GT_EINVAL, "unknown taper '%s' (hann, hamming, rect)",
                        s ? s : "(null)");
}

/* ---- configuration ------------------------------------------------------------ */

gt_feat_cfg gt_feat_cfg_default(gt_feature kind, int win, double rate)
{
    gt_feat_cfg c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.win = win;
    c.taper = GT_TAPER_HANN;
    c.rate = rate;
    return c;
}

static int uses_segments(gt_feature k)
{
    return k == GT_FEAT_WELCH || k == GT_FEAT_STFT || k == GT_FEAT_SK;
}

int gt_feat_cfg_resolve(gt_feat_cfg *c, gt_error *err)
{
    if ((unsigned)c->kind >= NFEAT)
        return gt_error_set(err, GT_EINVAL, "unknown feature kind %d", (int)c->kind);
    if (c->win < 4)
        return gt_error_set(err, GT_EINVAL, "%s features need a window of at least 4 samples, not %d",
                            gt_feature_name(c->kind), c->win);
    if ((unsigned)c->taper >= NTAPER)
        return gt_error_set(err, GT_EINVAL, "unknown taper %d", (int)c->taper);
    if (c->seg == 0) {
        c->seg = c->win / 8 < 4 ? 4 : c->win / 8;
        if (c->seg > c->win)
            c->seg = c->win;
    }
    if (c->seg_hop == 0)
        c->seg_hop = c->seg / 2 < 1 ? 1 : c->seg / 2;
    if (c->nbands == 0)
        c->nbands = 16;
    if (uses_segments(c->kind)) {
        if (c->seg < 4 || c->seg > c->win)
            return gt_error_set(err, GT_EINVAL,
                                "%s: segment length %d must be between 4 and the window (%d)",
                                gt_feature_name(c->kind), c->seg, c->win);
        if (c->seg_hop < 1)
            return gt_error_set(err, GT_EINVAL, "%s: segment hop %d must be positive",
                                gt_feature_name(c->kind), c->seg_hop);
    }
    if (c->kind == GT_FEAT_WELCH && !(c->rate > 0 && isfinite(c->rate)))
        return gt_error_set(err, GT_EINVAL, "welch features need a sampling rate (got %g Hz)",
                            c->rate);
    if (c->kind == GT_FEAT_ENVELOPE) {
        if (c->band_hi == 0 && c->band_lo != 0)
            return gt_error_set(err, GT_EINVAL,
                                "envelope band: a lower edge (%g Hz) needs an upper edge",
                                c->band_lo);
        if (c->band_hi != 0) {
            if (!(c->rate > 0 && isfinite(c->rate)))
                return gt_error_set(err, GT_EINVAL,
                                    "envelope band-pass needs a sampling rate (got %g Hz)",
                                    c->rate);
            if (!(c->band_lo >= 0 && c->band_hi > c->band_lo))
                return gt_error_set(err, GT_EINVAL, "bad envelope band %g-%g Hz", c->band_lo,
                                    c->band_hi);
        }
    }
    if (c->kind == GT_FEAT_BANDS && (c->nbands < 1 || c->nbands > c->win / 2))
        return gt_error_set(err, GT_EINVAL,
                            "bands: %d bands do not fit a window of %d (1 to %d)", c->nbands,
                            c->win, c->win / 2);
    return GT_OK;
}

int gt_feat_shape(const gt_feat_cfg *c, int *rows, int *cols, gt_error *err)
{
    gt_feat_cfg r = *c;
    int rc = gt_feat_cfg_resolve(&r, err);
    if (rc != GT_OK)
        return rc;
    int nr = 1, nc = 0;
    switch (r.kind) {
    case GT_FEAT_RAW:
        nc = r.win;
        break;
    case GT_FEAT_SPECTRUM:
    case GT_FEAT_ENVELOPE:
        nc = r.win / 2 + 1;
        break;
    case GT_FEAT_WELCH:
    case GT_FEAT_SK:
        nc = r.seg / 2 + 1;
        break;
    case GT_FEAT_STFT:
        nr = 1 + (r.win - r.seg) / r.seg_hop;
        nc = r.seg / 2 + 1;
        break;
    case GT_FEAT_BANDS:
        nc = r.nbands;
        break;
    }
    if (rows)
        *rows = nr;
    if (cols)
        *cols = nc;
    return GT_OK;
}

double gt_feat_freq(const gt_feat_cfg *c, int j)
{
    gt_feat_cfg r = *c;
    if (gt_feat_cfg_resolve(&r, NULL) != GT_OK)
        return NAN;
    const double rate = r.rate > 0 ? r.rate : 1.0;
    switch (r.kind) {
    case GT_FEAT_SPECTRUM:
    case GT_FEAT_ENVELOPE:
        return j * rate / r.win;
    case GT_FEAT_WELCH:
    case GT_FEAT_STFT:
    case GT_FEAT_SK:
        return j * rate / r.seg;
    case GT_FEAT_BANDS:
        return (j + 0.5) * 0.5 * rate / r.nbands;
    case GT_FEAT_RAW:
        break;
    }
    return NAN;
}

/* ---- the featurizer ------------------------------------------------------------- */

typedef struct scratch {
    float *in;          /* n reals: the FFT input */
    fftwf_complex *spec; /* n/2+1: the FFT output */
    fftwf_complex *z;   /* ENVELOPE: win, the analytic signal's spectrum */
    fftwf_complex *a;   /* ENVELOPE: win, the analytic signal */
    double *acc, *acc2; /* WELCH, SK, BANDS accumulators (n/2+1, nbands) */
} scratch;

struct gt_featurizer {
    gt_feat_cfg c;      /* resolved */
    int rows, cols;
    int n, nb;          /* FFT length (win or seg) and its bins */
    float *taper;       /* n */
    float *gain;        /* ENVELOPE: win/2+1 analytic-signal gains (band-pass) */
    int *band_start;    /* BANDS: nbands+1 bin edges */
    double welch_scale; /* WELCH: 1 / (rate sum taper^2) */
    fftwf_plan r2c;     /* size n */
    fftwf_plan inv;     /* ENVELOPE: complex backward, size win */
    int nthreads;
    scratch *scr;
};

static void make_taper(float *w, int n, gt_taper t)
{
    /* Periodic (DFT-even) windows, as scipy.signal.get_window. */
    for (int i = 0; i < n; i++) {
        double ph = 2 * GT_PI * i / n;
        w[i] = t == GT_TAPER_HANN      ? (float)(0.5 - 0.5 * cos(ph))
               : t == GT_TAPER_HAMMING ? (float)(0.54 - 0.46 * cos(ph))
                                       : 1.0f;
    }
}

void gt_featurizer_free(gt_featurizer *f)
{
    if (!f)
        return;
    if (f->scr)
        for (int t = 0; t < f->nthreads; t++) {
            scratch *s = &f->scr[t];
            fftwf_free(s->in);
            fftwf_free(s->spec);
            fftwf_free(s->z);
            fftwf_free(s->a);
            free(s->acc);
            free(s->acc2);
        }
    free(f->scr);
    if (f->r2c)
        fftwf_destroy_plan(f->r2c);
    if (f->inv)
        fftwf_destroy_plan(f->inv);
    free(f->taper);
    free(f->gain);
    free(f->band_start);
    free(f);
}

int gt_featurizer_create(gt_featurizer **out, const gt_feat_cfg *c, gt_error *err)
{
    *out = NULL;
    gt_feat_cfg r = *c;
    int rc = gt_feat_cfg_resolve(&r, err);
    if (rc != GT_OK)
        return rc;
    gt_featurizer *f = calloc(1, sizeof *f);
    if (!f)
        return gt_error_set(err, GT_ENOMEM, "out of memory for a featurizer");
    f->c = r;
    gt_feat_shape(&r, &f->rows, &f->cols, NULL);
    f->n = uses_segments(r.kind) ? r.seg : r.win;
    f->nb = f->n / 2 + 1;
    const size_t n = (size_t)f->n, nb = (size_t)f->nb;
    const int env = r.kind == GT_FEAT_ENVELOPE, fft = r.kind != GT_FEAT_RAW;
    f->nthreads = gt_threads_get();
    if (f->nthreads < 1)
        f->nthreads = 1;
    f->scr = calloc((size_t)f->nthreads, sizeof *f->scr);
    f->taper = malloc(n * sizeof *f->taper);
    int ok = f->scr && f->taper;
    for (int t = 0; ok && fft && t < f->nthreads; t++) {
        scratch *s = &f->scr[t];
        s->in = fftwf_malloc(n * sizeof *s->in);
        s->spec = fftwf_malloc(nb * sizeof *s->spec);
        s->acc = malloc((nb > (size_t)r.nbands ? nb : (size_t)r.nbands) * sizeof *s->acc);
        s->acc2 = malloc(nb * sizeof *s->acc2);
        ok = s->in && s->spec && s->acc && s->acc2;
        if (ok && env) {
            s->z = fftwf_malloc(n * sizeof *s->z);
            s->a = fftwf_malloc(n * sizeof *s->a);
            ok = s->z && s->a;
        }
    }
    if (!ok) {
        gt_featurizer_free(f);
        return gt_error_set(err, GT_ENOMEM, "out of memory for %s features of window %d",
                            gt_feature_name(r.kind), r.win);
    }
    make_taper(f->taper, f->n, r.kind == GT_FEAT_ENVELOPE ? GT_TAPER_RECT : r.taper);
    if (fft) {
        /* FFTW_ESTIMATE: at these sizes FFTW_MEASURE was not measurably
         * faster (see bench/bench_features.c), and it would make results
         * depend on timing.  The planning buffers are thread 0's. */
        f->r2c = fftwf_plan_dft_r2c_1d(f->n, f->scr[0].in, f->scr[0].spec, FFTW_ESTIMATE);
        if (env)
            f->inv = fftwf_plan_dft_1d(f->n, f->scr[0].z, f->scr[0].a, FFTW_BACKWARD,
                                       FFTW_ESTIMATE);
        if (!f->r2c || (env && !f->inv)) {
            gt_featurizer_free(f);
            return gt_error_set(err, GT_ENOMEM, "FFTW could not plan transforms of %d", (int)n);
        }
    }
    if (r.kind == GT_FEAT_WELCH) {
        double ss = 0;
        for (size_t i = 0; i < n; i++)
            ss += (double)f->taper[i] * f->taper[i];
        f->welch_scale = 1.0 / (r.rate * ss);
    }
    if (env) {
        /* Analytic signal of the band-passed, mean-free window: DC dropped,
         * Nyquist kept once, positive frequencies doubled (negative ones are
         * zero in z). */
        f->gain = malloc(nb * sizeof *f->gain);
        if (!f->gain) {
            gt_featurizer_free(f);
            return gt_error_set(err, GT_ENOMEM, "out of memory for envelope gains");
        }
        for (size_t k = 0; k < nb; k++) {
            double fk = (double)k * r.rate / (double)n;
            int keep = k > 0 && (r.band_hi == 0 || (fk >= r.band_lo && fk <= r.band_hi));
            f->gain[k] = !keep ? 0.0f : (2 * k == n) ? 1.0f : 2.0f;
        }
    }
    if (r.kind == GT_FEAT_BANDS) {
        f->band_start = malloc(((size_t)r.nbands + 1) * sizeof *f->band_start);
        if (!f->band_start) {
            gt_featurizer_free(f);
            return gt_error_set(err, GT_ENOMEM, "out of memory for band edges");
        }
        /* Bin k (at k rate / win Hz) is in band floor(2 k nbands / win); the
         * Nyquist bin of an even window joins the last band. */
        int b = 0;
        f->band_start[0] = 0;
        for (int k = 0; k < f->nb; k++) {
            int bk = (int)((2 * (long long)k * r.nbands) / r.win);
            if (bk > r.nbands - 1)
                bk = r.nbands - 1;
            while (b < bk)
                f->band_start[++b] = k;
        }
        f->band_start[r.nbands] = f->nb;
    }
    *out = f;
    return GT_OK;
}

/* ---- kernels (one window, one thread's scratch) ---------------------------------- */

static void taper_into(float *restrict dst, const float *restrict x, const float *restrict w,
                       int n, float mean)
{
#pragma omp simd
    for (int i = 0; i < n; i++)
        dst[i] = (x[i] - mean) * w[i];
}

/* out[k] = log1p |spec[k]|, k < nb: the magnitude fused with a vectorised log. */
GT__SIMD_CLONES static void log1p_abs(float *restrict out, const fftwf_complex *restrict spec, int nb)
{
    const float *restrict s = (const float *)spec;
#pragma omp simd
    for (int k = 0; k < nb; k++) {
        float re = s[2 * k], im = s[2 * k + 1];
        out[k] = gt__log1pf(sqrtf(re * re + im * im));
    }
}

static float mean_of(const float *x, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++)
        m += x[i];
    return (float)(m / n);
}

/* Accumulate |X|^2 (and |X|^4 into acc2 when not NULL) of segments of x. */
static int segments(const gt_featurizer *f, scratch *s, const float *x, int detrend,
                    double *acc, double *acc2)
{
    const int n = f->n, nb = f->nb, hop = f->c.seg_hop;
    const int nseg = 1 + (f->c.win - n) / hop;
    for (int k = 0; k < nb; k++) {
        acc[k] = 0;
        if (acc2)
            acc2[k] = 0;
    }
    for (int g = 0; g < nseg; g++) {
        const float *xs = x + (size_t)g * hop;
        taper_into(s->in, xs, f->taper, n, detrend ? mean_of(xs, n) : 0.0f);
        fftwf_execute_dft_r2c(f->r2c, s->in, s->spec);
        for (int k = 0; k < nb; k++) {
            double p = (double)s->spec[k][0] * s->spec[k][0] +
                       (double)s->spec[k][1] * s->spec[k][1];
            acc[k] += p;
            if (acc2)
                acc2[k] += p * p;
        }
    }
    return nseg;
}

GT__SIMD_CLONES static void log10_floor(float *out, int n)
{
#pragma omp simd
    for (int k = 0; k < n; k++) {
        /* max(out[k], floor) on the bits (out[k] >= 0; NaN stays NaN): a
         * float compare could trap and would keep GCC from vectorising */
        uint32_t b;
        memcpy(&b, &out[k], sizeof b);
        out[k] = gt__logf(gt__fsel(b > POWER_FLOOR_BITS, out[k], POWER_FLOOR)) * INV_LN10;
    }
}

static void one_window(const gt_featurizer *f, scratch *s, const float *x, float *out)
{
    const gt_feat_cfg *c = &f->c;
    const int n = f->n, nb = f->nb;
    switch (c->kind) {
    case GT_FEAT_RAW:
        memcpy(out, x, sizeof(float) * (size_t)c->win);
        break;
    case GT_FEAT_SPECTRUM:
        taper_into(s->in, x, f->taper, n, 0.0f);
        fftwf_execute_dft_r2c(f->r2c, s->in, s->spec);
        log1p_abs(out, s->spec, nb);
        break;
    case GT_FEAT_STFT:
        for (int r = 0; r < f->rows; r++) {
            taper_into(s->in, x + (size_t)r * c->seg_hop, f->taper, n, 0.0f);
            fftwf_execute_dft_r2c(f->r2c, s->in, s->spec);
            log1p_abs(out + (size_t)r * nb, s->spec, nb);
        }
        break;
    case GT_FEAT_WELCH: {
        int nseg = segments(f, s, x, 1, s->acc, NULL);
        for (int k = 0; k < nb; k++) {
            double p = s->acc[k] / nseg * f->welch_scale;
            if (k > 0 && 2 * k != n)
                p *= 2; /* one-sided */
            out[k] = (float)p;
        }
        log10_floor(out, nb);
        break;
    }
    case GT_FEAT_SK: {
        int nseg = segments(f, s, x, 0, s->acc, s->acc2);
        for (int k = 0; k < nb; k++) {
            double m2 = s->acc[k] / nseg, m4 = s->acc2[k] / nseg;
            out[k] = m2 > 0 ? (float)(m4 / (m2 * m2) - 2) : 0.0f;
        }
        break;
    }
    case GT_FEAT_BANDS: {
        taper_into(s->in, x, f->taper, n, 0.0f);
        fftwf_execute_dft_r2c(f->r2c, s->in, s->spec);
        for (int b = 0; b < c->nbands; b++) {
            double e = 0;
            for (int k = f->band_start[b]; k < f->band_start[b + 1]; k++)
                e += (double)s->spec[k][0] * s->spec[k][0] +
                     (double)s->spec[k][1] * s->spec[k][1];
            out[b] = (float)e;
        }
        log10_floor(out, c->nbands);
        break;
    }
    case GT_FEAT_ENVELOPE: {
        /* analytic signal of the band-passed window (the mean goes with DC) */
        memcpy(s->in, x, sizeof(float) * (size_t)n);
        fftwf_execute_dft_r2c(f->r2c, s->in, s->spec);
        for (int k = 0; k < nb; k++) {
            s->z[k][0] = s->spec[k][0] * f->gain[k];
            s->z[k][1] = s->spec[k][1] * f->gain[k];
        }
        for (int k = nb; k < n; k++)
            s->z[k][0] = s->z[k][1] = 0.0f;
        fftwf_execute_dft(f->inv, s->z, s->a);
        /* its magnitude (the envelope), mean removed, and that one's spectrum */
        const float inv_n = 1.0f / (float)n;
        double em = 0;
        for (int i = 0; i < n; i++) {
            float e = sqrtf(s->a[i][0] * s->a[i][0] + s->a[i][1] * s->a[i][1]) * inv_n;
            s->in[i] = e;
            em += e;
        }
        const float emean = (float)(em / n);
        for (int i = 0; i < n; i++)
            s->in[i] -= emean;
        fftwf_execute_dft_r2c(f->r2c, s->in, s->spec);
        for (int k = 0; k < nb; k++)
            out[k] = sqrtf(s->spec[k][0] * s->spec[k][0] + s->spec[k][1] * s->spec[k][1]) *
                     inv_n;
        break;
    }
    }
}

void gt_featurize(gt_featurizer *f, const float *x, const size_t *starts, size_t hop,
                  size_t nwin, float *out)
{
    if (nwin == 0)
        return;
    int nt = gt_threads_get();
    if (nt > f->nthreads)
        nt = f->nthreads; /* no more threads than there is scratch for */
    if (nt < 1)
        nt = 1;
    if ((size_t)nt > nwin)
        nt = (int)nwin;
    const size_t per = (size_t)f->rows * (size_t)f->cols;
    const long long nw = (long long)nwin;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        scratch *s = &f->scr[omp_get_thread_num()];
#pragma omp for schedule(static)
        for (long long w = 0; w < nw; w++) {
            size_t st = starts ? starts[w] : (size_t)w * hop;
            one_window(f, s, x + st, out + (size_t)w * per);
        }
    }
}

/* ---- harmonic amplitudes --------------------------------------------------------- */

void gt_spectrum_amplitudes(const float *s, int nbins, double bin_hz, double freq, int nharm,
                            double tol_hz, float *amp)
{
    const double tol = tol_hz > bin_hz ? tol_hz : bin_hz;
    for (int h = 1; h <= nharm; h++) {
        const double fh = h * freq;
        double klo = ceil((fh - tol) / bin_hz - 1e-9), khi = floor((fh + tol) / bin_hz + 1e-9);
        if (klo < 0)
            klo = 0;
        if (khi > nbins - 1)
            khi = nbins - 1;
        float best = 0.0f;
        int any = 0;
        for (long k = (long)klo; k <= (long)khi; k++)
            if (!any || s[k] > best) {
                best = s[k];
                any = 1;
            }
        amp[h - 1] = best;
    }
}
