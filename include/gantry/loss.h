/*
 * gantry/loss.h - losses for adversarial training, reconstruction and
 * classification.
 *
 * Each function returns the loss (mean over the n values, accumulated in
 * double) and, if grad is not NULL, WRITES grad[i] = d loss / d x[i]
 * multiplied by `scale` (use scale = 1 normally; the trainer may scale).
 */
#ifndef GANTRY_LOSS_H
#define GANTRY_LOSS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Binary cross-entropy on logits against a constant target t in [0, 1]
 * (1 = real, 0 = fake; 0.9 for one-sided label smoothing):
 *     mean( max(x, 0) - x t + log(1 + exp(-|x|)) )
 * Numerically stable for any logit.  The seed's GAN: the discriminator
 * minimises bce(D(x), 1) + bce(D(G(z)), 0); the generator minimises
 * bce(D(G(z)), 1) = -mean log sigmoid(D(G(z))) (non-saturating).
 */
double gt_loss_bce_logits(float *grad, const float *logits, float target,
                          size_t n, float scale);
/* Same with a target per value. */
double gt_loss_bce_logits_targets(float *grad, const float *logits,
                                  const float *targets, size_t n, float scale);

/* Wasserstein critic: the critic minimises mean(D(fake)) - mean(D(real));
 * sign = -1 for real scores, +1 for fake ones: returns sign * mean(x).
 * The generator uses sign = -1 on D(G(z)). */
double gt_loss_wgan(float *grad, const float *scores, float sign, size_t n,
                    float scale);

/* Hinge loss for the discriminator: real: mean(relu(1 - x)); fake:
 * mean(relu(1 + x)).  real = 1 or 0.  (The generator uses gt_loss_wgan with
 * sign -1.) */
double gt_loss_hinge_d(float *grad, const float *scores, int real, size_t n,
                       float scale);

/* Reconstruction: mean((x - y)^2) and mean(|x - y|), gradient w.r.t. x. */
double gt_loss_mse(float *grad, const float *x, const float *y, size_t n,
                   float scale);
double gt_loss_l1(float *grad, const float *x, const float *y, size_t n,
                  float scale);

/*
 * Softmax cross-entropy of n rows of k logits (row-major, (n, k)) against
 * class indices labels[i] in [0, k):
 *     mean_i( logsumexp(logits_i) - logits_i[labels_i] )
 * as torch.nn.functional.cross_entropy (reduction 'mean').  grad (n * k)
 * gets (softmax(logits_i) - onehot(labels_i)) / n * scale.  Stable for any
 * finite logits (the row maximum is subtracted; sums in double).  Returns NaN
 * for a label out of range (that row's gradient is then 0) or a NaN logit;
 * 0 when n is 0.
 */
double gt_loss_softmax_ce(float *grad, const float *logits, const int *labels, int n, int k,
                          float scale);

#ifdef __cplusplus
}
#endif
#endif
