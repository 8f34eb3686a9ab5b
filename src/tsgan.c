/* The time-series GAN: models, the two training phases, scores. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/loss.h"
#include "gantry/preset.h"
#include "gantry/spec_match.h"
#include "gantry/tsgan.h"
#include "model_internal.h"
#include "tsgan_internal.h"

gt_tsgan_cfg gt_tsgan_cfg_default(int window, int nch)
{
    gt_tsgan_cfg c;
    memset(&c, 0, sizeof c);
    c.dims = 1;
    c.arch = GT_TSGAN_DCGAN;
    c.window = window;
    c.nch = nch;
    c.nz = 32;
    c.width = 32;
    c.max_width = 256;
    c.loss = GT_GAN_BCE;
    c.batch = 64;
    c.critic_steps = 1;
    c.lr_g = 2e-4f;
    c.lr_d = 2e-4f;
    c.lr_e = 1e-3f;
    c.alpha = 0.5f;
    c.d_gain = 1.0f;
    c.seed = 1;
    return c;
}

float gt_tsgan_d_gain(const gt_tsgan_cfg *c, const float *x, size_t nwin)
{
    if (c->loss != GT_GAN_HINGE)
        return 1.0f;
    const size_t n = nwin * gt_tsgan_sample_size(c);
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (double)x[i] * x[i];
    const double rms = n ? sqrt(ss / (double)n) : 0;
    return rms > 1e-6 && isfinite(rms) ? (float)(1.0 / rms) : 1.0f;
}

const char *gt_tsgan_arch_name(gt_tsgan_arch a)
{
    return a == GT_TSGAN_SEED ? "seed" : "dcgan";
}

int gt_tsgan_arch_parse(const char *s, gt_tsgan_arch *out)
{
    if (!strcmp(s, "dcgan"))
        *out = GT_TSGAN_DCGAN;
    else if (!strcmp(s, "seed"))
        *out = GT_TSGAN_SEED;
    else
        return GT_EINVAL;
    return GT_OK;
}

size_t gt_tsgan_positions(const gt_tsgan_cfg *c)
{
    return c->dims == 2 ? (size_t)c->window * (size_t)c->window : (size_t)c->window;
}

size_t gt_tsgan_sample_size(const gt_tsgan_cfg *c)
{
    return (size_t)c->nch * gt_tsgan_positions(c);
}

static int check_cfg(const gt_tsgan_cfg *c, gt_error *err)
{
    if (c->dims != 1 && c->dims != 2)
        return gt_error_set(err, GT_EINVAL, "dims must be 1 (windows) or 2 (images), not %d",
                            c->dims);
    if (c->arch == GT_TSGAN_SEED) {
        if (c->dims != 2 || (c->window != 7 && c->window != 14 && c->window != 28))
            return gt_error_set(err, GT_EINVAL,
                                "the seed's model makes images of side 7, 14 or 28, not %d%s",
                                c->window, c->dims != 2 ? " (and only images)" : "");
    } else if (c->window < 16 || (c->window & (c->window - 1)) ||
               c->window > (c->dims == 2 ? 1024 : 65536)) {
        return gt_error_set(err, GT_EINVAL, "%s must be a power of two from 16 to %d, not %d",
                            c->dims == 2 ? "the image size" : "window",
                            c->dims == 2 ? 1024 : 65536, c->window);
    }
    if (c->nch < 1 || c->nz < 1 || c->width < 1 || c->max_width < c->width || c->nclasses < 0)
        return gt_error_set(err, GT_EINVAL, "channels, latent size and widths must be positive");
    if (c->batch < 2 || c->critic_steps < 1)
        return gt_error_set(err, GT_EINVAL, "batch must be at least 2 and critic steps at least 1");
    if (!(c->lr_g > 0 && c->lr_d > 0 && c->lr_e > 0))
        return gt_error_set(err, GT_EINVAL, "learning rates must be positive");
    if (!(c->alpha >= 0 && c->alpha <= 1))
        return gt_error_set(err, GT_EINVAL, "alpha must lie in [0, 1], not %g", c->alpha);
    if (!(c->spectral >= 0 && c->spectral < 1e6))
        return gt_error_set(err, GT_EINVAL,
                            "the spectral matching weight must be from 0 up, not %g",
                            (double)c->spectral);
    if (c->spectral > 0 && c->dims != 1)
        return gt_error_set(err, GT_EINVAL, "spectral matching is for time series, not images");
    if (!(c->d_gain > 0 && c->d_gain < 1e6))
        return gt_error_set(err, GT_EINVAL, "D's input gain must be above 0, not %g",
                            (double)c->d_gain);
    if (c->d_shift < 0 || c->d_shift >= c->window)
        return gt_error_set(err, GT_EINVAL,
                            "the translation of D's inputs must be from 0 to %d, not %d",
                            c->window - 1, c->d_shift);
    return GT_OK;
}

/* G, D and E specs from the preset; E is D without spectral normalisation,
 * its last layer (D's logit) widened to nz outputs. */
