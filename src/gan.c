/* The adversarial training step. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/gan.h"
#include "gantry/loss.h"
#include "model_internal.h"

static const char *const loss_names[] = {"bce", "wgan", "hinge"};
_Static_assert(sizeof loss_names / sizeof loss_names[0] == GT_GAN_LOSS_COUNT,
               "every GAN loss needs a name");

const char *gt_gan_loss_name(gt_gan_loss loss)
{
    return (unsigned)loss < GT_GAN_LOSS_COUNT ? loss_names[loss] : "?";
}

int gt_gan_loss_parse(const char *name, gt_gan_loss *out)
{
    for (int i = 0; i < GT_GAN_LOSS_COUNT; i++)
        if (strcmp(name, loss_names[i]) == 0) {
            *out = (gt_gan_loss)i;
            return GT_OK;
        }
    return GT_EINVAL;
}

gt_gan_cfg gt_gan_cfg_default(void)
{
    gt_gan_cfg c;
    memset(&c, 0, sizeof c);
    c.loss = GT_GAN_BCE;
    c.g_opt = gt_optim_default();
    c.d_opt = gt_optim_default();
    c.clip = 0.01f;
    c.real_target = 1.0f;
    return c;
}

int gt_gan_init(gt_gan *gan, gt_model *g, gt_model *d, const gt_gan_cfg *cfg, uint64_t seed,
                gt_error *err)
{
    memset(gan, 0, sizeof *gan);
    gt_shape gi = gt_model_input_shape(g), go = gt_model_output_shape(g);
    gt_shape di = gt_model_input_shape(d), dout = gt_model_output_shape(d);
    if (gi.h != 1 || gi.w != 1)
        return gt_error_set(err, GT_ESHAPE, "generator input must be a latent vector, not %dx%dx%d",
                            gi.c, gi.h, gi.w);
    if (go.c != di.c || go.h != di.h || go.w != di.w)
        return gt_error_set(err, GT_ESHAPE,
                            "generator output %dx%dx%d does not match discriminator input %dx%dx%d",
                            go.c, go.h, go.w, di.c, di.h, di.w);
    if (gt__shape_size(dout) != 1)
        return gt_error_set(err, GT_ESHAPE, "discriminator must output one score, not %dx%dx%d",
                            dout.c, dout.h, dout.w);
    if (gt_model_nclasses(g) != gt_model_nclasses(d))
        return gt_error_set(err, GT_ESHAPE, "generator has %d classes, discriminator %d",
                            gt_model_nclasses(g), gt_model_nclasses(d));
    gan->g = g;
    gan->d = d;
    gan->cfg = *cfg;
    gan->nz = gi.c;
    gan->sample_size = gt__shape_size(go);
    int mb = gt_model_max_batch(g) < gt_model_max_batch(d) ? gt_model_max_batch(g)
                                                           : gt_model_max_batch(d);
    gan->max_batch = mb;
    gt_rng_seed(&gan->rng, seed);
    gan->z = gt__alloc_floats((size_t)mb * gan->nz);
    gan->fake = gt__alloc_floats((size_t)mb * gan->sample_size);
    gan->dfake = gt__alloc_floats((size_t)mb * gan->sample_size);
    gan->logits = gt__alloc_floats((size_t)mb);
    gan->dlogits = gt__alloc_floats((size_t)mb);
    if (cfg->shift < 0) {
        gt_gan_free(gan);
        return gt_error_set(err, GT_EINVAL, "the translation of D's inputs must be from 0 up, "
                            "not %d", cfg->shift);
    }
    if (cfg->shift) {
        gan->moved = gt__alloc_floats((size_t)mb * gan->sample_size);
        gan->shifts = calloc((size_t)mb, sizeof *gan->shifts);
    }
    if (!gan->z || !gan->fake || !gan->dfake || !gan->logits || !gan->dlogits ||
        (cfg->shift && (!gan->moved || !gan->shifts))) {
        gt_gan_free(gan);
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    }
    return GT_OK;
}

void gt_gan_free(gt_gan *gan)
{
    gt__free_floats(gan->z);
    gt__free_floats(gan->fake);
    gt__free_floats(gan->dfake);
    gt__free_floats(gan->logits);
    gt__free_floats(gan->dlogits);
    gt__free_floats(gan->moved);
    free(gan->shifts);
    memset(gan, 0, sizeof *gan);
}

void gt_gan_sample_z(gt_gan *gan, float *z, int n)
{
    gt_rng_fill_normal(&gan->rng, z, (size_t)n * gan->nz, 0.0f, 1.0f);
}

static double mean_score(const gt_gan *gan, const float *s, int n)
{
    double acc = 0;
    for (int i = 0; i < n; i++)
        acc += gan->cfg.loss == GT_GAN_BCE ? 1.0 / (1.0 + exp(-(double)s[i])) : s[i];
    return acc / n;
}

/* D's loss on a batch of scores; real = 1 for real samples. */
static double d_loss(const gt_gan *gan, float *grad, const float *s, int real, int n)
{
    switch (gan->cfg.loss) {
    case GT_GAN_WGAN:
        return gt_loss_wgan(grad, s, real ? -1.0f : 1.0f, (size_t)n, 1.0f);
    case GT_GAN_HINGE:
        return gt_loss_hinge_d(grad, s, real, (size_t)n, 1.0f);
    default:
        return gt_loss_bce_logits(grad, s, real ? gan->cfg.real_target : 0.0f, (size_t)n, 1.0f);
    }
}

/* What D sees of x: x itself, or (cfg.shift) x translated by fresh random
 * shifts, kept for d_input_backward. */
