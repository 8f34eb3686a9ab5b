/* Spectral moment matching (gantry/spec_match.h).
 *
 * Gradient: with y = h x, Y = rfft(y), P_k = (1 / (m L)) sum_b |Y_bk|^2 over
 * the m windows of a class and g_k = d loss / d P_k,
 *     d loss / d y_bn = (2 / (m L)) Re sum_{k=0}^{L/2} g_k Y_bk e^{+2 pi i k n / L},
 * which FFTW's c2r transform computes from Z_k = g_k Y_bk (k = 0, L/2) and
 * g_k Y_bk / 2 (the others, which c2r counts twice); then times h_n. */
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/spec_match.h"

struct gt_spec_match {
    int nch, len, nb, ncls, max_batch;
    float *hann;          /* len */
    float *buf;           /* len: windowed input, then the gradient */
    fftwf_complex *spec;  /* max_batch * nch * nb: the batch's spectra */
    fftwf_complex *z;     /* nb: c2r input */
    fftwf_plan fwd, inv;
    double *target;       /* ncls * nch * nb: log(T + eps) */
    double *eps;          /* ncls * nch */
    unsigned char *fitted; /* ncls */
    double *pw;           /* nch * nb: a class's batch power */
    int *members;         /* max_batch */
};

int gt_spec_match_create(gt_spec_match **out, int nch, int len, int nclasses, int max_batch,
                         gt_error *err)
{
    *out = NULL;
    if (nch < 1 || len < 4 || len % 2 || max_batch < 1 || nclasses < 0)
        return gt_error_set(err, GT_EINVAL,
                            "spectral matching needs channels, an even window of 4 or more "
                            "and a batch (got %d, %d, %d)",
                            nch, len, max_batch);
    gt_spec_match *s = calloc(1, sizeof *s);
    if (!s)
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    s->nch = nch;
    s->len = len;
    s->nb = len / 2 + 1;
    s->ncls = nclasses > 0 ? nclasses : 1;
    s->max_batch = max_batch;
    const size_t nb = (size_t)s->nb;
    s->hann = malloc((size_t)len * sizeof *s->hann);
    s->buf = fftwf_malloc((size_t)len * sizeof *s->buf);
    s->spec = fftwf_malloc((size_t)max_batch * nch * nb * sizeof *s->spec);
    s->z = fftwf_malloc(nb * sizeof *s->z);
    s->target = calloc((size_t)s->ncls * nch * nb, sizeof *s->target);
    s->eps = calloc((size_t)s->ncls * nch, sizeof *s->eps);
    s->fitted = calloc((size_t)s->ncls, 1);
    s->pw = malloc((size_t)nch * nb * sizeof *s->pw);
    s->members = malloc((size_t)max_batch * sizeof *s->members);
    if (!s->hann || !s->buf || !s->spec || !s->z || !s->target || !s->eps || !s->fitted ||
        !s->pw || !s->members) {
        gt_spec_match_free(s);
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    }
    /* Unaligned: the spectra land at any window's offset in spec. */
    s->fwd = fftwf_plan_dft_r2c_1d(len, s->buf, s->spec, FFTW_ESTIMATE | FFTW_UNALIGNED);
    s->inv = fftwf_plan_dft_c2r_1d(len, s->z, s->buf, FFTW_ESTIMATE);
    if (!s->fwd || !s->inv) {
        gt_spec_match_free(s);
        return gt_error_set(err, GT_ENOMEM, "FFTW could not plan a transform of %d", len);
    }
    for (int i = 0; i < len; i++)
        s->hann[i] = (float)(0.5 - 0.5 * cos(6.283185307179586 * i / len));
    *out = s;
    return GT_OK;
}

void gt_spec_match_free(gt_spec_match *s)
{
    if (!s)
        return;
    if (s->fwd)
        fftwf_destroy_plan(s->fwd);
    if (s->inv)
        fftwf_destroy_plan(s->inv);
    free(s->hann);
    fftwf_free(s->buf);
    fftwf_free(s->spec);
    fftwf_free(s->z);
    free(s->target);
    free(s->eps);
    free(s->fitted);
    free(s->pw);
    free(s->members);
    free(s);
}

/* Hann-windowed spectrum of one channel of one window into out (nb). */
static void spectrum(gt_spec_match *s, const float *x, fftwf_complex *out)
{
    for (int i = 0; i < s->len; i++)
        s->buf[i] = s->hann[i] * x[i];
    fftwf_execute_dft_r2c(s->fwd, s->buf, out);
}

