/*
 * Batch normalisation over channel-major activations: each channel's M values
 * are contiguous, so a channel is one thread's job and its reductions run in
 * a fixed order (bit-identical whatever the thread count).
 */
#include "gantry/kernels.h"

#include <math.h>

#include "pointwise.h"

/* Below this many values in total the thread start-up costs more than it saves. */
#define BN_PAR_MIN 32768

/*
 * Mean and biased variance in one pass.  Sums are in double and shifted by the
 * first value so that E[x^2] - E[x]^2 does not cancel when |mean| >> std.
 */
static void channel_moments(const float *x, size_t M, double *mean, double *var)
{
    double k = x[0], s = 0.0, s2 = 0.0;
#pragma omp simd reduction(+ : s, s2)
    for (size_t i = 0; i < M; i++) {
        double d = (double)x[i] - k;
        s += d;
        s2 += d * d;
    }
    double m = s / (double)M;
    *mean = k + m;
    *var = fmax(s2 / (double)M - m * m, 0.0);
}

/* out = (x - mean) * a + b: subtracting first keeps precision when the
 * channel's mean is large compared with its spread. */
static void channel_affine(float *out, const float *x, size_t M, float mean,
                           float a, float b)
{
#pragma omp simd
    for (size_t i = 0; i < M; i++)
        out[i] = (x[i] - mean) * a + b;
}

/*
 * The map out = (x - fmu) * a + b that normalises a channel of mean mu and
 * variance var (then scales by g and shifts by be), with fmu the float mean
 * and rstd = 1 / sqrt(var + eps).  The loop subtracts the float mean; what
 * rounding it lost (mu - fmu) goes into the offset, so a large mean costs no
 * precision.
 */
static void channel_coeffs(double mu, double var, double g, double be, float eps,
                           float *fmu, float *rstd, float *a, float *b)
{
    double rs = 1.0 / sqrt(var + (double)eps);
    *fmu = (float)mu;
    *rstd = (float)rs;
    double da = g * rs;
    *a = (float)da;
    *b = (float)(be - (mu - *fmu) * da);
}

void gt_batchnorm_forward(float *out, float *mean, float *rstd,
                          const float *inp, const float *gamma,
                          const float *beta, float *running_mean,
                          float *running_var, int C, int M, float momentum,
                          float eps, int train)
{
    // out, inp are (C, M); mean, rstd, gamma, beta, running_* are (C)
    if (C <= 0 || M <= 0)
        return;
    /* Without running statistics inference falls back to the batch's, as
     * PyTorch does for track_running_stats=False. */
    int batch_stats = train || !running_mean || !running_var;
#pragma omp parallel for schedule(static) if ((size_t)C * (size_t)M >= BN_PAR_MIN)
    for (int c = 0; c < C; c++) {
        const float *x = inp + (size_t)c * M;
        double mu, var;
        if (batch_stats) {
            channel_moments(x, (size_t)M, &mu, &var);
            if (train && running_mean && running_var) {
                /* PyTorch's running variance is unbiased; a single value has
                 * none, so it keeps the biased one (0) instead of dividing by 0. */
                double unbiased = M > 1 ? var * M / (M - 1) : var;
                double mom = momentum;
                running_mean[c] = (float)((1.0 - mom) * running_mean[c] + mom * mu);
                running_var[c] = (float)((1.0 - mom) * running_var[c] + mom * unbiased);
            }
        } else {
            mu = running_mean[c];
            var = running_var[c];
        }
        float fa, fb;
        channel_coeffs(mu, var, gamma ? gamma[c] : 1.0, beta ? beta[c] : 0.0, eps, &mean[c],
                       &rstd[c], &fa, &fb);
        channel_affine(out + (size_t)c * M, x, (size_t)M, mean[c], fa, fb);
    }
}

void gt__batchnorm_map(float *mean, float *scale, float *shift, const float *gamma,
                       const float *beta, const float *running_mean,
                       const float *running_var, int C, float eps)
{
    for (int c = 0; c < C; c++) {
        float rstd;
        channel_coeffs(running_mean[c], running_var[c], gamma ? gamma[c] : 1.0,
                       beta ? beta[c] : 0.0, eps, &mean[c], &rstd, &scale[c], &shift[c]);
    }
}

void gt_batchnorm_backward(float *dinp, float *dgamma, float *dbeta,
                           const float *dout, const float *inp,
                           const float *mean, const float *rstd,
                           const float *gamma, int C, int M)
{
    // dinp, dout, inp are (C, M); dgamma, dbeta, mean, rstd, gamma are (C)
    if (C <= 0 || M <= 0)
        return;
#pragma omp parallel for schedule(static) if ((size_t)C * (size_t)M >= BN_PAR_MIN)
    for (int c = 0; c < C; c++) {
        const float *x = inp + (size_t)c * M;
        const float *dy = dout + (size_t)c * M;
        const float fmu = mean[c];
        /* The sums are over x - fmu; sum x gives the exact mean's offset from
         * the saved (rounded) one, as in the forward. */
        double sdy = 0.0, sdyx = 0.0, sx = 0.0;
#pragma omp simd reduction(+ : sdy, sdyx, sx)
        for (size_t i = 0; i < (size_t)M; i++) {
            float xm = x[i] - fmu;
            sdy += dy[i];
            sdyx += (double)dy[i] * xm;
            sx += xm;
        }
        double off = sx / M; /* true mean - fmu */
        sdyx -= off * sdy;
        double rs = rstd[c];
        if (dbeta)
            dbeta[c] += (float)sdy;
        if (dgamma)
            dgamma[c] += (float)(sdyx * rs);
        if (!dinp)
            continue;
        /*
         * With xhat = (x - mean) rstd and g = gamma:
         *   dx = g rstd (dy - mean(dy) - xhat mean(dy xhat))
         *      = a dy + b (x - fmu) + d
         */
        double g = gamma ? gamma[c] : 1.0;
        double a = g * rs;
        double b = -a * rs * rs * sdyx / M;
        float fa = (float)a, fb = (float)b;
        float fd = (float)(-a * sdy / M - b * off);
        float *dx = dinp + (size_t)c * M;
#pragma omp simd
        for (size_t i = 0; i < (size_t)M; i++)
            dx[i] = fa * dy[i] + fb * (x[i] - fmu) + fd;
    }
}
