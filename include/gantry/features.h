/*
 * gantry/features.h - windows, normalisation and FFTW features.
 *
 * A featurizer is made once for a configuration (FFTW plans, tapers and
 * per-thread scratch are allocated there) and then turns any number of
 * windows into features without allocating; windows are spread over
 * gt_threads_get() OpenMP threads, each window's result independent of the
 * thread count.
 *
 *     gt_feat_cfg c = gt_feat_cfg_default(GT_FEAT_SPECTRUM, 1024, 12000.0);
 *     int rows, cols;  gt_feat_shape(&c, &rows, &cols, &err);
 *     size_t nw = gt_window_starts(n, 1024, 512, bad, 0, starts, NULL);
 *     gt_featurizer *f;  gt_featurizer_create(&f, &c, &err);
 *     gt_featurize(f, x, starts, 0, nw, out);   // out: nw * rows * cols
 *     gt_featurizer_free(f);
 */
#ifndef GANTRY_FEATURES_H
#define GANTRY_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- normalisation ------------------------------------------------------ */

typedef enum gt_norm_method {
    GT_NORM_NONE = 0, /* center 0, scale 1 */
    GT_NORM_ZSCORE,   /* mean, standard deviation */
    GT_NORM_ROBUST,   /* median, interquartile range / 1.349 */
    GT_NORM_MINMAX    /* (min+max)/2, (max-min)/2: values land in [-1, 1] */
} gt_norm_method;
/* "none", "zscore", "robust", "minmax". */
const char *gt_norm_name(gt_norm_method m);
int gt_norm_parse(const char *s, gt_norm_method *m, gt_error *err);
/* Fit over x[0..n), leaving out NaN (and +-Inf) and samples with
 * skip[i] != 0 (skip may be NULL).  Statistics in double; the standard
 * deviation is the population one (ddof 0); quantiles interpolate linearly
 * (numpy's default).  A constant signal (zero spread) gets scale 1; NONE
 * gives 0 and 1.  GT_EINVAL when nothing is left.  (Allocates a copy for the
 * robust method.) */
int gt_norm_fit(gt_norm_method m, const float *x, size_t n, const uint8_t *skip,
                float *center, float *scale, gt_error *err);
/* x = (x - center) / scale, in place (NaN stays NaN). */
void gt_norm_apply(float *x, size_t n, float center, float scale);
/* x = x * scale + center, in place. */
void gt_norm_undo(float *x, size_t n, float center, float scale);

/* ---- windows -------------------------------------------------------------- */

/* Start indices of windows of length win, hop apart, over n samples, that
 * contain no sample with bad[i] != 0 (bad may be NULL).  With keep_bad, every
 * window is listed and flag[w] (if not NULL) is 1 for one that holds a bad
 * sample.  starts (and flag) need room for gt_window_count(n, win, hop).
 * Returns the number listed (without keep_bad, flag[w] is 0 for each).
 * Window w of the full grid starts at w * hop; gt_window_count is
 * 1 + (n - win) / hop, or 0 when n < win or win or hop is 0.  O(n). */
size_t gt_window_count(size_t n, size_t win, size_t hop);
size_t gt_window_starts(size_t n, size_t win, size_t hop, const uint8_t *bad, int keep_bad,
                        size_t *starts, uint8_t *flag);

/* ---- features ------------------------------------------------------------- */

typedef enum gt_feature {
    GT_FEAT_RAW = 0,  /* the window itself (win values) */
    GT_FEAT_SPECTRUM, /* log1p |rfft(taper * x)| (unscaled, no detrend):
                       * win/2+1 values */
    GT_FEAT_WELCH,    /* log10 Welch PSD (segments of seg, hop seg_hop, tapered,
                       * mean removed), units^2/Hz: seg/2+1 values; the
                       * one-sided density of scipy.signal.welch
                       * (scaling='density', detrend='constant'), floored at
                       * 1e-30 before the log */
    GT_FEAT_ENVELOPE, /* envelope spectrum: |rfft(|analytic(x)| - mean)| / win,
                       * analytic signal of x with its mean removed,
                       * band-passed to [band_lo, band_hi] (brick-wall, in the
                       * FFT) when band_hi > 0: win/2+1 values (linear
                       * amplitude; untapered) */
    GT_FEAT_STFT,     /* log1p |STFT|: frames x (seg/2+1), frames =
                       * 1 + (win - seg) / seg_hop; frame r is
                       * log1p |rfft(taper * x[r seg_hop ..])| (unscaled) */
    GT_FEAT_SK,       /* spectral kurtosis over the STFT frames:
                       * <|X|^4> / <|X|^2>^2 - 2 per bin: seg/2+1 values
                       * (0 for a bin with no power) */
    GT_FEAT_BANDS     /* log10 energy of nbands equal-width bands of the
                       * tapered power spectrum from 0 to rate/2: nbands values.
                       * Energy: sum of |rfft(taper * x)_k|^2 over the bins k
                       * with floor(2 k nbands / win) = band (the Nyquist bin
                       * joins the last band), floored at 1e-30 */
} gt_feature;
/* "raw", "spectrum", "welch", "envelope", "stft", "sk", "bands". */
const char *gt_feature_name(gt_feature f);
int gt_feature_parse(const char *s, gt_feature *f, gt_error *err);