static int make_specs(const gt_tsgan_cfg *c, char *gs, char *ds, char *es, size_t cap,
                      gt_error *err)
{
    gt_preset_cfg p = gt_preset_default(c->dims, c->window, c->nch);
    p.nz = c->nz;
    p.width = c->width;
    p.max_width = c->max_width;
    p.nclasses = c->nclasses;
    p.spectral = c->loss == GT_GAN_HINGE;
    int (*preset)(const gt_preset_cfg *, char *, size_t, char *, size_t, gt_error *) =
        c->arch == GT_TSGAN_SEED ? gt_preset_seed : gt_preset_dcgan;
    int rc = preset(&p, gs, cap, ds, cap, err);
    if (rc < 0)
        return rc;
    /* D's input gain: a scale layer after the input line, ahead of the
     * class channels. */
    if (c->d_gain != 1.0f) {
        char *nl = strchr(ds, '\n');
        char line[48];
        int k = snprintf(line, sizeof line, "scale %.9g\n", (double)c->d_gain);
        size_t len = strlen(ds);
        if (!nl || len + (size_t)k >= cap)
            return gt_error_set(err, GT_EINVAL, "unexpected discriminator preset");
        memmove(nl + 1 + k, nl + 1, len - (size_t)(nl + 1 - ds) + 1);
        memcpy(nl + 1, line, (size_t)k);
    }
    p.spectral = 0;
    char *tmp = malloc(cap);
    if (!tmp)
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    rc = preset(&p, tmp, cap, es, cap, err);
    free(tmp);
    if (rc < 0)
        return rc;
    /* The preset's last line is D's logit ("conv 1 k4 s1 p0 nobias" or its
     * 2D form, or the seed's "dense 1"). */
    size_t len = strlen(es);
    while (len && es[len - 1] == '\n')
        es[--len] = 0;
    char *last = strrchr(es, '\n');
    last = last ? last + 1 : es;
    const char *k4 = c->dims == 2 ? "k4x4 s1x1 p0x0" : "k4 s1 p0";
    if (!strncmp(last, "dense 1", 7))
        snprintf(last, cap - (size_t)(last - es), "dense %d\n", c->nz);
    else if (!strncmp(last, "conv 1 ", 7))
        snprintf(last, cap - (size_t)(last - es), "conv %d %s\n", c->nz, k4);
    else
        return gt_error_set(err, GT_EINVAL, "unexpected discriminator preset");
    return GT_OK;
}

static int alloc_scratch(gt_tsgan *t, gt_error *err)
{
    size_t b = (size_t)t->cfg.batch, wsz = gt_tsgan_sample_size(&t->cfg);
    t->xb = gt__alloc_floats(b * wsz);
    t->xr = gt__alloc_floats(b * wsz);
    t->zb = gt__alloc_floats(b * (size_t)t->cfg.nz * 2);
    t->cb = gt__alloc_floats(b * wsz + b);
    t->lb = calloc(b, sizeof(int));
    if (!t->xb || !t->xr || !t->zb || !t->cb || !t->lb)
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    return GT_OK;
}

