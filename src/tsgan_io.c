/* Saving and loading a time-series GAN (GT_MODEL_FORMAT, kind "tsgan").
 *
 * Layout: groups generator/, discriminator/, encoder/ (gt_h5_write_model,
 * with optimiser state); root attributes for the configuration and what the
 * model was trained on; datasets norm/center and norm/scale (per channel,
 * or with root attribute normalize_by = "class" one row per class),
 * calibration/ref (sorted reference scores), history/{loss_d, loss_g,
 * d_real, d_fake, loss_e} and state/rng (the latent and batch streams, so
 * that --resume continues exactly). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/h5.h"
#include "gantry/names.h"
#include "gantry/tsgan.h"
#include "tsgan_internal.h"

typedef struct attr_num {
    const char *name;
    double value;
} attr_num;

int gt_tsgan_save(const gt_tsgan *t, const char *path, gt_error *err)
{
    gt_h5 *f = NULL;
    int rc = gt_h5_create(&f, path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR,
                          GT_MODEL_FORMAT_MINOR, err);
    if (rc < 0)
        return rc;
    const gt_tsgan_cfg *c = &t->cfg;
    attr_num nums[] = {
        {"dims", c->dims},           {"window", c->window},       {"channels_count", c->nch},
        {"nclasses", c->nclasses},   {"nz", c->nz},
        {"width", c->width},         {"max_width", c->max_width},
        {"batch", c->batch},         {"critic_steps", c->critic_steps},
        {"lr_g", c->lr_g},           {"lr_d", c->lr_d},
        {"lr_e", c->lr_e},           {"alpha", c->alpha}, {"spectral", c->spectral},
        {"d_shift", c->d_shift},     {"d_gain", c->d_gain},
        {"seed", (double)c->seed},   {"gan_steps", (double)t->gan_steps},
        {"encoder_steps", (double)t->enc_steps}, {"rate_hz", t->rate_hz},
        {"calibrated", t->calibrated}, {"critic_center", t->c_center},
        {"critic_scale", t->c_scale}, {"recon_center", t->r_center},
        {"recon_scale", t->r_scale}, {"hop", t->hop},
        {"score_hop", t->score_hop}, {"smooth", t->smooth},
    };
    rc = gt_h5_write_attr_str(f, "/", "kind", c->dims == 2 ? GT_DCGAN_KIND : GT_TSGAN_KIND, err);
    if (rc == GT_OK) rc = gt_h5_write_attr_str(f, "/", "arch", gt_tsgan_arch_name(c->arch), err);
    if (rc == GT_OK) rc = gt_h5_write_attr_str(f, "/", "loss", gt_gan_loss_name(c->loss), err);
    if (rc == GT_OK) rc = gt_h5_write_attr_str(f, "/", "channels", t->channels ? t->channels : "", err);
    if (rc == GT_OK) rc = gt_h5_write_attr_str(f, "/", "units", t->units ? t->units : "", err);
    if (rc == GT_OK) rc = gt_h5_write_attr_str(f, "/", "classes", t->classes ? t->classes : "", err);
    if (rc == GT_OK) rc = gt_h5_write_attr_str(f, "/", "normalize", gt_norm_name(t->norm), err);
    for (size_t i = 0; rc == GT_OK && i < sizeof nums / sizeof nums[0]; i++)
        rc = gt_h5_write_attr_double(f, "/", nums[i].name, nums[i].value, err);
    if (rc == GT_OK) rc = gt_h5_write_model(f, "generator", t->g, 1, err);
    if (rc == GT_OK) rc = gt_h5_write_model(f, "discriminator", t->d, 1, err);
    if (rc == GT_OK) rc = gt_h5_write_model(f, "encoder", t->e, 1, err);
    if (rc == GT_OK && t->norm_by_class)
        rc = gt_h5_write_attr_str(f, "/", "normalize_by", "class", err);
    size_t nch = (size_t)c->nch * (t->norm_by_class ? (size_t)c->nclasses : 1);
    float ones = 1.0f, zero = 0.0f;
    if (rc == GT_OK)
        rc = gt_h5_write_floats(f, "norm/center", t->center ? t->center : &zero, 1,
                                t->center ? &nch : (size_t[]){1}, err);
    if (rc == GT_OK)
        rc = gt_h5_write_floats(f, "norm/scale", t->scale ? t->scale : &ones, 1,
                                t->scale ? &nch : (size_t[]){1}, err);
    size_t nref = t->nref;
    if (rc == GT_OK)
        rc = gt_h5_write_floats(f, "calibration/ref", t->ref ? t->ref : &zero, 1, &nref, err);
    const gt_tsgan_history *h = &t->hist;
    size_t hn = h->n, he = h->enc_n;
    if (rc == GT_OK) rc = gt_h5_write_floats(f, "history/loss_d", h->loss_d ? h->loss_d : &zero, 1, &hn, err);
    if (rc == GT_OK) rc = gt_h5_write_floats(f, "history/loss_g", h->loss_g ? h->loss_g : &zero, 1, &hn, err);
    if (rc == GT_OK) rc = gt_h5_write_floats(f, "history/d_real", h->d_real ? h->d_real : &zero, 1, &hn, err);
    if (rc == GT_OK) rc = gt_h5_write_floats(f, "history/d_fake", h->d_fake ? h->d_fake : &zero, 1, &hn, err);
    if (rc == GT_OK) rc = gt_h5_write_floats(f, "history/loss_e", h->loss_e ? h->loss_e : &zero, 1, &he, err);
    int64_t rng[4];
    memcpy(&rng[0], &t->gan.rng.s[0], 2 * sizeof(uint64_t));
    memcpy(&rng[2], &t->data_rng.s[0], 2 * sizeof(uint64_t));
    size_t four = 4;
    if (rc == GT_OK) rc = gt_h5_write_i64(f, "state/rng", rng, 1, &four, err);
    if (rc < 0) {
        gt_h5_abort(f);
        return rc;
    }
    return gt_h5_commit(f, err);
}

static int read_num(gt_h5 *f, const char *name, double *v, gt_error *err)
{
    return gt_h5_read_attr_double(f, "/", name, v, err);
}

/* A float dataset of exactly `want` values (want 0: any count) into *out. */
static int read_vec(gt_h5 *f, const char *file, const char *path, size_t want, float **out,
                    size_t *n, gt_error *err)
{
    size_t k = 0;
    int rc = gt_h5_read_floats(f, path, out, &k, NULL, NULL, err);
    if (rc < 0)
        return rc;
    if (want && k != want)
        return gt_error_set(err, GT_EFORMAT, "%s: /%s has %zu values, expected %zu",
                            file, path, k, want);
    if (n)
        *n = k;
    return GT_OK;
}

