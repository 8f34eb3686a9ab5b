/*
 * gantry/signal.h - spectra and simple synthetic signals.
 */
#ifndef GANTRY_SIGNAL_H
#define GANTRY_SIGNAL_H

#include "gantry/common.h"
#include "gantry/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Mean power spectrum |FFT(x)|^2 of n rows of length len (x is n x len,
 * rows contiguous), each with its mean removed, through FFTW's r2c.
 * psd gets len/2 + 1 bins (bin k is k cycles per row).
 */
int gt_power_spectrum_mean(float *psd, const float *x, int n, int len,
                           gt_error *err);

/*
 * Envelope spectrum of one signal x (n samples at `rate` Hz): the power
 * spectrum of the magnitude of its analytic signal (Hilbert transform via
 * FFTW), optionally band-passed to [band_lo, band_hi] Hz first (both 0: the
 * whole band).  Bearing faults show as peaks at their defect frequencies.
 * psd gets n/2 + 1 bins, bin k at k * rate / n Hz.
 */
int gt_envelope_spectrum(float *psd, const float *x, int n, double rate,
                         double band_lo, double band_hi, gt_error *err);

/* Indices of the k largest local maxima of psd (nbins values), strongest
 * first, in bins[0..k-1]; returns how many were found (<= k).  Bin 0 is
 * never a peak. */
int gt_spectrum_peaks(const float *psd, int nbins, int k, int *bins);

/*
 * n rows of length len: sum over j of amps[j] sin(2 pi cycles[j] t / len +
 * phase_j) with a random phase per row and tone, plus N(0, noise^2).
 */
void gt_sim_tones(float *x, int n, int len, const float *cycles,
                  const float *amps, int ntones, float noise, gt_rng *r);

#ifdef __cplusplus
}
#endif
#endif