int gt__tsgan_init_gan(gt_tsgan *t, gt_error *err)
{
    gt_gan_cfg gc = gt_gan_cfg_default();
    gc.loss = t->cfg.loss;
    gc.g_opt.lr = t->cfg.lr_g;
    gc.d_opt.lr = t->cfg.lr_d;
    gc.shift = t->cfg.d_shift;
    int rc = gt_gan_init(&t->gan, t->g, t->d, &gc, t->cfg.seed * 7 + 3, err);
    if (rc < 0)
        return rc;
    return alloc_scratch(t, err);
}

static gt_tsgan *tsgan_new(const gt_tsgan_cfg *cfg)
{
    gt_tsgan *t = calloc(1, sizeof *t);
    if (t) {
        t->cfg = *cfg;
        t->norm = GT_NORM_MINMAX;
        gt_rng_seed(&t->data_rng, cfg->seed * 7 + 4);
    }
    return t;
}

int gt_tsgan_create(gt_tsgan **out, const gt_tsgan_cfg *cfg, gt_error *err)
{
    *out = NULL;
    int rc = check_cfg(cfg, err);
    if (rc < 0)
        return rc;
    gt_tsgan *t = tsgan_new(cfg);
    enum { CAP = 8192 };
    char *gs = malloc(CAP), *ds = malloc(CAP), *es = malloc(CAP);
    if (!t || !gs || !ds || !es) {
        rc = gt_error_set(err, GT_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = make_specs(cfg, gs, ds, es, CAP, err)) < 0 ||
        (rc = gt_model_parse(&t->g, gs, err)) < 0 ||
        (rc = gt_model_finalize(t->g, cfg->batch, err)) < 0 ||
        (rc = gt_model_parse(&t->d, ds, err)) < 0 ||
        (rc = gt_model_finalize(t->d, cfg->batch, err)) < 0 ||
        (rc = gt_model_parse(&t->e, es, err)) < 0 ||
        (rc = gt_model_finalize(t->e, cfg->batch, err)) < 0)
        goto fail;
    gt_model_init(t->g, GT_INIT_DCGAN, cfg->seed * 7 + 0);
    gt_model_init(t->d, GT_INIT_DCGAN, cfg->seed * 7 + 1);
    gt_model_init(t->e, GT_INIT_DCGAN, cfg->seed * 7 + 2);
    if ((rc = gt__tsgan_init_gan(t, err)) < 0)
        goto fail;
    free(gs);
    free(ds);
    free(es);
    *out = t;
    return GT_OK;
fail:
    free(gs);
    free(ds);
    free(es);
    gt_tsgan_free(t);
    return rc;
}

static void free_history(gt_tsgan_history *h)
{
    free(h->loss_d);
    free(h->loss_g);
    free(h->d_real);
    free(h->d_fake);
    free(h->loss_e);
    memset(h, 0, sizeof *h);
}

void gt_tsgan_free(gt_tsgan *t)
{
    if (!t)
        return;
    gt_gan_free(&t->gan);
    gt_spec_match_free(t->spec);
    gt_model_free(t->g);
    gt_model_free(t->d);
    gt_model_free(t->e);
    free_history(&t->hist);
    free(t->channels);
    free(t->units);
    free(t->classes);
    free(t->center);
    free(t->scale);
    free(t->ref);
    gt__free_floats(t->xb);
    gt__free_floats(t->xr);
    gt__free_floats(t->zb);
    gt__free_floats(t->cb);
    free(t->lb);
    free(t);
}

static int replace_str(char **dst, const char *src)
{
    char *p = strdup(src ? src : "");
    if (!p)
        return GT_ENOMEM;
    free(*dst);
    *dst = p;
    return GT_OK;
}

int gt_tsgan_set_meta(gt_tsgan *t, const char *channels, const char *units, const char *classes,
                      double rate_hz, gt_norm_method norm, const float *center,
                      const float *scale, gt_error *err)
{
    size_t nch = (size_t)t->cfg.nch;
    float *c = malloc(nch * sizeof *c), *s = malloc(nch * sizeof *s);
    if (!c || !s || replace_str(&t->channels, channels) || replace_str(&t->units, units) ||
        replace_str(&t->classes, classes)) {
        free(c);
        free(s);
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < nch; k++) {
        c[k] = center ? center[k] : 0.0f;
        s[k] = scale ? scale[k] : 1.0f;
    }
    free(t->center);
    free(t->scale);
    t->center = c;
    t->scale = s;
    t->norm_by_class = 0;
    t->rate_hz = rate_hz;
    t->norm = norm;
    return GT_OK;
}

