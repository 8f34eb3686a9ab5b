/*
 * Losses for adversarial training, reconstruction and classification.  Each
 * value is worked out in double and summed in order, so the loss and the
 * gradient do not depend on the thread count; batches of scores are too
 * small to split.
 * A NaN input makes the loss NaN (the trainer's NaN check relies on it), so
 * clamps below are written `d < 0 ? 0 : d`, never fmax.
 */
#include "gantry/loss.h"

#include <math.h>

/*
 * One value of BCE on a logit x with target t, and d/dx = sigmoid(x) - t.
 * With e = exp(-|x|) in (0, 1] nothing overflows, and the gradient is
 * written over the common denominator 1 + e so that it keeps its relative
 * precision when sigmoid(x) is within rounding of 0 or 1:
 *   x >= 0:  sigmoid(x) - t = ((1 - t) - t e) / (1 + e)
 *   x <  0:  sigmoid(x) - t = ((1 - t) e - t) / (1 + e)
 */
static double bce_one(double x, double t, double *dx)
{
    double e = exp(-fabs(x));
    *dx = x >= 0 ? ((1.0 - t) - t * e) / (1.0 + e)
                 : ((1.0 - t) * e - t) / (1.0 + e);
    return (x < 0 ? 0.0 : x) - x * t + log1p(e);
}

/* targets may be NULL, then every value has target t. */
static double bce(float *grad, const float *logits, const float *targets,
                  float t, size_t n, float scale)
{
    if (n == 0)
        return 0.0;
    const double c = (double)scale / (double)n;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d;
        s += bce_one(logits[i], targets ? targets[i] : t, &d);
        if (grad)
            grad[i] = (float)(c * d);
    }
    return s / (double)n;
}

double gt_loss_bce_logits(float *grad, const float *logits, float target,
                          size_t n, float scale)
{
    return bce(grad, logits, NULL, target, n, scale);
}

double gt_loss_bce_logits_targets(float *grad, const float *logits,
                                  const float *targets, size_t n, float scale)
{
    return bce(grad, logits, targets, 0.0f, n, scale);
}

double gt_loss_wgan(float *grad, const float *scores, float sign, size_t n,
                    float scale)
{
    if (n == 0)
        return 0.0;
    const float g = (float)((double)sign * (double)scale / (double)n);
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += scores[i];
        if (grad)
            grad[i] = g;
    }
    return (double)sign * s / (double)n;
}

double gt_loss_hinge_d(float *grad, const float *scores, int real, size_t n,
                       float scale)
{
    if (n == 0)
        return 0.0;
    /* real: relu(1 - x), fake: relu(1 + x); at the kink the gradient is 0,
     * as PyTorch's relu gives. */
    const double dir = real ? -1.0 : 1.0;
    const float g = (float)(dir * (double)scale / (double)n);
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = 1.0 + dir * scores[i];
        s += d < 0 ? 0.0 : d;
        if (grad)
            grad[i] = d > 0 ? g : 0.0f;
    }
    return s / (double)n;
}

double gt_loss_mse(float *grad, const float *x, const float *y, size_t n,
                   float scale)
{
    if (n == 0)
        return 0.0;
    const double c = 2.0 * (double)scale / (double)n;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)x[i] - (double)y[i];
        s += d * d;
        if (grad)
            grad[i] = (float)(c * d);
    }
    return s / (double)n;
}

double gt_loss_l1(float *grad, const float *x, const float *y, size_t n,
                  float scale)
{
    if (n == 0)
        return 0.0;
    const float g = (float)((double)scale / (double)n);
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)x[i] - (double)y[i];
        s += fabs(d);
        /* sign(d) as torch.sign: 0 where x == y. */
        if (grad)
            grad[i] = d > 0 ? g : (d < 0 ? -g : 0.0f);
    }
    return s / (double)n;
}

double gt_loss_softmax_ce(float *grad, const float *logits, const int *labels, int n, int k,
                          float scale)
{
    if (n <= 0 || k <= 0)
        return 0.0;
    const double c = (double)scale / (double)n;
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        const float *x = logits + (size_t)i * k;
        float *g = grad ? grad + (size_t)i * k : NULL;
        const int y = labels[i];
        if (y < 0 || y >= k) {
            s = NAN;
            if (g)
                for (int j = 0; j < k; j++)
                    g[j] = 0.0f;
            continue;
        }
        /* A NaN logit is never taken as the maximum, but exp(NaN) makes the
         * sum (and so the loss and the row's gradient) NaN. */
        double m = x[0];
        for (int j = 1; j < k; j++)
            if (x[j] > m)
                m = x[j];
        double z = 0.0;
        for (int j = 0; j < k; j++)
            z += exp((double)x[j] - m);
        s += m + log(z) - (double)x[y];
        if (g)
            for (int j = 0; j < k; j++)
                g[j] = (float)(c * (exp((double)x[j] - m) / z - (j == y ? 1.0 : 0.0)));
    }
    return s / (double)n;
}