static const float *d_input(gt_gan *gan, const float *x, int n)
{
    if (!gan->cfg.shift)
        return x;
    const gt_shape s = gt_model_input_shape(gan->d);
    const uint32_t span = 2 * (uint32_t)gan->cfg.shift + 1;
    for (int i = 0; i < n; i++)
        gan->shifts[i] = (int)gt_rng_below(&gan->rng, span) - gan->cfg.shift;
    gt_translate_forward(gan->moved, x, n, s.c * s.h, s.w, gan->shifts);
    return gan->moved;
}

/* d loss / d x from d loss / d (what D saw), in place. */
static void d_input_backward(gt_gan *gan, float *dx, int n)
{
    if (!gan->cfg.shift)
        return;
    const gt_shape s = gt_model_input_shape(gan->d);
    memcpy(gan->moved, dx, (size_t)n * gan->sample_size * sizeof *dx);
    gt_translate_backward(dx, gan->moved, n, s.c * s.h, s.w, gan->shifts);
}

static int generate_train(gt_gan *gan, const int *labels, const float *z, int n)
{
    if (n <= 0 || n > gan->max_batch)
        return GT_EINVAL;
    if (!z) {
        gt_gan_sample_z(gan, gan->z, n);
        z = gan->z;
    }
    return gt_model_forward(gan->g, z, labels, n, 1, gan->fake);
}

/* D's update on `real` and the current gan->fake. */
static int d_update(gt_gan *gan, const float *real, const int *labels, int n,
                    gt_gan_stats *st)
{
    gt_model *d = gan->d;
    gt_model_zero_grad(d);
    int rc = gt_model_forward(d, d_input(gan, real, n), labels, n, 1, gan->logits);
    if (rc < 0)
        return rc;
    double lr = d_loss(gan, gan->dlogits, gan->logits, 1, n);
    double dr = mean_score(gan, gan->logits, n);
    if (!isfinite(lr))
        return GT_ENUMERIC;
    gt_model_backward(d, gan->dlogits, NULL);
    rc = gt_model_forward(d, d_input(gan, gan->fake, n), labels, n, 1, gan->logits);
    if (rc < 0)
        return rc;
    double lf = d_loss(gan, gan->dlogits, gan->logits, 0, n);
    if (!isfinite(lf))
        return GT_ENUMERIC;
    gt_model_backward(d, gan->dlogits, NULL);
    if (!isfinite(gt_sumsq(gt_model_grads(d), gt_model_nparams(d))))
        return GT_ENUMERIC;
    gt_model_step(d, &gan->cfg.d_opt);
    if (gan->cfg.loss == GT_GAN_WGAN)
        gt_clip(gt_model_params(d), gt_model_nparams(d), gan->cfg.clip);
    if (st) {
        st->loss_d_real = lr;
        st->loss_d_fake = lf;
        st->loss_d = lr + lf;
        st->d_real = dr;
        st->d_fake = mean_score(gan, gan->logits, n);
    }
    return GT_OK;
}

/* G's update through D, from the generator's last (training) forward. */
static int g_update(gt_gan *gan, const int *labels, int n, gt_gan_stats *st)
{
    gt_model *g = gan->g;
    int rc = gt_model_forward(gan->d, d_input(gan, gan->fake, n), labels, n, 1, gan->logits);
    if (rc < 0)
        return rc;
    double lg = gan->cfg.loss == GT_GAN_BCE
                    ? gt_loss_bce_logits(gan->dlogits, gan->logits, 1.0f, (size_t)n, 1.0f)
                    : gt_loss_wgan(gan->dlogits, gan->logits, -1.0f, (size_t)n, 1.0f);
    if (!isfinite(lg))
        return GT_ENUMERIC;
    gt_model_backward_input(gan->d, gan->dlogits, gan->dfake);
    d_input_backward(gan, gan->dfake, n);
    double la = 0;
    if (gan->aux && !isfinite(la = gan->aux(gan->aux_ctx, gan->fake, labels, n, gan->dfake)))
        return GT_ENUMERIC;
    gt_model_zero_grad(g);
    gt_model_backward(g, gan->dfake, NULL);
    if (!isfinite(gt_sumsq(gt_model_grads(g), gt_model_nparams(g))))
        return GT_ENUMERIC;
    gt_model_step(g, &gan->cfg.g_opt);
    if (st) {
        st->loss_g = lg;
        st->loss_aux = la;
    }
    return GT_OK;
}

int gt_gan_step(gt_gan *gan, const float *real, const int *labels, const float *z, int n,
                gt_gan_stats *stats)
{
    int rc = generate_train(gan, labels, z, n);
    if (rc == GT_OK)
        rc = d_update(gan, real, labels, n, stats);
    if (rc == GT_OK)
        rc = g_update(gan, labels, n, stats);
    return rc;
}

int gt_gan_d_step(gt_gan *gan, const float *real, const int *labels, const float *z, int n,
                  gt_gan_stats *stats)
{
    int rc = generate_train(gan, labels, z, n);
    return rc == GT_OK ? d_update(gan, real, labels, n, stats) : rc;
}

int gt_gan_g_step(gt_gan *gan, const int *labels, const float *z, int n, gt_gan_stats *stats)
{
    int rc = generate_train(gan, labels, z, n);
    return rc == GT_OK ? g_update(gan, labels, n, stats) : rc;
}

int gt_gan_generate(gt_gan *gan, const float *z, const int *labels, int n, float *out)
{
    if (n <= 0 || n > gan->max_batch)
        return GT_EINVAL;
    if (!z) {
        gt_gan_sample_z(gan, gan->z, n);
        z = gan->z;
    }
    return gt_model_infer(gan->g, z, labels, n, out);
}