int gt_tsgan_set_class_norm(gt_tsgan *t, const float *center, const float *scale,
                            gt_error *err)
{
    if (t->cfg.nclasses < 1)
        return gt_error_set(err, GT_EINVAL,
                            "statistics per class need a conditional model (classes)");
    size_t n = (size_t)t->cfg.nclasses * (size_t)t->cfg.nch;
    float *c = malloc(n * sizeof *c), *s = malloc(n * sizeof *s);
    if (!c || !s) {
        free(c);
        free(s);
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    }
    memcpy(c, center, n * sizeof *c);
    memcpy(s, scale, n * sizeof *s);
    free(t->center);
    free(t->scale);
    t->center = c;
    t->scale = s;
    t->norm_by_class = 1;
    return GT_OK;
}

void gt_tsgan_norm_row(const gt_tsgan *t, int cls, const float **center, const float **scale)
{
    size_t row = 0;
    if (t->norm_by_class && cls >= 0 && cls < t->cfg.nclasses)
        row = (size_t)cls * (size_t)t->cfg.nch;
    *center = t->center ? t->center + row : NULL;
    *scale = t->scale ? t->scale + row : NULL;
}

/* ---- training ---------------------------------------------------------- */

static int push(float **v, size_t *cap, size_t n, float x)
{
    if (n >= *cap) {
        size_t nc = *cap ? *cap * 2 : 1024;
        float *p = realloc(*v, nc * sizeof *p);
        if (!p)
            return GT_ENOMEM;
        *v = p;
        *cap = nc;
    }
    (*v)[n] = x;
    return GT_OK;
}

/* Append one GAN step to the history (the four arrays share h->cap). */
static int record_gan(gt_tsgan_history *h, const gt_gan_stats *st)
{
    float **v[4] = {&h->loss_d, &h->loss_g, &h->d_real, &h->d_fake};
    if (h->n >= h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 1024;
        for (int i = 0; i < 4; i++) {
            float *p = realloc(*v[i], cap * sizeof *p);
            if (!p)
                return GT_ENOMEM;
            *v[i] = p;
        }
        h->cap = cap;
    }
    double x[4] = {st->loss_d, st->loss_g, st->d_real, st->d_fake};
    for (int i = 0; i < 4; i++)
        (*v[i])[h->n] = (float)x[i];
    h->n++;
    return GT_OK;
}

/* A random batch of windows (with replacement) into t->xb and t->lb. */
static void draw_batch(gt_tsgan *t, const float *x, const int *cls, size_t nwin)
{
    size_t wsz = gt_tsgan_sample_size(&t->cfg);
    for (int i = 0; i < t->cfg.batch; i++) {
        size_t k = (size_t)(((unsigned __int128)gt_rng_next(&t->data_rng) * nwin) >> 64);
        memcpy(t->xb + (size_t)i * wsz, x + k * wsz, wsz * sizeof(float));
        t->lb[i] = cls && t->cfg.nclasses ? cls[k] : 0;
    }
}

/* gt_gan's auxiliary loss: spectral moment matching, weighted. */
static double spectral_aux(void *ctx, const float *fake, const int *labels, int n, float *dfake)
{
    gt_tsgan *t = ctx;
    return gt_spec_match_loss(t->spec, fake, labels, n, t->cfg.spectral, dfake);
}

/* With cfg.spectral, the targets from this training data. */
static int setup_spectral(gt_tsgan *t, const float *x, const int *cls, size_t nwin, gt_error *err)
{
    t->gan.aux = NULL;
    if (!(t->cfg.spectral > 0))
        return GT_OK;
    if (t->cfg.dims != 1)
        return gt_error_set(err, GT_EINVAL, "spectral matching is for time series, not images");
    int rc;
    if (!t->spec && (rc = gt_spec_match_create(&t->spec, t->cfg.nch, t->cfg.window,
                                               t->cfg.nclasses, t->cfg.batch, err)) < 0)
        return rc;
    if ((rc = gt_spec_match_fit(t->spec, x, t->cfg.nclasses ? cls : NULL, nwin, err)) < 0)
        return rc;
    t->gan.aux = spectral_aux;
    t->gan.aux_ctx = t;
    return GT_OK;
}

