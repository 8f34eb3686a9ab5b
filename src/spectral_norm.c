/*
 * Spectral normalisation by power iteration, as torch.nn.utils.spectral_norm.
 * The matrix-vector products accumulate in double (a row or column can be
 * thousands long) and are split over rows or over blocks of columns, each
 * output value summed by one thread in a fixed order.
 */
#include "gantry/kernels.h"

#include <math.h>

#define SN_EPS 1e-12
#define SN_PAR_MIN 65536
/* Columns handled per block of W^T u: the block's double accumulators stay in
 * registers/L1 while W is streamed row by row. */
#define SN_COL_BLOCK 64

/* x /= max(||x||, eps), the norm in double. */
static void normalize(float *x, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    double norm = fmax(sqrt(s), SN_EPS);
    for (int i = 0; i < n; i++)
        x[i] = (float)(x[i] / norm);
}

/* y (cols) = W^T x, W (rows, cols), x (rows). */
static void matvec_t(float *y, const float *w, const float *x, int rows, int cols)
{
    int nblocks = (cols + SN_COL_BLOCK - 1) / SN_COL_BLOCK;
#pragma omp parallel for schedule(static) if ((size_t)rows * cols >= SN_PAR_MIN)
    for (int b = 0; b < nblocks; b++) {
        int j0 = b * SN_COL_BLOCK;
        int nj = cols - j0 < SN_COL_BLOCK ? cols - j0 : SN_COL_BLOCK;
        double acc[SN_COL_BLOCK] = {0};
        for (int i = 0; i < rows; i++) {
            const float *wr = w + (size_t)i * cols + j0;
            double xi = x[i];
            for (int j = 0; j < nj; j++)
                acc[j] += xi * wr[j];
        }
        for (int j = 0; j < nj; j++)
            y[j0 + j] = (float)acc[j];
    }
}

/* Row i of W dotted with x (cols), in double. */
static double row_dot(const float *w, const float *x, int i, int cols)
{
    const float *wr = w + (size_t)i * cols;
    double s = 0.0;
    for (int j = 0; j < cols; j++)
        s += (double)wr[j] * x[j];
    return s;
}

/* y (rows) = W x. */
static void matvec(float *y, const float *w, const float *x, int rows, int cols)
{
#pragma omp parallel for schedule(static) if ((size_t)rows * cols >= SN_PAR_MIN)
    for (int i = 0; i < rows; i++)
        y[i] = (float)row_dot(w, x, i, cols);
}

float gt_spectral_norm_forward(float *wn, float *u, float *v,
                               const float *w, int rows, int cols, int iters,
                               int train)
{
    // wn, w are (rows, cols); u is (rows); v is (cols)
    if (train) {
        for (int it = 0; it < iters; it++) {
            matvec_t(v, w, u, rows, cols);
            normalize(v, cols);
            matvec(u, w, v, rows, cols);
            normalize(u, rows);
        }
    }
    /* As PyTorch: sigma = u . (W v) from the current weight, also when u and v
     * were not updated (inference) or W changed since they were.  W v goes
     * through wn's first rows values, which are overwritten next. */
    matvec(wn, w, v, rows, cols);
    double sigma = 0.0;
    for (int i = 0; i < rows; i++)
        sigma += (double)u[i] * wn[i];
    float s = (float)sigma;
    size_t n = (size_t)rows * (size_t)cols;
#pragma omp parallel for simd schedule(static) if (parallel: n >= SN_PAR_MIN)
    for (size_t k = 0; k < n; k++)
        wn[k] = w[k] / s;
    return s;
}

/*
 * wn = W / sigma with sigma = u^T W v, u and v constants, so
 * d sigma / dW = u v^T and, for a loss L(wn),
 *   dL/dW = dwn / sigma - (sum(dwn .* W) / sigma^2) u v^T
 *         = (dwn - sum(dwn .* wn) u v^T) / sigma.
 */
void gt_spectral_norm_backward(float *dw, const float *dwn, const float *wn,
                               const float *u, const float *v, float sigma,
                               int rows, int cols)
{
    // dw, dwn, wn are (rows, cols); u is (rows); v is (cols)
    size_t n = (size_t)rows * (size_t)cols;
    double dot = 0.0;
    for (size_t k = 0; k < n; k++)
        dot += (double)dwn[k] * wn[k];
    float fdot = (float)dot, inv = 1.0f / sigma;
#pragma omp parallel for schedule(static) if (n >= SN_PAR_MIN)
    for (int i = 0; i < rows; i++) {
        float a = fdot * u[i];
        const float *g = dwn + (size_t)i * cols;
        float *d = dw + (size_t)i * cols;
        for (int j = 0; j < cols; j++)
            d[j] += (g[j] - a * v[j]) * inv;
    }
}