/* Periodic (DFT-even) tapers, as scipy.signal.get_window: Hann
 * 0.5 - 0.5 cos(2 pi i / n), Hamming 0.54 - 0.46 cos(2 pi i / n), rectangle. */
typedef enum gt_taper { GT_TAPER_HANN = 0, GT_TAPER_HAMMING, GT_TAPER_RECT } gt_taper;
/* "hann", "hamming", "rect". */
const char *gt_taper_name(gt_taper t);
int gt_taper_parse(const char *s, gt_taper *t, gt_error *err);

typedef struct gt_feat_cfg {
    gt_feature kind;
    int win;                /* window length (samples), >= 4 */
    gt_taper taper;         /* for SPECTRUM, WELCH, STFT, SK, BANDS */
    int seg, seg_hop;       /* WELCH/STFT/SK segments; 0: win/8 (at least 4)
                             * and seg/2; 4 <= seg <= win */
    double rate;            /* Hz (needed for ENVELOPE band-pass and WELCH units) */
    double band_lo, band_hi;/* ENVELOPE band-pass, Hz; band_hi 0: none */
    int nbands;             /* BANDS; 0: 16; at most win/2 */
} gt_feat_cfg;
/* kind, win, rate, a Hann taper, everything else 0 (the defaults). */
gt_feat_cfg gt_feat_cfg_default(gt_feature kind, int win, double rate);
/* Check c and replace its 0s by the defaults (seg, seg_hop, nbands):
 * GT_EINVAL with a message naming the field when it cannot work (WELCH and a
 * band-passed ENVELOPE need rate > 0; an ENVELOPE band_lo needs a band_hi).
 * gt_feat_shape and gt_featurizer_create call it on a copy. */
int gt_feat_cfg_resolve(gt_feat_cfg *c, gt_error *err);

/* Shape of one window's features: rows x cols (rows > 1 only for STFT). */
int gt_feat_shape(const gt_feat_cfg *c, int *rows, int *cols, gt_error *err);
/* The frequency of column j of a spectrum-like feature, in Hz (the centre of
 * the band for BANDS; in cycles per sample when rate <= 0); NaN for RAW or
 * an invalid configuration. */
double gt_feat_freq(const gt_feat_cfg *c, int j);

/* A featurizer holds scratch for gt_threads_get() threads (as at create);
 * gt_featurize never uses more threads than that.  Create and free plan
 * with FFTW, which is not thread safe: do not call them while another
 * thread plans FFTs.  One featurizer serves one gt_featurize call at a time;
 * use one per caller thread otherwise. */
typedef struct gt_featurizer gt_featurizer;
int gt_featurizer_create(gt_featurizer **out, const gt_feat_cfg *c, gt_error *err);
/* Features of nwin windows of x, window w starting at starts[w] (or, when
 * starts is NULL, at w * hop): out gets nwin * rows * cols floats, window
 * after window.  The caller guarantees the windows lie inside x.  Does not
 * allocate; bit-identical results for any thread count. */
void gt_featurize(gt_featurizer *f, const float *x, const size_t *starts, size_t hop,
                  size_t nwin, float *out);
void gt_featurizer_free(gt_featurizer *f);

/* The largest amplitude of spectrum s (nbins values, bin k at k * bin_hz)
 * within +-tol_hz (at least one bin) of h * freq for h = 1..nharm; amp gets
 * nharm values (0 for a harmonic beyond the last bin). */
void gt_spectrum_amplitudes(const float *s, int nbins, double bin_hz, double freq, int nharm,
                            double tol_hz, float *amp);

/* log1p(x) for x >= 0 to within 1e-7 relative (0.87 ulp; checked over every
 * float), in place over n; vectorises; NaN and +Inf pass through. */
void gt_log1p_inplace(float *x, size_t n);

#ifdef __cplusplus
}
#endif
#endif