int gt_tsgan_train_gan(gt_tsgan *t, const float *x, const int *cls, size_t nwin, long steps,
                       gt_tsgan_progress cb, void *ctx, gt_error *err)
{
    if (nwin == 0)
        return gt_error_set(err, GT_EINVAL, "no training windows");
    if (t->cfg.nclasses && !cls)
        return gt_error_set(err, GT_EINVAL, "a conditional GAN needs a class per window");
    for (size_t i = 0; cls && t->cfg.nclasses && i < nwin; i++)
        if (cls[i] < 0 || cls[i] >= t->cfg.nclasses)
            return gt_error_set(err, GT_EINVAL, "window %zu has class %d, not one of the %d", i,
                                cls[i], t->cfg.nclasses);
    int src = setup_spectral(t, x, cls, nwin, err);
    if (src < 0)
        return src;
    const int *lab = t->cfg.nclasses ? t->lb : NULL;
    const int B = t->cfg.batch;
    enum { COLLAPSE_WINDOW = 200 };
    int low_run = 0;
    for (long s = 0; s < steps; s++) {
        gt_gan_stats st;
        memset(&st, 0, sizeof st);
        int rc = GT_OK;
        for (int k = 0; k < t->cfg.critic_steps && rc == GT_OK; k++) {
            draw_batch(t, x, cls, nwin);
            rc = gt_gan_d_step(&t->gan, t->xb, lab, NULL, B, &st);
        }
        if (rc == GT_OK)
            rc = gt_gan_g_step(&t->gan, lab, NULL, B, &st);
        if (rc == GT_ENUMERIC)
            return gt_error_set(err, rc,
                                "training diverged at step %ld: a loss or gradient is not finite",
                                t->gan_steps + 1);
        if (rc < 0)
            return gt_error_set(err, rc, "training step %ld failed", t->gan_steps + 1);
        t->gan_steps++;
        if (record_gan(&t->hist, &st) < 0)
            return gt_error_set(err, GT_ENOMEM, "out of memory");
        low_run = t->cfg.loss != GT_GAN_WGAN && st.loss_d < 1e-3 ? low_run + 1 : 0;
        if (low_run >= COLLAPSE_WINDOW)
            return gt_error_set(err, GT_ENUMERIC,
                                "training collapsed by step %ld: the discriminator has told real "
                                "from generated windows perfectly (loss below 0.001) for %d "
                                "steps, so the generator no longer learns",
                                t->gan_steps, COLLAPSE_WINDOW);
        if (cb && cb(ctx, s + 1, &st))
            break;
    }
    return GT_OK;
}

int gt_tsgan_train_encoder(gt_tsgan *t, const float *x, const int *cls, size_t nwin, long steps,
                           gt_tsgan_progress cb, void *ctx, gt_error *err)
{
    if (nwin == 0)
        return gt_error_set(err, GT_EINVAL, "no training windows");
    const int B = t->cfg.batch;
    const int *lab = t->cfg.nclasses ? t->lb : NULL;
    size_t wsz = gt_tsgan_sample_size(&t->cfg);
    gt_optim_cfg oc = gt_optim_default();
    oc.lr = t->cfg.lr_e;
    oc.beta1 = 0.9f;
    float *dz = t->zb + (size_t)B * t->cfg.nz;
    for (long s = 0; s < steps; s++) {
        draw_batch(t, x, cls, nwin);
        gt_model_zero_grad(t->e);
        int rc = gt_model_forward(t->e, t->xb, lab, B, 1, t->zb);
        if (rc == GT_OK)
            rc = gt_model_forward(t->g, t->zb, lab, B, 0, t->xr);
        if (rc < 0)
            return gt_error_set(err, rc, "encoder step %ld failed", t->enc_steps + 1);
        double loss = gt_loss_mse(t->cb, t->xr, t->xb, (size_t)B * wsz, 1.0f);
        if (!isfinite(loss))
            return gt_error_set(err, GT_ENUMERIC,
                                "encoder training diverged at step %ld (loss not finite)",
                                t->enc_steps + 1);
        gt_model_backward_input(t->g, t->cb, dz);
        gt_model_backward(t->e, dz, NULL);
        if (!isfinite(gt_sumsq(gt_model_grads(t->e), gt_model_nparams(t->e))))
            return gt_error_set(err, GT_ENUMERIC,
                                "encoder training diverged at step %ld (gradient not finite)",
                                t->enc_steps + 1);
        gt_model_step(t->e, &oc);
        t->enc_steps++;
        gt_tsgan_history *h = &t->hist;
        if (push(&h->loss_e, &h->enc_cap, h->enc_n, (float)loss) < 0)
            return gt_error_set(err, GT_ENOMEM, "out of memory");
        h->enc_n++;
        gt_gan_stats st;
        memset(&st, 0, sizeof st);
        st.loss_g = loss;
        if (cb && cb(ctx, s + 1, &st))
            break;
    }
    return GT_OK;
}

