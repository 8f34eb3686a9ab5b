/* Power spectra through FFTW (single precision). */
#include <fftw3.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/signal.h"

int gt_power_spectrum_mean(float *psd, const float *x, int n, int len, gt_error *err)
{
    if (n <= 0 || len < 2)
        return gt_error_set(err, GT_EINVAL, "power spectrum needs rows of length >= 2");
    int nb = len / 2 + 1;
    float *buf = fftwf_malloc(sizeof(float) * (size_t)len);
    fftwf_complex *spec = fftwf_malloc(sizeof(fftwf_complex) * (size_t)nb);
    double *acc = calloc((size_t)nb, sizeof *acc);
    fftwf_plan plan = NULL;
    int rc = GT_OK;
    if (buf && spec && acc)
        plan = fftwf_plan_dft_r2c_1d(len, buf, spec, FFTW_ESTIMATE);
    if (!plan) {
        rc = gt_error_set(err, GT_ENOMEM, "out of memory planning an FFT of %d", len);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        const float *row = x + (size_t)i * len;
        double mean = 0;
        for (int t = 0; t < len; t++)
            mean += row[t];
        mean /= len;
        for (int t = 0; t < len; t++)
            buf[t] = (float)(row[t] - mean);
        fftwf_execute(plan);
        for (int k = 0; k < nb; k++)
            acc[k] += (double)spec[k][0] * spec[k][0] + (double)spec[k][1] * spec[k][1];
    }
    for (int k = 0; k < nb; k++)
        psd[k] = (float)(acc[k] / n);
out:
    if (plan)
        fftwf_destroy_plan(plan);
    fftwf_free(buf);
    fftwf_free(spec);
    free(acc);
    return rc;
}

static int is_peak(const float *psd, int nbins, int b)
{
    return psd[b] > psd[b - 1] && (b + 1 == nbins || psd[b] >= psd[b + 1]);
}

int gt_spectrum_peaks(const float *psd, int nbins, int k, int *bins)
{
    int found = 0;
    /* k rounds of "strongest peak weaker than the previous pick": k is small. */
    while (found < k) {
        int best = -1;
        for (int b = 1; b < nbins; b++) {
            if (!is_peak(psd, nbins, b))
                continue;
            int taken = 0;
            for (int j = 0; j < found; j++)
                taken |= bins[j] == b;
            if (!taken && (best < 0 || psd[b] > psd[best]))
                best = b;
        }
        if (best < 0)
            break;
        bins[found++] = best;
    }
    return found;
}
