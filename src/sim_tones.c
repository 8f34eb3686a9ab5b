/* Rows of random-phase tones: the toy distribution the engine learns first. */
#include <math.h>

#include "gantry/signal.h"

void gt_sim_tones(float *x, int n, int len, const float *cycles, const float *amps, int ntones,
                  float noise, gt_rng *r)
{
    const double two_pi = 6.283185307179586;
    for (int i = 0; i < n; i++) {
        float *row = x + (size_t)i * len;
        for (int t = 0; t < len; t++)
            row[t] = 0.0f;
        for (int j = 0; j < ntones; j++) {
            double phase = two_pi * gt_rng_uniform(r);
            double w = two_pi * cycles[j] / len;
            for (int t = 0; t < len; t++)
                row[t] += amps[j] * (float)sin(w * t + phase);
        }
        for (int t = 0; noise > 0 && t < len; t++)
            row[t] += noise * gt_rng_normal(r);
    }
}