/* ---- scores ---------------------------------------------------------------- */

int gt_tsgan_score_windows(gt_tsgan *t, const float *x, const int *cls, int n, float *critic,
                           float *recon, float *xr)
{
    if (n <= 0 || n > t->cfg.batch)
        return GT_EINVAL;
    int *lab = NULL;
    if (t->cfg.nclasses) {
        for (int i = 0; i < n; i++)
            t->lb[i] = cls ? cls[i] : 0;
        lab = t->lb;
    }
    int rc = gt_model_infer(t->d, x, lab, n, critic);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++)
        critic[i] = -critic[i];
    if (!recon && !xr)
        return GT_OK;
    float *out = xr ? xr : t->xr;
    if ((rc = gt_model_infer(t->e, x, lab, n, t->zb)) < 0 ||
        (rc = gt_model_infer(t->g, t->zb, lab, n, out)) < 0)
        return rc;
    if (recon) {
        size_t C = (size_t)t->cfg.nch, L = gt_tsgan_positions(&t->cfg);
        for (int i = 0; i < n; i++) {
            float *r = recon + (size_t)i * L;
            const float *a = x + (size_t)i * C * L, *b = out + (size_t)i * C * L;
            for (size_t j = 0; j < L; j++) {
                float d = a[j] - b[j];
                r[j] = d * d;
            }
            for (size_t c = 1; c < C; c++)
                for (size_t j = 0; j < L; j++) {
                    float d = a[c * L + j] - b[c * L + j];
                    r[j] += d * d;
                }
            if (C > 1)
                for (size_t j = 0; j < L; j++)
                    r[j] /= (float)C;
        }
    }
    return GT_OK;
}

/* The combined score of a sample's critic and reconstruction values: the
 * critic two-sided (a window unlike the training data can push D either
 * way, as TadGAN's |z|), the reconstruction error one-sided. */
float gt_tsgan_combine(const gt_tsgan *t, float c, float r)
{
    return t->cfg.alpha * fabsf(c - t->c_center) / t->c_scale +
           (1.0f - t->cfg.alpha) * (r - t->r_center) / t->r_scale;
}

int gt_tsgan_score_samples(gt_tsgan *t, const float *x, const int *cls, size_t n, float *critic,
                           float *recon, float *score, gt_error *err)
{
    if (score && !t->calibrated)
        return gt_error_set(err, GT_EINVAL, "the model's scores are not calibrated");
    const size_t B = (size_t)t->cfg.batch, P = gt_tsgan_positions(&t->cfg),
                 S = gt_tsgan_sample_size(&t->cfg);
    int need_rec = recon || score;
    float *crit = malloc(B * sizeof *crit), *rec = need_rec ? malloc(B * P * sizeof *rec) : NULL;
    if (!crit || (need_rec && !rec)) {
        free(crit);
        free(rec);
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    }
    int rc = GT_OK;
    for (size_t i0 = 0; i0 < n && rc == GT_OK; i0 += B) {
        int nb = (int)(n - i0 < B ? n - i0 : B);
        rc = gt_tsgan_score_windows(t, x + i0 * S, cls ? cls + i0 : NULL, nb, crit, rec, NULL);
        if (rc < 0) {
            rc = gt_error_set(err, rc, "scoring failed");
            break;
        }
        for (int i = 0; i < nb; i++) {
            double r = 0;
            for (size_t j = 0; need_rec && j < P; j++)
                r += rec[(size_t)i * P + j];
            float rm = (float)(r / (double)P);
            if (critic)
                critic[i0 + i] = crit[i];
            if (recon)
                recon[i0 + i] = rm;
            if (score)
                score[i0 + i] = gt_tsgan_combine(t, crit[i], rm);
        }
    }
    free(crit);
    free(rec);
    return rc;
}

