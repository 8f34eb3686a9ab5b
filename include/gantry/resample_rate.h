/*
 * gantry/resample_rate.h - changing the sample rate of a regularly sampled
 * signal (48 kHz CWRU recordings to 12 kHz, 44.1 kHz to 48 kHz...).
 *
 * The filter: a windowed sinc (Kaiser window, beta 7.857, designed for 80 dB)
 * whose band edges follow the lower of the two rates, f_lo = min(rate_in,
 * rate_out):
 *     passband  0 .. 0.45 f_lo          ripple under 0.01 % (0.001 dB)
 *     transition 0.45 f_lo .. 0.5 f_lo
 *     stopband  0.5 f_lo ..             attenuation >= 80 dB (design), so a
 *                                       tone above the new Nyquist frequency
 *                                       does not alias back
 * The filter spans (72 / (14.36 * 0.05 * f_lo / rate_in)) input samples:
 * about 400 for a 4:1 decimation, 100 for a 1:4 interpolation.  When the
 * ratio reduces to p / q with p <= 4096 (integer rates such as 48000 -> 12000,
 * 1/4, or 44100 -> 48000, 160/147) the p filter phases are computed once
 * (polyphase); otherwise each output sample's filter is computed where it
 * falls (a general windowed-sinc interpolator).  Each phase's weights are
 * scaled to sum to 1 (unit gain at DC).  Output sample k lies at input time
 * k * rate_in / rate_out (sample 0 stays at time 0).  Past either end the
 * signal is mirrored about its end sample, so a constant or slowly varying
 * signal keeps its level to the edges; accumulation is in double.
 */
#ifndef GANTRY_RESAMPLE_RATE_H
#define GANTRY_RESAMPLE_RATE_H

#include <stddef.h>

#include "gantry/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Resample x (n samples at rate_in Hz) to rate_out Hz.  *y is malloc'd (the
 * caller frees it; NULL when *ny is 0) and has *ny = round(n * rate_out /
 * rate_in) samples.  Rates must be finite and positive, and their ratio
 * within [1e-4, 1e4].  Equal rates copy x.
 */
int gt_resample_rate(const float *x, size_t n, double rate_in, double rate_out,
                     float **y, size_t *ny, gt_error *err);

/*
 * How well x (n samples, assumed taken at `rate` Hz) fits a machine turning
 * at shaft_hz: a check of a recording's stated sample rate (CWRU's normal
 * baseline is 48 kHz, often taken for 12 kHz).  Under a wrong rate every
 * line moves by the ratio; a rate 4x too low puts the shaft harmonics at
 * quarter orders, 4x too high leaves only every 4th order.  A strongest
 * line near shaft_hz proves nothing (60 Hz mains makes lines at 120 Hz,
 * 4 x 29.93 Hz), so the score compares whole combs: from the mean power
 * spectrum (Hann-windowed, half-overlapping segments sized for 10 bins per
 * quarter order), each order's prominence is its peak (+-1 bin, +-0.5 %
 * speed) over the median of the bins around it; *score is the median
 * prominence at orders 1..8 over that at the 24 quarter orders between
 * them (0.25, 0.5, 0.75, 1.25 ...).  Right rate: well above 1 (tens);
 * wrong: near 1.  Compare candidate rates and take the highest.  Needs at
 * least one segment (about 40 shaft turns) of data and 8.5 x shaft_hz
 * below rate / 2.
 */
int gt_shaft_rate_score(const float *x, size_t n, double rate, double shaft_hz,
                        double *score, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
