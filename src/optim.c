/* Adam, SGD with momentum, weight clipping and squared norms over flat
 * parameter arrays. */
#include "gantry/optim.h"

#include <math.h>

/*
 * Below this many values a parallel region costs more than it saves.  Every
 * update is elementwise, so the split never changes a single bit of the
 * result.  The `if` clauses name `parallel`: a bare `if` on `parallel for
 * simd` also switches off vectorisation when it is false.
 */
enum { PAR_MIN = 1 << 15 };

gt_optim_cfg gt_optim_default(void)
{
    gt_optim_cfg c = {
        .kind = GT_OPTIM_ADAM,
        .lr = 2e-4f,
        .beta1 = 0.5f,
        .beta2 = 0.999f,
        .eps = 1e-8f,
        .weight_decay = 0.0f,
    };
    return c;
}

void gt_adam_step(float *param, const float *grad, float *m, float *v,
                  size_t n, const gt_optim_cfg *cfg, long t)
{
    /* Step 0 would divide by 1 - beta^0 = 0. */
    if (t < 1)
        t = 1;
    /* The scalars are worked out in double and rounded once, as PyTorch
     * does with its Python floats before they reach a float kernel. */
    const double bc1 = 1.0 - pow((double)cfg->beta1, (double)t);
    const double bc2 = 1.0 - pow((double)cfg->beta2, (double)t);
    const float step = (float)((double)cfg->lr / bc1);
    const float bc2_sqrt = (float)sqrt(bc2);
    const float b1 = cfg->beta1, b2 = cfg->beta2;
    const float w1 = (float)(1.0 - (double)b1), w2 = (float)(1.0 - (double)b2);
    const float eps = cfg->eps, wd = cfg->weight_decay;
    const long long len = (long long)n;

    /* GCC vectorises this only under -fno-math-errno: otherwise sqrtf's
     * errno side effect keeps the loop scalar (about 3.5x slower). */
#pragma omp parallel for simd schedule(static) if (parallel: len >= PAR_MIN)
    for (long long i = 0; i < len; i++) {
        /* With wd == 0 this is g + 0 = g for any finite parameter. */
        float g = grad[i] + wd * param[i];
        float mi = b1 * m[i] + w1 * g;
        float vi = b2 * v[i] + w2 * g * g;
        m[i] = mi;
        v[i] = vi;
        param[i] -= step * mi / (sqrtf(vi) / bc2_sqrt + eps);
    }
}

void gt_sgd_step(float *param, const float *grad, float *buf, size_t n,
                 const gt_optim_cfg *cfg, long t)
{
    const float lr = cfg->lr, mom = cfg->beta1, wd = cfg->weight_decay;
    const long long len = (long long)n;

    /* Without a buffer there is nowhere to keep momentum: plain SGD. */
    if (mom == 0.0f || !buf) {
#pragma omp parallel for simd schedule(static) if (parallel: len >= PAR_MIN)
        for (long long i = 0; i < len; i++)
            param[i] -= lr * (grad[i] + wd * param[i]);
        return;
    }
    /* PyTorch starts the buffer as a copy of the first gradient, so the
     * first step is plain SGD whatever buf held before. */
    if (t <= 1) {
#pragma omp parallel for simd schedule(static) if (parallel: len >= PAR_MIN)
        for (long long i = 0; i < len; i++) {
            float g = grad[i] + wd * param[i];
            buf[i] = g;
            param[i] -= lr * g;
        }
        return;
    }
#pragma omp parallel for simd schedule(static) if (parallel: len >= PAR_MIN)
    for (long long i = 0; i < len; i++) {
        float b = mom * buf[i] + (grad[i] + wd * param[i]);
        buf[i] = b;
        param[i] -= lr * b;
    }
}

void gt_clip(float *param, size_t n, float c)
{
    const long long len = (long long)n;
    /* Comparisons rather than fminf/fmaxf, so a NaN stays NaN (as with
     * torch.clamp) and the trainer's NaN check still sees it. */
#pragma omp parallel for simd schedule(static) if (parallel: len >= PAR_MIN)
    for (long long i = 0; i < len; i++) {
        float x = param[i];
        param[i] = x > c ? c : (x < -c ? -c : x);
    }
}

double gt_sumsq(const float *x, size_t n)
{
    /*
     * Eight fixed partial sums: the compiler can vectorise them, and the
     * order of additions depends only on n, never on the thread count or
     * on how the loop was compiled.
     */
    double acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            acc[j] += (double)x[i + j] * (double)x[i + j];
    double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) +
               ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < n; i++)
        s += (double)x[i] * (double)x[i];
    return s;
}