/* Centred moving mean over k samples (NaN left out), using tmp (n doubles). */
static void smooth_inplace(float *x, size_t n, size_t k, double *tmp)
{
    size_t h = k / 2;
    double sum = 0;
    size_t cnt = 0, lo = 0, hi = 0; /* window [lo, hi) */
    for (size_t i = 0; i < n; i++) {
        size_t want_hi = i + h + 1 < n ? i + h + 1 : n, want_lo = i > h ? i - h : 0;
        for (; hi < want_hi; hi++)
            if (isfinite(x[hi])) {
                sum += x[hi];
                cnt++;
            }
        for (; lo < want_lo; lo++)
            if (isfinite(x[lo])) {
                sum -= x[lo];
                cnt--;
            }
        tmp[i] = isfinite(x[i]) && cnt ? sum / (double)cnt : NAN;
    }
    for (size_t i = 0; i < n; i++)
        x[i] = (float)tmp[i];
}

int gt_tsgan_score_signal(gt_tsgan *t, const float *sig, const uint8_t *bad, size_t n, int cls,
                          size_t hop, float *critic_s, float *recon_s, float *score,
                          gt_error *err)
{
    const size_t L = (size_t)t->cfg.window, C = (size_t)t->cfg.nch;
    const int B = t->cfg.batch;
    if (t->cfg.dims != 1)
        return gt_error_set(err, GT_EINVAL, "an image model does not score signals");
    if (n < L)
        return gt_error_set(err, GT_EINVAL, "the signal has %zu samples, fewer than a window (%zu)",
                            n, L);
    if (!score && !critic_s && !recon_s)
        return GT_OK;
    if (score && !t->calibrated)
        return gt_error_set(err, GT_EINVAL, "the model's scores are not calibrated");
    if (hop < 1)
        hop = 1;
    double *csum = calloc(n, sizeof *csum), *rsum = calloc(n, sizeof *rsum);
    float *fc = malloc(n * sizeof *fc), *fr = malloc(n * sizeof *fr);
    unsigned *cnt = calloc(n, sizeof *cnt);
    size_t *badsum = calloc(n + 1, sizeof *badsum);
    float *crit = malloc((size_t)B * sizeof *crit);
    float *rec = malloc((size_t)B * L * sizeof *rec);
    size_t *st = malloc((size_t)B * sizeof *st);
    int *lab = malloc((size_t)B * sizeof *lab);
    int rc = GT_OK;
    if (!csum || !rsum || !fc || !fr || !cnt || !badsum || !crit || !rec || !st || !lab) {
        rc = gt_error_set(err, GT_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        badsum[i + 1] = badsum[i] + (bad && bad[i]);
    for (int i = 0; i < B; i++)
        lab[i] = cls;
    size_t last = n - L, next = 0;
    int done = 0;
    while (!done) {
        int nb = 0;
        while (nb < B && !done) {
            size_t s0 = next;
            if (s0 >= last) {
                s0 = last;
                done = 1;
            } else
                next += hop;
            if (badsum[s0 + L] - badsum[s0])
                continue;
            st[nb] = s0;
            for (size_t c = 0; c < C; c++)
                memcpy(t->xb + ((size_t)nb * C + c) * L, sig + c * n + s0, L * sizeof(float));
            nb++;
        }
        if (!nb)
            break;
        int need_rec = recon_s || score;
        if ((rc = gt_tsgan_score_windows(t, t->xb, lab, nb, crit, need_rec ? rec : NULL, NULL)) <
            0) {
            gt_error_set(err, rc, "scoring failed");
            goto out;
        }
        for (int i = 0; i < nb; i++) {
            size_t s0 = st[i];
            for (size_t j = 0; j < L; j++) {
                csum[s0 + j] += crit[i];
                if (need_rec)
                    rsum[s0 + j] += rec[(size_t)i * L + j];
                cnt[s0 + j]++;
            }
        }
    }
    /* The per-sample means, each smoothed before they are combined (the
     * calibration then sees what a score is made of). */
    for (size_t i = 0; i < n; i++) {
        fc[i] = cnt[i] ? (float)(csum[i] / cnt[i]) : NAN;
        fr[i] = cnt[i] ? (float)(rsum[i] / cnt[i]) : NAN;
    }
    if (t->smooth > 1) {
        smooth_inplace(fc, n, (size_t)t->smooth, csum);
        smooth_inplace(fr, n, (size_t)t->smooth, csum);
    }
    for (size_t i = 0; i < n; i++) {
        if (critic_s)
            critic_s[i] = fc[i];
        if (recon_s)
            recon_s[i] = fr[i];
        if (score)
            score[i] = gt_tsgan_combine(t, fc[i], fr[i]);
    }
out:
    free(csum);
    free(rsum);
    free(fc);
    free(fr);
    free(cnt);
    free(badsum);
    free(crit);
    free(rec);
    free(st);
    free(lab);
    return rc;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Median and IQR / 1.349 of the finite values (sorts a copy). */
static int robust_stats(const float *x, size_t n, float *center, float *scale)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return GT_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            v[m++] = x[i];
    if (m == 0) {
        free(v);
        return GT_EINVAL;
    }
    qsort(v, m, sizeof *v, cmp_float);
    float med = v[m / 2], q1 = v[m / 4], q3 = v[(3 * m) / 4];
    float s = (q3 - q1) / 1.349f;
    if (!(s > 1e-12f * (fabsf(med) + 1e-12f))) {
        /* A degenerate spread: fall back to the mean absolute deviation. */
        double acc = 0;
        for (size_t i = 0; i < m; i++)
            acc += fabs((double)v[i] - med);
        s = (float)(acc / m);
        if (!(s > 0))
            s = 1.0f;
    }
    *center = med;
    *scale = s;
    free(v);
    return GT_OK;
}

int gt_tsgan_calibrate(gt_tsgan *t, const float *critic_s, const float *recon_s, size_t n,
                       gt_error *err)
{
    if (robust_stats(critic_s, n, &t->c_center, &t->c_scale) < 0 ||
        robust_stats(recon_s, n, &t->r_center, &t->r_scale) < 0)
        return gt_error_set(err, GT_EINVAL, "no training scores to calibrate from");
    t->calibrated = 1;
    float *all = malloc(n * sizeof *all);
    if (!all)
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        float c = critic_s[i], r = recon_s[i];
        if (isfinite(c) && isfinite(r))
            all[m++] = gt_tsgan_combine(t, c, r);
    }
    qsort(all, m, sizeof *all, cmp_float);
    enum { MAXREF = 20000 };
    size_t k = m < MAXREF ? m : MAXREF;
    free(t->ref);
    t->ref = malloc((k ? k : 1) * sizeof *t->ref);
    if (!t->ref) {
        free(all);
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    }
    /* Evenly spaced order statistics, both ends kept. */
    for (size_t i = 0; i < k; i++)
        t->ref[i] = all[k > 1 ? (size_t)((double)i * (double)(m - 1) / (double)(k - 1)) : 0];
    t->nref = k;
    free(all);
    return GT_OK;
}

int gt_tsgan_generate(gt_tsgan *t, const float *z, int cls, int n, gt_rng *rng, float *out)
{
    if (n <= 0 || n > t->cfg.batch)
        return GT_EINVAL;
    if (!z) {
        gt_rng_fill_normal(rng ? rng : &t->gan.rng, t->zb, (size_t)n * t->cfg.nz, 0.0f, 1.0f);
        z = t->zb;
    }
    for (int i = 0; i < n; i++)
        t->lb[i] = cls;
    return gt_model_infer(t->g, z, t->cfg.nclasses ? t->lb : NULL, n, out);
}
