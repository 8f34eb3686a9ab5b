/* Envelope spectra through the analytic signal (FFTW, single precision). */
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>

#include "gantry/signal.h"

int gt_envelope_spectrum(float *psd, const float *x, int n, double rate, double band_lo,
                         double band_hi, gt_error *err)
{
    if (n < 4 || !(rate > 0))
        return gt_error_set(err, GT_EINVAL, "envelope spectrum needs n >= 4 samples and a rate");
    if (band_lo < 0 || (band_hi != 0 && band_hi <= band_lo))
        return gt_error_set(err, GT_EINVAL, "bad band %g-%g Hz", band_lo, band_hi);
    const int nb = n / 2 + 1;
    float *re = fftwf_malloc(sizeof(float) * (size_t)n);
    fftwf_complex *spec = fftwf_malloc(sizeof(fftwf_complex) * (size_t)n);
    fftwf_complex *z = fftwf_malloc(sizeof(fftwf_complex) * (size_t)n);
    fftwf_plan fwd = NULL, inv = NULL, env = NULL;
    int rc = GT_OK;
    if (re && spec && z) {
        fwd = fftwf_plan_dft_r2c_1d(n, re, spec, FFTW_ESTIMATE);
        inv = fftwf_plan_dft_1d(n, spec, z, FFTW_BACKWARD, FFTW_ESTIMATE);
        env = fftwf_plan_dft_r2c_1d(n, re, spec, FFTW_ESTIMATE);
    }
    if (!fwd || !inv || !env) {
        rc = gt_error_set(err, GT_ENOMEM, "out of memory planning FFTs of %d", n);
        goto out;
    }
    double mean = 0;
    for (int i = 0; i < n; i++)
        mean += x[i];
    mean /= n;
    for (int i = 0; i < n; i++)
        re[i] = (float)(x[i] - mean);
    fftwf_execute(fwd);
    /* Analytic signal: keep DC and Nyquist once, double the positive
     * frequencies, drop the negative ones (r2c left them unset). */
    const double hz = rate / n;
    for (int k = 0; k < n; k++) {
        double f = k * hz;
        int keep = k < nb && (band_hi == 0 ? 1 : (f >= band_lo && f <= band_hi));
        float g = !keep ? 0.0f : (k == 0 || 2 * k == n) ? 1.0f : 2.0f;
        if (k >= nb) {
            spec[k][0] = spec[k][1] = 0.0f;
        } else {
            spec[k][0] *= g;
            spec[k][1] *= g;
        }
    }
    fftwf_execute(inv);
    double emean = 0;
    for (int i = 0; i < n; i++) {
        double a = hypot(z[i][0], z[i][1]) / n;
        re[i] = (float)a;
        emean += a;
    }
    emean /= n;
    for (int i = 0; i < n; i++)
        re[i] -= (float)emean;
    fftwf_execute(env);
    for (int k = 0; k < nb; k++)
        psd[k] = spec[k][0] * spec[k][0] + spec[k][1] * spec[k][1];
out:
    if (fwd)
        fftwf_destroy_plan(fwd);
    if (inv)
        fftwf_destroy_plan(inv);
    if (env)
        fftwf_destroy_plan(env);
    fftwf_free(re);
    fftwf_free(spec);
    fftwf_free(z);
    return rc;
}
