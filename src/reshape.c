/* Layout changes: flatten/unflatten between CNHW and (features, N), and
 * nearest-neighbour upsampling. */
#include "gantry/kernels.h"

#define RESHAPE_PAR_MIN 65536

void gt_flatten_forward(float *out, const float *inp, int C, int N, int HW)
{
    // inp is (C, N, HW), out is (C*HW, N): per channel an (N, HW) transpose
    size_t total = (size_t)C * (size_t)N * (size_t)HW;
#pragma omp parallel for schedule(static) if (total >= RESHAPE_PAR_MIN)
    for (int c = 0; c < C; c++) {
        const float *src = inp + (size_t)c * N * HW;
        float *dst = out + (size_t)c * HW * N;
        for (int n = 0; n < N; n++)
            for (int k = 0; k < HW; k++)
                dst[(size_t)k * N + n] = src[(size_t)n * HW + k];
    }
}

void gt_unflatten_forward(float *out, const float *inp, int C, int N, int HW)
{
    // inp is (C*HW, N), out is (C, N, HW)
    size_t total = (size_t)C * (size_t)N * (size_t)HW;
#pragma omp parallel for schedule(static) if (total >= RESHAPE_PAR_MIN)
    for (int c = 0; c < C; c++) {
        const float *src = inp + (size_t)c * HW * N;
        float *dst = out + (size_t)c * N * HW;
        for (int n = 0; n < N; n++)
            for (int k = 0; k < HW; k++)
                dst[(size_t)n * HW + k] = src[(size_t)k * N + n];
    }
}

void gt_upsample_forward(float *out, const float *inp, int C, int N, int H,
                         int W, int fh, int fw)
{
    // inp is (C, N, H, W), out is (C, N, H*fh, W*fw)
    int planes = C * N, Ho = H * fh, Wo = W * fw;
    size_t total = (size_t)planes * (size_t)Ho * (size_t)Wo;
#pragma omp parallel for schedule(static) if (total >= RESHAPE_PAR_MIN)
    for (int p = 0; p < planes; p++) {
        const float *src = inp + (size_t)p * H * W;
        float *dst = out + (size_t)p * Ho * Wo;
        for (int h = 0; h < H; h++) {
            float *row = dst + (size_t)h * fh * Wo;
            for (int w = 0; w < W; w++)
                for (int j = 0; j < fw; j++)
                    row[w * fw + j] = src[(size_t)h * W + w];
            /* The other fh - 1 output rows repeat the first. */
            for (int i = 1; i < fh; i++)
                for (int x = 0; x < Wo; x++)
                    row[(size_t)i * Wo + x] = row[x];
        }
    }
}

void gt_upsample_backward(float *dinp, const float *dout, int C, int N, int H,
                          int W, int fh, int fw)
{
    // dinp is (C, N, H, W), dout is (C, N, H*fh, W*fw)
    int planes = C * N, Ho = H * fh, Wo = W * fw;
    size_t total = (size_t)planes * (size_t)Ho * (size_t)Wo;
#pragma omp parallel for schedule(static) if (total >= RESHAPE_PAR_MIN)
    for (int p = 0; p < planes; p++) {
        const float *src = dout + (size_t)p * Ho * Wo;
        float *dst = dinp + (size_t)p * H * W;
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++) {
                /* A block is fh * fw values (a handful): float is exact enough. */
                float s = 0.0f;
                for (int i = 0; i < fh; i++)
                    for (int j = 0; j < fw; j++)
                        s += src[((size_t)h * fh + i) * Wo + (size_t)w * fw + j];
                dst[(size_t)h * W + w] = s;
            }
    }
}
