/*
 * gantry/spec_match.h - spectral moment matching, an auxiliary loss for a
 * time-series generator: per class and channel, the log of the mean power
 * spectrum of a batch of generated windows against that of the real
 * training windows,
 *
 *     loss = mean over classes in the batch, channels, bins k of
 *            (log(P_k + eps) - log(T_k + eps))^2,
 *     P_k  = mean over the batch's windows of the class of |FFT(h x)_k|^2 / L,
 *
 * h a Hann window, T the same mean over the real windows, eps 1e-6 of T's
 * mean.  An adversarial critic that wins early gives the generator little
 * to learn a spectral envelope from; this term states it directly.  (It
 * matches a batch's mean spectrum, not each window's, so windows may still
 * differ from one another as real ones do.)
 */
#ifndef GANTRY_SPEC_MATCH_H
#define GANTRY_SPEC_MATCH_H

#include <stddef.h>

#include "gantry/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_spec_match gt_spec_match;

/* For windows of nch channels of len samples (even, >= 4), nclasses
 * classes (0: one), batches of up to max_batch windows.  Plans FFTW
 * (not thread-safe: create from one thread). */
int gt_spec_match_create(gt_spec_match **out, int nch, int len, int nclasses, int max_batch,
                         gt_error *err);
void gt_spec_match_free(gt_spec_match *s);

/* The targets from n real windows x (n, nch, len) of classes cls (NULL:
 * all class 0).  GT_EINVAL (message) for a class out of range. */
int gt_spec_match_fit(gt_spec_match *s, const float *x, const int *cls, size_t n, gt_error *err);

/* The loss of n <= max_batch windows x (n, nch, len) of classes cls (NULL:
 * 0); classes without a target (no real window) are left out.  When grad
 * is not NULL, ADDS scale * d loss / d x to it (n, nch, len).  NaN for a
 * bad n, an unfitted s or a class out of range. */
double gt_spec_match_loss(gt_spec_match *s, const float *x, const int *cls, int n, float scale,
                          float *grad);

#ifdef __cplusplus
}
#endif

#endif
