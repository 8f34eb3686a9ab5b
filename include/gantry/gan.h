/*
 * gantry/gan.h - adversarial training of a generator G and a discriminator
 * (critic) D, both gantry models.
 *
 * One step, as in the PyTorch DCGAN example:
 *     fake = G(z)
 *     D step: loss_D(D(real), D(fake)) -> D's gradients -> D's optimiser
 *     G step: loss_G(D(fake)) -> through D (D's parameters untouched) -> G
 * Losses: the seed's binary cross-entropy (D maximises log D(x) +
 * log(1 - D(G(z))); G minimises -log D(G(z)), the non-saturating form),
 * Wasserstein with weight clipping, and hinge (with spectral normalisation
 * in D, the stable default).  Class-conditional GANs pass labels; the fake
 * batch uses the real batch's labels.
 */
#ifndef GANTRY_GAN_H
#define GANTRY_GAN_H

#include <stdint.h>

#include "gantry/common.h"
#include "gantry/model.h"
#include "gantry/optim.h"
#include "gantry/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gt_gan_loss {
    GT_GAN_BCE,
    GT_GAN_WGAN,
    GT_GAN_HINGE,
    GT_GAN_LOSS_COUNT
} gt_gan_loss;

/* "bce", "wgan", "hinge" */
const char *gt_gan_loss_name(gt_gan_loss loss);
/* Returns GT_OK and sets *out, or GT_EINVAL for an unknown name. */
int gt_gan_loss_parse(const char *name, gt_gan_loss *out);

typedef struct gt_gan_cfg {
    gt_gan_loss loss;
    gt_optim_cfg g_opt, d_opt; /* default: Adam 2e-4, betas (0.5, 0.999) */
    float clip;                /* wgan: clip D's parameters to [-clip, clip] */
    float real_target;         /* bce: target for real samples (1, or 0.9) */
    int shift;                 /* > 0: every sample D sees, real or generated,
                                * is first translated along its last axis by
                                * a random whole number of positions in
                                * [-shift, shift], zero-filled (DiffAugment's
                                * translation, Zhao et al. 2020; G's gradient
                                * goes back through it), so that D cannot
                                * judge by where in the window things are;
                                * 0 (default): none */
} gt_gan_cfg;

gt_gan_cfg gt_gan_cfg_default(void);

typedef struct gt_gan_stats {
    double loss_d, loss_d_real, loss_d_fake, loss_g;
    double loss_aux; /* the auxiliary generator loss (0 without one) */
    double d_real, d_fake; /* mean D(x), D(G(z)): probabilities for bce,
                              raw scores otherwise */
} gt_gan_stats;

typedef struct gt_gan {
    gt_model *g, *d; /* borrowed: the caller creates and frees them */
    gt_gan_cfg cfg;
    gt_rng rng;
    int nz, max_batch;
    size_t sample_size;
    float *z, *fake, *logits, *dlogits, *dfake; /* work buffers */
    float *moved;    /* cfg.shift: D's translated input */
    int *shifts;     /* cfg.shift: each sample's translation */
    /* An auxiliary loss for the generator (NULL: none; set after init):
     * given the generated batch fake (n, C, H, W), ADD d loss / d fake to
     * dfake and return the loss (not finite: the step is refused, as for a
     * diverged GAN).  E.g. gantry/spec_match.h's spectral matching. */
    double (*aux)(void *ctx, const float *fake, const int *labels, int n, float *dfake);
    void *aux_ctx;
} gt_gan;

/*
 * Pair G (input: nz-vector, output: a sample) with D (input: a sample,
 * output: one score).  Checks the shapes fit; allocates work buffers for
 * min(max batch of G, of D).  The seed drives the latent samples.
 */
int gt_gan_init(gt_gan *gan, gt_model *g, gt_model *d, const gt_gan_cfg *cfg,
                uint64_t seed, gt_error *err);
void gt_gan_free(gt_gan *gan);

/* Draw n latent vectors N(0, 1) into z (n * nz). */
void gt_gan_sample_z(gt_gan *gan, float *z, int n);

/*
 * One full training step on a batch of n real samples (n, C, H, W); z is n
 * latent vectors, or NULL to draw them.  labels: class per sample for
 * conditional models, else NULL.  Returns GT_OK, or GT_ENUMERIC when a loss
 * or gradient is not finite: the update that met it is skipped, and the
 * caller should stop (a diverged GAN) rather than save the models.
 */
int gt_gan_step(gt_gan *gan, const float *real, const int *labels,
                const float *z, int n, gt_gan_stats *stats);
/* Only the D step (for several critic steps per generator step). */
int gt_gan_d_step(gt_gan *gan, const float *real, const int *labels,
                  const float *z, int n, gt_gan_stats *stats);
/* Only the G step. */
int gt_gan_g_step(gt_gan *gan, const int *labels, const float *z, int n,
                  gt_gan_stats *stats);

/* Generate n samples (inference mode) into out (n, C, H, W). */
int gt_gan_generate(gt_gan *gan, const float *z, const int *labels, int n,
                    float *out);

#ifdef __cplusplus
}
#endif
#endif