int gt_spec_match_fit(gt_spec_match *s, const float *x, const int *cls, size_t n, gt_error *err)
{
    const size_t nb = (size_t)s->nb, C = (size_t)s->nch, L = (size_t)s->len;
    size_t *count = calloc((size_t)s->ncls, sizeof *count);
    if (!count)
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    memset(s->target, 0, (size_t)s->ncls * C * nb * sizeof *s->target);
    for (size_t i = 0; i < n; i++) {
        int k = cls ? cls[i] : 0;
        if (k < 0 || k >= s->ncls) {
            free(count);
            return gt_error_set(err, GT_EINVAL, "spectral matching: window %zu has class %d", i,
                                k);
        }
        count[k]++;
        for (size_t c = 0; c < C; c++) {
            spectrum(s, x + (i * C + c) * L, s->spec);
            double *t = s->target + ((size_t)k * C + c) * nb;
            for (size_t b = 0; b < nb; b++)
                t[b] += (double)s->spec[b][0] * s->spec[b][0] +
                        (double)s->spec[b][1] * s->spec[b][1];
        }
    }
    for (int k = 0; k < s->ncls; k++) {
        s->fitted[k] = count[k] > 0;
        for (size_t c = 0; count[k] && c < C; c++) {
            double *t = s->target + ((size_t)k * C + c) * nb, mean = 0;
            for (size_t b = 0; b < nb; b++) {
                t[b] /= (double)count[k] * (double)L;
                mean += t[b];
            }
            double e = 1e-6 * mean / (double)nb + 1e-30;
            s->eps[(size_t)k * C + c] = e;
            for (size_t b = 0; b < nb; b++)
                t[b] = log(t[b] + e);
        }
    }
    free(count);
    return GT_OK;
}

double gt_spec_match_loss(gt_spec_match *s, const float *x, const int *cls, int n, float scale,
                          float *grad)
{
    const size_t nb = (size_t)s->nb, C = (size_t)s->nch, L = (size_t)s->len;
    if (n < 1 || n > s->max_batch)
        return NAN;
    for (int i = 0; i < n; i++) {
        int k = cls ? cls[i] : 0;
        if (k < 0 || k >= s->ncls)
            return NAN;
        for (size_t c = 0; c < C; c++)
            spectrum(s, x + ((size_t)i * C + c) * L, s->spec + ((size_t)i * C + c) * nb);
    }
    /* The classes present (with a target), for the mean. */
    int present = 0;
    for (int k = 0; k < s->ncls; k++) {
        if (!s->fitted[k])
            continue;
        for (int i = 0; i < n; i++)
            if ((cls ? cls[i] : 0) == k) {
                present++;
                break;
            }
    }
    if (!present)
        return NAN;
    const double terms = (double)present * (double)C * (double)nb;
    double loss = 0;
    for (int k = 0; k < s->ncls; k++) {
        if (!s->fitted[k])
            continue;
        int m = 0;
        for (int i = 0; i < n; i++)
            if ((cls ? cls[i] : 0) == k)
                s->members[m++] = i;
        if (!m)
            continue;
        for (size_t c = 0; c < C; c++) {
            double *p = s->pw + c * nb;
            for (size_t b = 0; b < nb; b++) {
                double acc = 0;
                for (int j = 0; j < m; j++) {
                    const fftwf_complex *y = s->spec + ((size_t)s->members[j] * C + c) * nb;
                    acc += (double)y[b][0] * y[b][0] + (double)y[b][1] * y[b][1];
                }
                p[b] = acc / ((double)m * (double)L);
            }
            const double e = s->eps[(size_t)k * C + c];
            const double *t = s->target + ((size_t)k * C + c) * nb;
            for (size_t b = 0; b < nb; b++) {
                double d = log(p[b] + e) - t[b];
                loss += d * d;
                /* p becomes g_b = d loss / d P_b (the mean's 1 / terms
                 * included), times the 2 / (m L) of d P / d y. */
                p[b] = 2.0 * d / (p[b] + e) / terms * 2.0 / ((double)m * (double)L);
            }
            if (!grad)
                continue;
            for (int j = 0; j < m; j++) {
                const size_t at = ((size_t)s->members[j] * C + c);
                const fftwf_complex *y = s->spec + at * nb;
                for (size_t b = 0; b < nb; b++) {
                    double f = p[b] * (b == 0 || b == nb - 1 ? 1.0 : 0.5);
                    s->z[b][0] = (float)(f * y[b][0]);
                    s->z[b][1] = (float)(f * y[b][1]);
                }
                fftwf_execute_dft_c2r(s->inv, s->z, s->buf);
                float *gx = grad + at * L;
                for (size_t i = 0; i < L; i++)
                    gx[i] += scale * s->hann[i] * s->buf[i];
            }
        }
    }
    return loss / terms;
}
