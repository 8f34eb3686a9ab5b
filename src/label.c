/* Class conditioning: label channels appended after the input's channels. */
#include "gantry/kernels.h"

#include <string.h>

void gt_label_concat_forward(float *out, const float *inp, const int *labels,
                             const float *table, int C, int E, int N, int HW)
{
    // inp is (C, N, HW), out is (C + E, N, HW), labels is (N), table is (K, E)
    size_t plane = (size_t)N * (size_t)HW;
    if (C > 0)
        memcpy(out, inp, (size_t)C * plane * sizeof(float));
    for (int e = 0; e < E; e++)
        for (int n = 0; n < N; n++) {
            float v = table ? table[(size_t)labels[n] * E + e] : (labels[n] == e ? 1.0f : 0.0f);
            float *dst = out + (size_t)(C + e) * plane + (size_t)n * HW;
            for (int k = 0; k < HW; k++)
                dst[k] = v;
        }
}

void gt_label_concat_backward(float *dinp, float *dtable, const float *dout,
                              const int *labels, int C, int E, int N, int HW)
{
    // dinp is (C, N, HW), dout is (C + E, N, HW), dtable is (K, E)
    size_t plane = (size_t)N * (size_t)HW;
    if (dinp && C > 0)
        memcpy(dinp, dout, (size_t)C * plane * sizeof(float));
    if (!dtable)
        return;
    /* Serial: samples sharing a label add into the same row in a fixed order. */
    for (int e = 0; e < E; e++)
        for (int n = 0; n < N; n++) {
            const float *src = dout + (size_t)(C + e) * plane + (size_t)n * HW;
            double s = 0.0;
            for (int k = 0; k < HW; k++)
                s += src[k];
            dtable[(size_t)labels[n] * E + e] += (float)s;
        }
}
