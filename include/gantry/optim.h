/*
 * gantry/optim.h - optimisers over flat parameter arrays.
 *
 * Parameters, gradients and optimiser moments are parallel arrays of one
 * length, so an update is a single loop (and, later, an all-reduce across
 * machines is one call on the gradient array).
 */
#ifndef GANTRY_OPTIM_H
#define GANTRY_OPTIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gt_optim_kind { GT_OPTIM_ADAM = 0, GT_OPTIM_SGD = 1 } gt_optim_kind;

typedef struct gt_optim_cfg {
    gt_optim_kind kind;
    float lr;           /* Adam's DCGAN setting: 2e-4 */
    float beta1, beta2; /* Adam: 0.5, 0.999 for GANs; SGD: beta1 = momentum */
    float eps;          /* Adam: 1e-8 */
    float weight_decay; /* L2 added to the gradient (PyTorch's weight_decay) */
} gt_optim_cfg;

/* The GAN default: Adam, lr 2e-4, betas (0.5, 0.999), eps 1e-8. */
gt_optim_cfg gt_optim_default(void);

/*
 * Adam with bias correction, as torch.optim.Adam: t is the step number
 * counting from 1 (the caller increments it before the call).
 *   g' = g + wd p;  m = b1 m + (1-b1) g';  v = b2 v + (1-b2) g'^2
 *   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * m and v start at zero.
 */
void gt_adam_step(float *param, const float *grad, float *m, float *v,
                  size_t n, const gt_optim_cfg *cfg, long t);

/* SGD with momentum as torch.optim.SGD (dampening 0, no Nesterov):
 *   g' = g + wd p;  buf = momentum buf + g' (buf = g' when t == 1);
 *   p -= lr buf.  buf may be NULL when momentum is 0. */
void gt_sgd_step(float *param, const float *grad, float *buf, size_t n,
                 const gt_optim_cfg *cfg, long t);

/* Clamp every value into [-c, c] (WGAN weight clipping). */
void gt_clip(float *param, size_t n, float c);

/* Squared L2 norm of a flat array, accumulated in double. */
double gt_sumsq(const float *x, size_t n);

#ifdef __cplusplus
}
#endif
#endif
