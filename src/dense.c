/* Fully connected layer: one GEMM over the whole batch in (F, N) layout. */
#include "gantry/kernels.h"

#include <cblas.h>

/* OpenBLAS reports (prints) leading dimensions below 1 as errors, so empty
 * shapes never reach it; every GEMM below is guarded by this. */
static int nonempty(int a, int b, int c)
{
    return a > 0 && b > 0 && c > 0;
}

void gt_dense_forward(float *out, const float *inp, const float *weight,
                      const float *bias, int F, int O, int N)
{
    // out is (O, N), inp is (F, N), weight is (O, F), bias is (O)
    for (int o = 0; o < O; o++)
        for (int n = 0; n < N; n++)
            out[(size_t)o * N + n] = bias ? bias[o] : 0.0f;
    if (nonempty(O, N, F))
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, O, N, F, 1.0f,
                    weight, F, inp, N, 1.0f, out, N);
}

void gt_dense_backward(float *dinp, float *dweight, float *dbias,
                       const float *dout, const float *inp,
                       const float *weight, int F, int O, int N)
{
    // dinp is (F, N), dweight is (O, F), dbias is (O), dout is (O, N)
    if (dinp) {
        if (nonempty(F, N, O))
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, F, N, O, 1.0f,
                        weight, F, dout, N, 0.0f, dinp, N);
        else
            for (size_t i = 0; i < (size_t)F * (size_t)N; i++)
                dinp[i] = 0.0f;
    }
    if (dweight && nonempty(O, F, N))
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, O, F, N, 1.0f,
                    dout, N, inp, N, 1.0f, dweight, F);
    if (dbias) {
        for (int o = 0; o < O; o++) {
            const float *row = dout + (size_t)o * N;
            double s = 0.0;
            for (int n = 0; n < N; n++)
                s += row[n];
            dbias[o] += (float)s;
        }
    }
}
