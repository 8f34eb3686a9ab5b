/* Inverted dropout.  The mask is drawn serially from one generator so that a
 * seed fixes it whatever the thread count. */
#include "gantry/kernels.h"

void gt_dropout_forward(float *out, float *mask, const float *inp, size_t n,
                        float p, gt_rng *rng, int train)
{
    // out, mask, inp are (n)
    if (!train) {
        for (size_t i = 0; i < n; i++)
            out[i] = inp[i];
        return;
    }
    /* p >= 1 drops everything (PyTorch returns zeros) rather than scaling by
     * 1/0; p <= 0 keeps everything. */
    float keep = p >= 1.0f ? 0.0f : 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++)
        mask[i] = gt_rng_uniform(rng) < p ? 0.0f : keep;
    for (size_t i = 0; i < n; i++)
        out[i] = inp[i] * mask[i];
}

void gt_dropout_backward(float *dinp, const float *dout, const float *mask, size_t n)
{
    // dinp, dout, mask are (n)
    for (size_t i = 0; i < n; i++)
        dinp[i] = dout[i] * mask[i];
}