int gt_tsgan_load(gt_tsgan **out, const char *path, gt_error *err)
{
    *out = NULL;
    gt_h5 *f = NULL;
    int rc = gt_h5_open(&f, path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR, NULL, err);
    if (rc < 0)
        return rc;
    char *kind = NULL, *loss = NULL, *norm = NULL;
    gt_tsgan *t = calloc(1, sizeof *t);
    if (!t) {
        gt_h5_close(f);
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    }
    if (gt_h5_read_attr_str(f, "/", "kind", &kind, err) < 0 ||
        (strcmp(kind, GT_TSGAN_KIND) && strcmp(kind, GT_DCGAN_KIND))) {
        rc = gt_error_set(err, GT_EFORMAT, "%s is not a time-series or image GAN (kind %s)", path,
                          kind ? kind : "missing");
        goto fail;
    }
    double v[24];
    static const char *const names[] = {
        "window", "channels_count", "nclasses", "nz", "width", "max_width", "batch",
        "critic_steps", "lr_g", "lr_d", "lr_e", "alpha", "seed", "gan_steps", "encoder_steps",
        "rate_hz", "calibrated", "critic_center", "critic_scale", "recon_center", "recon_scale",
        "hop", "score_hop", "smooth"};
    for (int i = 0; i < 24; i++)
        if ((rc = read_num(f, names[i], &v[i], err)) < 0)
            goto fail;
    gt_tsgan_cfg c = gt_tsgan_cfg_default((int)v[0], (int)v[1]);
    c.nclasses = (int)v[2];
    c.nz = (int)v[3];
    c.width = (int)v[4];
    c.max_width = (int)v[5];
    c.batch = (int)v[6];
    c.critic_steps = (int)v[7];
    c.lr_g = (float)v[8];
    c.lr_d = (float)v[9];
    c.lr_e = (float)v[10];
    c.alpha = (float)v[11];
    c.seed = (uint64_t)v[12];
    /* Files from before image GANs have no dims or arch: 1D DCGANs. */
    double dims = 1;
    gt_error ignore = {0};
    if (read_num(f, "dims", &dims, &ignore) < 0)
        dims = 1;
    c.dims = (int)dims;
    /* Files from before spectral matching have none. */
    double spectral = 0;
    if (read_num(f, "spectral", &spectral, &ignore) < 0)
        spectral = 0;
    c.spectral = (float)spectral;
    /* ... nor before D's translation. */
    double d_shift = 0;
    if (read_num(f, "d_shift", &d_shift, &ignore) < 0)
        d_shift = 0;
    c.d_shift = (int)d_shift;
    /* ... nor before D's input gain. */
    double d_gain = 1;
    if (read_num(f, "d_gain", &d_gain, &ignore) < 0)
        d_gain = 1;
    c.d_gain = (float)d_gain;
    char *arch = NULL;
    if (gt_h5_read_attr_str(f, "/", "arch", &arch, &ignore) == GT_OK) {
        int bad = gt_tsgan_arch_parse(arch, &c.arch) < 0;
        free(arch);
        if (bad) {
            rc = gt_error_set(err, GT_EFORMAT, "%s: unknown architecture", path);
            goto fail;
        }
    }
    if (c.dims != (strcmp(kind, GT_DCGAN_KIND) ? 1 : 2)) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: kind %s with %d dimensions", path, kind, c.dims);
        goto fail;
    }
    if ((rc = gt_h5_read_attr_str(f, "/", "loss", &loss, err)) < 0)
        goto fail;
    if (gt_gan_loss_parse(loss, &c.loss) < 0) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: unknown loss %s", path, loss);
        goto fail;
    }
    t->cfg = c;
    t->gan_steps = (long)v[13];
    t->enc_steps = (long)v[14];
    t->rate_hz = v[15];
    t->calibrated = v[16] != 0;
    t->c_center = (float)v[17];
    t->c_scale = (float)v[18];
    t->r_center = (float)v[19];
    t->r_scale = (float)v[20];
    t->hop = (int)v[21];
    t->score_hop = (int)v[22];
    t->smooth = (int)v[23];
    if ((rc = gt_h5_read_attr_str(f, "/", "channels", &t->channels, err)) < 0 ||
        (rc = gt_h5_read_attr_str(f, "/", "units", &t->units, err)) < 0 ||
        (rc = gt_h5_read_attr_str(f, "/", "classes", &t->classes, err)) < 0 ||
        (rc = gt_h5_read_attr_str(f, "/", "normalize", &norm, err)) < 0 ||
        (rc = gt_norm_parse(norm, &t->norm, err)) < 0)
        goto fail;
    char **chan = NULL;
    int nnames = 0;
    if (gt_names_split(t->channels, &chan, &nnames) < 0) {
        rc = gt_error_set(err, GT_ENOMEM, "out of memory");
        goto fail;
    }
    gt_names_free(chan, nnames);
    if (nnames != c.nch) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: names %d channels (%s) for a model of %d", path,
                          nnames, t->channels, c.nch);
        goto fail;
    }
    if ((rc = gt_h5_read_model(f, "generator", c.batch, &t->g, err)) < 0 ||
        (rc = gt_h5_read_model(f, "discriminator", c.batch, &t->d, err)) < 0 ||
        (rc = gt_h5_read_model(f, "encoder", c.batch, &t->e, err)) < 0)
        goto fail;
    gt_shape gi = gt_model_output_shape(t->g);
    int side_ok = c.dims == 2 ? gi.h == c.window && gi.w == c.window : gi.w == c.window;
    if (gi.c != c.nch || !side_ok || gt_model_input_shape(t->g).c != c.nz) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: the generator does not match the configuration",
                          path);
        goto fail;
    }
    /* Files from before statistics per class have no normalize_by. */
    char *by = NULL;
    if (gt_h5_read_attr_str(f, "/", "normalize_by", &by, &ignore) == GT_OK) {
        int bad = strcmp(by, "class") != 0 || c.nclasses < 1;
        free(by);
        if (bad) {
            rc = gt_error_set(err, GT_EFORMAT, "%s: unknown normalize_by", path);
            goto fail;
        }
        t->norm_by_class = 1;
    }
    size_t nstat = (size_t)c.nch * (t->norm_by_class ? (size_t)c.nclasses : 1);
    if ((rc = read_vec(f, path, "norm/center", nstat, &t->center, NULL, err)) < 0 ||
        (rc = read_vec(f, path, "norm/scale", nstat, &t->scale, NULL, err)) < 0 ||
        (rc = read_vec(f, path, "calibration/ref", 0, &t->ref, &t->nref, err)) < 0)
        goto fail;
    gt_tsgan_history *h = &t->hist;
    if ((rc = read_vec(f, path, "history/loss_d", 0, &h->loss_d, &h->n, err)) < 0 ||
        (rc = read_vec(f, path, "history/loss_g", h->n, &h->loss_g, NULL, err)) < 0 ||
        (rc = read_vec(f, path, "history/d_real", h->n, &h->d_real, NULL, err)) < 0 ||
        (rc = read_vec(f, path, "history/d_fake", h->n, &h->d_fake, NULL, err)) < 0 ||
        (rc = read_vec(f, path, "history/loss_e", 0, &h->loss_e, &h->enc_n, err)) < 0)
        goto fail;
    h->cap = h->n;
    h->enc_cap = h->enc_n;
    if ((rc = gt__tsgan_init_gan(t, err)) < 0)
        goto fail;
    int64_t *rng = NULL;
    size_t nr = 0;
    if ((rc = gt_h5_read_i64(f, "state/rng", &rng, &nr, NULL, NULL, err)) < 0)
        goto fail;
    if (nr == 4) {
        memcpy(&t->gan.rng.s[0], &rng[0], 2 * sizeof(uint64_t));
        memcpy(&t->data_rng.s[0], &rng[2], 2 * sizeof(uint64_t));
    }
    free(rng);
    if (nr != 4) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: /state/rng has %zu values, expected 4", path, nr);
        goto fail;
    }
    free(kind);
    free(loss);
    free(norm);
    gt_h5_close(f);
    *out = t;
    return GT_OK;
fail:
    free(kind);
    free(loss);
    free(norm);
    gt_h5_close(f);
    gt_tsgan_free(t);
    return rc;
}
