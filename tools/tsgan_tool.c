/* Shared by gantry train, score, detect and synth: training options, fitting
 * a time-series GAN on a store, scoring one recording, the CSV rows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "score_plot.h"
#include "tsgan_tool.h"

enum {
    O_PRESET = 1000, O_CHANNELS, O_RECORDINGS, O_CLASSES, O_RESUME, O_WINDOW, O_HOP, O_SCORE_HOP,
    O_NZ, O_WIDTH, O_MAX_WIDTH, O_BATCH, O_CRITIC, O_STEPS, O_ENC_STEPS, O_LR_G, O_LR_D, O_LR_E,
    O_ALPHA, O_LOSS, O_NORM, O_COND, O_UNCOND, O_TRAIN_ROWS, O_SPAN, O_CHECKPOINT, O_SEED,
    O_THREADS, O_PROGRESS, O_QUIET, O_FORCE, O_SMOOTH, O_CLASS_NORM, O_SPECTRAL,
    O_DSHIFT, O_DGAIN
};

const struct option train_long_opts[] = {
    {"preset", required_argument, NULL, O_PRESET},
    {"channels", required_argument, NULL, O_CHANNELS},
    {"recordings", required_argument, NULL, O_RECORDINGS},
    {"classes", required_argument, NULL, O_CLASSES},
    {"resume", required_argument, NULL, O_RESUME},
    {"window", required_argument, NULL, O_WINDOW},
    {"hop", required_argument, NULL, O_HOP},
    {"score-hop", required_argument, NULL, O_SCORE_HOP},
    {"nz", required_argument, NULL, O_NZ},
    {"width", required_argument, NULL, O_WIDTH},
    {"max-width", required_argument, NULL, O_MAX_WIDTH},
    {"batch", required_argument, NULL, O_BATCH},
    {"critic-steps", required_argument, NULL, O_CRITIC},
    {"steps", required_argument, NULL, O_STEPS},
    {"encoder-steps", required_argument, NULL, O_ENC_STEPS},
    {"lr-g", required_argument, NULL, O_LR_G},
    {"lr-d", required_argument, NULL, O_LR_D},
    {"lr-e", required_argument, NULL, O_LR_E},
    {"alpha", required_argument, NULL, O_ALPHA},
    {"spectral-loss", required_argument, NULL, O_SPECTRAL},
    {"d-shift", required_argument, NULL, O_DSHIFT},
    {"d-gain", required_argument, NULL, O_DGAIN},
    {"loss", required_argument, NULL, O_LOSS},
    {"normalize", required_argument, NULL, O_NORM},
    {"conditional", no_argument, NULL, O_COND},
    {"unconditional", no_argument, NULL, O_UNCOND},
    {"train-rows", required_argument, NULL, O_TRAIN_ROWS},
    {"span", required_argument, NULL, O_SPAN},
    {"checkpoint-every", required_argument, NULL, O_CHECKPOINT},
    {"seed", required_argument, NULL, O_SEED},
    {"threads", required_argument, NULL, O_THREADS},
    {"progress", no_argument, NULL, O_PROGRESS},
    {"quiet", no_argument, NULL, O_QUIET},
    {"force", no_argument, NULL, O_FORCE},
    {"smooth", required_argument, NULL, O_SMOOTH},
    {"class-norm", no_argument, NULL, O_CLASS_NORM},
    {NULL, 0, NULL, 0},
};

const char train_opts_help[] =
    "training (presets: historian = window 64, hop 1, latent 16, width 16, 1000 steps\n"
    "and 1000 encoder steps, --d-shift 16; vibration = window 1024, hop 256,\n"
    "latent 32, width 8, batch 32, 2000 + 1500 steps, no shift; the default picks\n"
    "vibration for rates of 1 kHz and up):\n"
    "  --preset NAME          historian or vibration\n"
    "  --channels LIST        channels to use (default: all of the first recording)\n"
    "  --recordings LIST      recordings to train on (default: all)\n"
    "  --classes LIST         only recordings of these classes (e.g. normal)\n"
    "  --conditional          condition G, D and E on the recordings' classes\n"
    "                         (default when the recordings have 2 or more classes)\n"
    "  --unconditional        ignore classes\n"
    "  --window N --hop N     window length (power of two >= 16) and hop, samples\n"
    "  --score-hop N          hop when scoring (default: the preset's)\n"
    "  --smooth N             moving mean of the critic and reconstruction scores\n"
    "                         over N samples, before they are standardised and\n"
    "                         combined (default: a window for historian data,\n"
    "                         the scoring hop for vibration; 0: none)\n"
    "  --train-rows N         use only the first N samples of each recording\n"
    "  --span LO:HI           use only this part of each recording (fractions)\n"
    "  --normalize M          minmax (default), zscore or robust, per channel\n"
    "  --class-norm           fit the normalisation per class as well (conditional\n"
    "                         models): quiet classes then use the generator's whole\n"
    "                         range, and synth restores each class's own level\n"
    "  --loss NAME            bce (default), wgan or hinge (spectral norm in D)\n"
    "  --d-gain K             multiply what the critic sees by K (default: for\n"
    "                         hinge 1 / the training data's RMS, else 1; kept by\n"
    "                         --resume)\n"
    "  --nz N --width N --max-width N   latent size, D's first and largest width\n"
    "  --batch N --steps N --encoder-steps N --critic-steps N\n"
    "  --lr-g X --lr-d X --lr-e X       Adam learning rates (2e-4, 2e-4, 1e-3)\n"
    "  --spectral-loss W      add W times spectral moment matching to the\n"
    "                         generator's loss: per class, the log mean power\n"
    "                         spectrum of its windows against the real ones'\n"
    "                         (default 0: none)\n"
    "  --d-shift N            translate every window the critic sees, real or\n"
    "                         generated, by a random shift of up to N samples\n"
    "                         (zero-filled; DiffAugment's translation), so that\n"
    "                         it cannot judge by where in the window things are\n"
    "                         (default: a quarter of the window for the historian\n"
    "                         preset, 0 for vibration; kept by --resume)\n"
    "  --alpha X              weight of the critic in the score (0.5; 0 = only\n"
    "                         reconstruction, 1 = only the critic)\n"
    "  --resume MODEL.h5      continue training MODEL.h5 (its configuration and\n"
    "                         normalisation) on this store for --steps more steps\n"
    "  --checkpoint-every N   save the model every N steps (default 500)\n"
    "  --seed N --threads N   same seed and threads give the same model\n"
    "  --progress | --quiet   progress on stderr (default: when it is a terminal)\n"
    "  --force                overwrite existing output files\n";

void train_opts_default(train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->loss = GT_GAN_BCE;
    o->norm = GT_NORM_MINMAX;
    o->conditional = -1;
    o->span_hi = 1.0;
    o->checkpoint_every = 500;
    o->seed = 1;
    o->progress = -1;
    o->lr_g = o->lr_d = o->lr_e = -1.0f;
    o->alpha = -1.0f;
    o->spectral = -1.0f;
    o->d_shift = -1;
    o->d_gain = -1.0f;
    o->smooth = -1;
    o->enc_steps = -1; /* unset: the preset's (0 is allowed: no encoder) */
}

void merge_long_opts(struct option *out, size_t cap, const struct option *extra)
{
    size_t n = 0;
    for (const struct option *p = extra; p->name && n + 1 < cap; p++)
        out[n++] = *p;
    for (const struct option *p = train_long_opts; p->name && n + 1 < cap; p++)
        out[n++] = *p;
    memset(&out[n], 0, sizeof out[n]);
}

static int pos_float(const char *opt, const char *arg, float *out)
{
    if (tool_float(opt, arg, out))
        return 2;
    if (!(*out >= 0))
        return tool_fail("%s must not be negative", opt), 2;
    return 0;
}

int train_opts_set(train_opts *o, int c, const char *arg)
{
    int v;
    switch (c) {
    case O_PRESET:
        if (strcmp(arg, "historian") && strcmp(arg, "vibration"))
            return tool_fail("--preset must be historian or vibration, not '%s'", arg), 2;
        o->preset = arg;
        return 0;
    case O_CHANNELS: o->channels = arg; return 0;
    case O_RECORDINGS: o->recordings = arg; return 0;
    case O_CLASSES: o->classes = arg; return 0;
    case O_RESUME: o->resume = arg; return 0;
    case O_WINDOW: return tool_int("--window", arg, 16, 65536, &o->window) ? 2 : 0;
    case O_HOP: return tool_int("--hop", arg, 1, 1 << 30, &o->hop) ? 2 : 0;
    case O_SMOOTH: return tool_int("--smooth", arg, 0, 1 << 30, &o->smooth) ? 2 : 0;
    case O_SCORE_HOP: return tool_int("--score-hop", arg, 1, 1 << 30, &o->score_hop) ? 2 : 0;
    case O_NZ: return tool_int("--nz", arg, 1, 4096, &o->nz) ? 2 : 0;
    case O_WIDTH: return tool_int("--width", arg, 1, 4096, &o->width) ? 2 : 0;
    case O_MAX_WIDTH: return tool_int("--max-width", arg, 1, 8192, &o->max_width) ? 2 : 0;
    case O_BATCH: return tool_int("--batch", arg, 2, 65536, &o->batch) ? 2 : 0;
    case O_CRITIC: return tool_int("--critic-steps", arg, 1, 100, &o->critic_steps) ? 2 : 0;
    case O_STEPS:
        if (tool_int("--steps", arg, 0, 1 << 30, &v))
            return 2;
        o->steps = v;
        return 0;
    case O_ENC_STEPS:
        if (tool_int("--encoder-steps", arg, 0, 1 << 30, &v))
            return 2;
        o->enc_steps = v;
        return 0;
    case O_LR_G: return pos_float("--lr-g", arg, &o->lr_g);
    case O_LR_D: return pos_float("--lr-d", arg, &o->lr_d);
    case O_LR_E: return pos_float("--lr-e", arg, &o->lr_e);
    case O_ALPHA:
        if (pos_float("--alpha", arg, &o->alpha))
            return 2;
        if (o->alpha > 1)
            return tool_fail("--alpha must lie in [0, 1]"), 2;
        return 0;
    case O_SPECTRAL: return pos_float("--spectral-loss", arg, &o->spectral);
    case O_DSHIFT: return tool_int("--d-shift", arg, 0, 1 << 20, &o->d_shift) ? 2 : 0;
    case O_DGAIN:
        if (tool_float("--d-gain", arg, &o->d_gain))
            return 2;
        if (!(o->d_gain > 0 && o->d_gain < 1e6))
            return tool_fail("--d-gain must be above 0, not %s", arg), 2;
        return 0;
    case O_LOSS:
        if (gt_gan_loss_parse(arg, &o->loss) < 0)
            return tool_fail("--loss must be bce, wgan or hinge, not '%s'", arg), 2;
        o->loss_set = 1;
        return 0;
    case O_NORM: {
        gt_error err = {0};
        if (gt_norm_parse(arg, &o->norm, &err) < 0 || o->norm == GT_NORM_NONE)
            return tool_fail("--normalize must be minmax, zscore or robust, not '%s'", arg), 2;
        return 0;
    }
    case O_COND: o->conditional = 1; return 0;
    case O_CLASS_NORM: o->class_norm = 1; return 0;
    case O_UNCOND: o->conditional = 0; return 0;
    case O_TRAIN_ROWS:
        if (tool_int("--train-rows", arg, 1, 2147483647, &v))
            return 2;
        o->train_rows = (size_t)v;
        return 0;
    case O_SPAN: {
        char *end;
        double lo = strtod(arg, &end), hi = *end == ':' ? strtod(end + 1, &end) : -1;
        if (*end || !(lo >= 0 && lo < hi && hi <= 1))
            return tool_fail("--span must be LO:HI with 0 <= LO < HI <= 1, not '%s'", arg), 2;
        o->span_lo = lo;
        o->span_hi = hi;
        return 0;
    }
    case O_CHECKPOINT:
        if (tool_int("--checkpoint-every", arg, 1, 1 << 30, &v))
            return 2;
        o->checkpoint_every = v;
        return 0;
    case O_SEED:
        if (tool_int("--seed", arg, 0, 2147483647, &v))
            return 2;
        o->seed = (uint64_t)v;
        return 0;
    case O_THREADS: return tool_int("--threads", arg, 1, 1024, &o->threads) ? 2 : 0;
    case O_PROGRESS: o->progress = 1; return 0;
    case O_QUIET: o->progress = 0; return 0;
    case O_FORCE: o->force = 1; return 0;
    default: return 1;
    }
}

/* Fill what the options left open from the preset. */
static void apply_preset(train_opts *o, double rate)
{
    int vib = o->preset ? !strcmp(o->preset, "vibration") : rate >= 1000.0;
    if (!o->window) o->window = vib ? 1024 : 64;
    if (!o->hop) o->hop = vib ? o->window / 4 : 1;
    if (!o->score_hop) o->score_hop = vib ? o->window / 4 : 1;
    if (!o->nz) o->nz = vib ? 32 : 16;
    if (!o->width) o->width = vib ? 8 : 16;
    if (!o->max_width) o->max_width = vib ? 128 : 128;
    if (!o->batch) o->batch = vib ? 32 : 64;
    if (!o->steps) o->steps = vib ? 2000 : 1000;
    if (o->enc_steps < 0) o->enc_steps = vib ? 1500 : 1000;
    /* Vibration's residual is noise sample by sample: unsmoothed, its
     * isolated spikes cross any threshold and merge into long events. */
    if (o->smooth < 0) o->smooth = vib ? o->score_hop : o->window;
    /* The critic's random translation, a quarter of a historian window:
     * chosen on NAB's realKnownCause, where it finds the labelled windows
     * with fewer false events (seeds 1-6); neutral on the artificial
     * signals (README, "detect --d-shift"). */
    if (o->d_shift < 0) o->d_shift = vib ? 0 : o->window / 4;
    if (!o->critic_steps) o->critic_steps = o->loss == GT_GAN_WGAN ? 5 : 1;
}

typedef struct fit_ctx {
    tool_progress prog;
    gt_tsgan *t;
    const char *ckpt;
    long every;
    int failed;
    const char *phase;
    train_hook hook;
    void *hook_ctx;
} fit_ctx;

static int on_step(void *ctx, long step, const gt_gan_stats *st)
{
    fit_ctx *f = ctx;
    char what[200];
    int gan = !strcmp(f->phase, "gan");
    if (gan)
        snprintf(what, sizeof what, "D %.3f  G %.3f  D(x) %.2f  D(G(z)) %.2f", st->loss_d,
                 st->loss_g, st->d_real, st->d_fake);
    else
        snprintf(what, sizeof what, "encoder loss %.4f", st->loss_g);
    progress_update(&f->prog, step, what);
    if (f->ckpt && f->every > 0 && step % f->every == 0 && gan) {
        gt_error err = {0};
        if (gt_tsgan_save(f->t, f->ckpt, &err) < 0) {
            progress_end(&f->prog);
            tool_fail_err(&err);
            f->failed = 1;
            return 1;
        }
    }
    if (gan && f->hook && f->hook(f->hook_ctx, f->t, step)) {
        progress_end(&f->prog);
        f->failed = 1;
        return 1;
    }
    return 0;
}

int resume_refuses(const train_opts *o, const gt_tsgan *t)
{
    if (o->d_shift >= 0 && o->d_shift != t->cfg.d_shift)
        return tool_fail("--d-shift %d: %s was trained with %d, which --resume keeps",
                         o->d_shift, o->resume, t->cfg.d_shift), 1;
    if (o->d_gain > 0 && o->d_gain != t->cfg.d_gain)
        return tool_fail("--d-gain %g: %s was trained with %g, which --resume keeps",
                         (double)o->d_gain, o->resume, (double)t->cfg.d_gain), 1;
    return 0;
}

const char *loss_text(const gt_tsgan *t, char *buf, size_t cap)
{
    if (t->cfg.d_gain == 1.0f)
        snprintf(buf, cap, "%s", gt_gan_loss_name(t->cfg.loss));
    else
        snprintf(buf, cap, "%s (D's input x%.3g)", gt_gan_loss_name(t->cfg.loss),
                 (double)t->cfg.d_gain);
    return buf;
}

gt_tsgan_cfg tsgan_cfg_from_opts(const train_opts *o, int window, int nch, int nclasses)
{
    gt_tsgan_cfg c = gt_tsgan_cfg_default(window, nch);
    c.nclasses = nclasses;
    if (o->nz) c.nz = o->nz;
    if (o->width) c.width = o->width;
    if (o->max_width) c.max_width = o->max_width;
    if (c.max_width < c.width) c.max_width = c.width;
    c.loss = o->loss;
    if (o->batch) c.batch = o->batch;
    c.critic_steps = o->critic_steps ? o->critic_steps : o->loss == GT_GAN_WGAN ? 5 : 1;
    if (o->lr_g > 0) c.lr_g = o->lr_g;
    if (o->lr_d > 0) c.lr_d = o->lr_d;
    if (o->lr_e > 0) c.lr_e = o->lr_e;
    if (o->alpha >= 0) c.alpha = o->alpha;
    if (o->spectral >= 0) c.spectral = o->spectral;
    if (o->d_shift >= 0) c.d_shift = o->d_shift;
    if (o->d_gain > 0) c.d_gain = o->d_gain;
    c.seed = o->seed;
    return c;
}

int tsgan_run(gt_tsgan *t, const float *x, const int *cls, size_t n, const train_opts *o,
              long enc_steps, const char *ckpt, int quiet, train_hook hook, void *hook_ctx)
{
    gt_error err = {0};
    fit_ctx f = {.t = t, .ckpt = ckpt, .every = o->checkpoint_every, .phase = "gan",
                 .hook = hook, .hook_ctx = hook_ctx};
    progress_start(&f.prog, o->steps, quiet ? 0 : o->progress);
    int trc = gt_tsgan_train_gan(t, x, cls, n, o->steps, on_step, &f, &err);
    progress_end(&f.prog);
    if (!f.failed && trc == GT_OK) {
        f.phase = "encoder";
        progress_start(&f.prog, enc_steps, quiet ? 0 : o->progress);
        trc = gt_tsgan_train_encoder(t, x, cls, n, enc_steps, on_step, &f, &err);
        progress_end(&f.prog);
    }
    if (f.failed)
        return 1;
    if (trc < 0) {
        /* Without a checkpoint the caller says what follows (detect tries
         * other seeds). */
        tool_fail("%s%s", err.msg, ckpt ? "; nothing written beyond the last checkpoint" : "");
        return 4;
    }
    return 0;
}

/* Calibrate t on the training spans (as dc chose them) of the recordings in
 * ds, whose channels are the model's. */
static int calibrate(gt_tsgan *t, gt_store *st, const gt_dataset *ds, const gt_dataset_cfg *dc)
{
    gt_error err = {0};
    size_t total = 0, cap = 0;
    float *cs = NULL, *rs = NULL;
    int rc = 0;
    for (int i = 0; i < ds->nrec && !rc; i++) {
        gt_recording *r = NULL;
        if (gt_store_read(st, ds->recs[i], &r, &err) < 0) {
            rc = tool_fail_err(&err);
            break;
        }
        size_t lo, hi;
        gt_dataset_span(dc, r->n, &lo, &hi);
        size_t n = hi - lo;
        float *sig = malloc((size_t)t->cfg.nch * r->n * sizeof(float) + 1);
        uint8_t *bad = malloc(r->n + 1);
        if (cap < total + n) {
            cap = (total + n) * 2;
            float *a = realloc(cs, cap * sizeof *a), *b = realloc(rs, cap * sizeof *b);
            if (a) cs = a;
            if (b) rs = b;
            if (!a || !b) rc = tool_fail("out of memory");
        }
        if (!sig || !bad)
            rc = tool_fail("out of memory");
        int cls = t->cfg.nclasses ? gt_names_list_index(t->classes, r->cls) : 0;
        if (cls < 0)
            cls = 0;
        const float *ce, *sc;
        gt_tsgan_norm_row(t, cls, &ce, &sc);
        if (!rc && gt_dataset_signals(r, ds->channels, ds->nch, ce, sc, sig, bad, &err) < 0)
            rc = tool_fail_err(&err);
        if (!rc && n >= (size_t)t->cfg.window) {
            /* The span as its own signal: copy each channel's part. */
            for (int c = 0; c < t->cfg.nch; c++)
                memmove(sig + (size_t)c * n, sig + (size_t)c * r->n + lo, n * sizeof(float));
            if (gt_tsgan_score_signal(t, sig, bad + lo, n, cls,
                                      (size_t)t->score_hop, cs + total, rs + total, NULL,
                                      &err) < 0)
                rc = tool_fail_err(&err);
            else
                total += n;
        }
        free(sig);
        free(bad);
        gt_recording_free(r);
    }
    if (!rc && gt_tsgan_calibrate(t, cs, rs, total, &err) < 0)
        rc = tool_fail_err(&err);
    free(cs);
    free(rs);
    return rc;
}

int tsgan_fit(const train_opts *in, gt_store *st, const char *out_path, int quiet, gt_tsgan **out)
{
    train_opts o = *in;
    gt_error err = {0};
    gt_tsgan *t = NULL;
    gt_dataset ds;
    memset(&ds, 0, sizeof ds);
    int rc = 1;
    *out = NULL;
    if (o.resume) {
        if (gt_tsgan_load(&t, o.resume, &err) < 0)
            return tool_fail_err(&err);
        o.window = t->cfg.window;
        if (!o.hop) o.hop = t->hop;
        o.channels = t->channels;
        o.norm = t->norm;
        o.class_norm = t->norm_by_class;
        if (resume_refuses(in, t)) {
            gt_tsgan_free(t);
            return 2;
        }
        if (in->spectral >= 0) {
            if (in->spectral > 0 && t->cfg.dims != 1) {
                gt_tsgan_free(t);
                return tool_fail("--spectral-loss is for time series, not images"), 2;
            }
            t->cfg.spectral = in->spectral;
        }
    } else {
        /* The preset follows the rate of the first recording used. */
        double rate = 0;
        for (int i = 0; i < gt_store_count(st); i++)
            if (tool_list_has(o.recordings, gt_store_name(st, i))) {
                gt_recording *r;
                if (gt_store_read(st, gt_store_name(st, i), &r, &err) < 0)
                    return tool_fail_err(&err);
                rate = r->rate_hz;
                gt_recording_free(r);
                break;
            }
        apply_preset(&o, rate);
    }
    if (o.window & (o.window - 1))
        return tool_fail("--window must be a power of two, not %d", o.window);
    gt_dataset_cfg dc = gt_dataset_cfg_default(o.window, o.hop ? o.hop : 1);
    dc.channels = o.channels;
    dc.recordings = o.recordings;
    dc.classes = o.classes;
    dc.norm = o.norm;
    dc.span_lo = o.span_lo;
    dc.span_hi = o.span_hi;
    dc.max_rows = o.train_rows;
    if (t) {
        dc.center = t->center;
        dc.scale = t->scale;
        dc.by_class = t->norm_by_class;
        dc.stat_classes = t->classes;
    } else if (o.class_norm) {
        /* Per class only where the model will be conditional. */
        dc.by_class = 1;
    }
    if (gt_dataset_load(&ds, st, &dc, &err) < 0) {
        tool_fail_err(&err);
        goto out;
    }
    int *cls = NULL;
    if (t) {
        /* Resuming: map the store's classes onto the model's. */
        if (t->cfg.nclasses) {
            cls = malloc(ds.nwin * sizeof *cls);
            if (!cls) {
                tool_fail("out of memory");
                goto out;
            }
            for (size_t w = 0; w < ds.nwin; w++) {
                const char *name = ds.cls[w] >= 0 ? ds.classes[ds.cls[w]] : "";
                int k = gt_names_list_index(t->classes, name);
                if (k < 0) {
                    tool_fail("recording %s has class '%s', which %s does not know (it knows %s)",
                              ds.recs[ds.rec[w]], name, o.resume, t->classes);
                    free(cls);
                    goto out;
                }
                cls[w] = k;
            }
        }
        if (!o.steps)
            o.steps = 1000;
    } else {
        int cond = o.conditional < 0 ? ds.nclasses >= 2 : o.conditional;
        if (cond && ds.nclasses < 1) {
            tool_fail("--conditional: the recordings have no classes (ingest with --class)");
            goto out;
        }
        for (size_t w = 0; cond && w < ds.nwin; w++)
            if (ds.cls[w] < 0) {
                tool_fail("--conditional: recording %s has no class", ds.recs[ds.rec[w]]);
                goto out;
            }
        if (o.class_norm && !cond) {
            tool_fail("--class-norm needs a conditional model (recordings of 2 or more classes, "
                      "or --conditional)");
            goto out;
        }
        gt_tsgan_cfg c = tsgan_cfg_from_opts(&o, o.window, ds.nch, cond ? ds.nclasses : 0);
        if (o.d_gain <= 0)
            c.d_gain = gt_tsgan_d_gain(&c, ds.x, ds.nwin);
        char *chans = gt_names_join(ds.channels, ds.nch), *units = gt_names_join(ds.units, ds.nch);
        char *classes = cond ? gt_names_join(ds.classes, ds.nclasses) : strdup("");
        int ok = chans && units && classes && gt_tsgan_create(&t, &c, &err) == GT_OK &&
                 gt_tsgan_set_meta(t, chans, units, classes, ds.rate_hz, o.norm, ds.center,
                                   ds.scale, &err) == GT_OK &&
                 (!o.class_norm || gt_tsgan_set_class_norm(t, ds.center, ds.scale, &err) == GT_OK);
        free(chans);
        free(units);
        free(classes);
        if (!ok) {
            tool_fail_err(&err);
            goto out;
        }
        t->hop = o.hop;
        t->score_hop = o.score_hop;
        t->smooth = o.smooth;
        cls = cond ? ds.cls : NULL;
    }
    if (o.score_hop)
        t->score_hop = o.score_hop;
    char lt[64];
    if (!quiet)
        fprintf(stderr,
                "%s: %zu windows of %d x %d from %d recording(s)%s; G %zu, D %zu, E %zu "
                "parameters; loss %s; threads %d\n",
                tool_name, ds.nwin, ds.nch, o.window, ds.nrec,
                t->cfg.nclasses ? ", conditional on class" : "", gt_model_nparams(t->g),
                gt_model_nparams(t->d), gt_model_nparams(t->e), loss_text(t, lt, sizeof lt),
                gt_threads_get());
    long es = o.resume && in->enc_steps < 0 ? o.steps : o.enc_steps;
    int trc = tsgan_run(t, ds.x, cls, ds.nwin, &o, es, out_path, quiet, NULL, NULL);
    if (cls && cls != ds.cls)
        free(cls);
    if (trc) {
        rc = trc;
        goto out;
    }
    if (calibrate(t, st, &ds, &dc))
        goto out;
    *out = t;
    t = NULL;
    rc = 0;
out:
    gt_dataset_free(&ds);
    gt_tsgan_free(t);
    return rc;
}

int tsgan_score_recording(gt_tsgan *t, const gt_recording *r, size_t hop, const char *cls,
                          float *score)
{
    gt_error err = {0};
    if (t->rate_hz > 0 && r->rate_hz > 0 && fabs(r->rate_hz - t->rate_hz) > 1e-6 * t->rate_hz)
        return tool_fail("recording %s is sampled at %g Hz; the model was trained at %g Hz",
                         r->name, r->rate_hz, t->rate_hz);
    if (r->n < (size_t)t->cfg.window)
        return tool_fail("recording %s has %zu samples, fewer than the model's window of %d",
                         r->name, r->n, t->cfg.window);
    int k = 0;
    if (t->cfg.nclasses) {
        k = gt_names_list_index(t->classes, cls ? cls : r->cls);
        int normal = gt_names_list_index(t->classes, "normal");
        if (k < 0 && cls)
            return tool_fail("--class %s: the model knows the classes %s", cls, t->classes);
        if (k < 0 && normal < 0)
            return tool_fail("recording %s has class '%s', which the model does not know "
                             "(it knows %s): pick one with --class",
                             r->name, r->cls, t->classes);
        if (k < 0)
            k = normal;
    }
    char **chan = NULL;
    int nch = 0;
    float *sig = malloc((size_t)t->cfg.nch * r->n * sizeof(float) + 1);
    uint8_t *bad = malloc(r->n + 1);
    int rc = 0;
    if (gt_names_split(t->channels, &chan, &nch) < 0 || !sig || !bad)
        rc = tool_fail("out of memory");
    const float *ce, *sc;
    gt_tsgan_norm_row(t, k, &ce, &sc);
    if (rc == 0 && gt_dataset_signals(r, chan, t->cfg.nch, ce, sc, sig, bad, &err) < 0)
        rc = tool_fail("%s (the model was trained on %s)", err.msg, t->channels);
    if (rc == 0 && gt_tsgan_score_signal(t, sig, bad, r->n, k,
                                         hop ? hop : (size_t)t->score_hop, NULL, NULL, score,
                                         &err) < 0)
        rc = tool_fail_err(&err);
    gt_names_free(chan, nch);
    free(sig);
    free(bad);
    return rc;
}

void write_score_rows(FILE *f, const gt_recording *r, const float *score, const uint8_t *flag,
                      int with_name)
{
    char ts[96];
    for (size_t i = 0; i < r->n; i++) {
        gt_recording_timestamp(r, i, ts, sizeof ts);
        if (with_name)
            fprintf(f, "%s,", r->name);
        if (isfinite(score[i]))
            fprintf(f, "%s,%.6g,%d\n", ts, score[i], flag[i] ? 1 : 0);
        else
            fprintf(f, "%s,nan,%d\n", ts, flag[i] ? 1 : 0);
    }
}

void write_event_rows(FILE *f, const gt_recording *r, const gt_event *ev, size_t nev,
                      int with_name)
{
    char a[96], b[96];
    for (size_t i = 0; i < nev; i++) {
        gt_recording_timestamp(r, ev[i].start, a, sizeof a);
        gt_recording_timestamp(r, ev[i].end - 1, b, sizeof b);
        if (with_name)
            fprintf(f, "%s,", r->name);
        fprintf(f, "%s,%s,%.4g\n", a, b, ev[i].severity);
    }
}

const char flag_opts_help[] =
    "  --threshold SPEC       fixed:V, quantile:Q[xF] (F times the Q-quantile of the\n"
    "                         training scores), dynamic[:Z[:WINDOW:STEP]] (Orion's\n"
    "                         sliding windows, mean + Z std each, default Z 4)\n";
const char flag_opts_help_more[] =
    "  --persist N            flag a sample only when it and the N-1 before it are all\n"
    "                         over the threshold: an alarm's on-delay (default 1)\n"
    "  --trim N               flag a sample only when the N before and after it are\n"
    "                         too: a window spreads an anomaly's score over the\n"
    "                         samples around it (default 0)\n"
    "  --min-gap N            merge events closer than N samples (default: a window)\n"
    "  --min-len N            drop events shorter than N samples (default 1)\n"
    "  --plot FILE.svg        a picture: per recording (the first 16) the score over\n"
    "                         time, the threshold, flagged and labelled samples\n";

void flag_opts_default(flag_opts *f, gt_thresh_kind kind)
{
    memset(f, 0, sizeof *f);
    f->thr = gt_thresh_default(kind);
    if (kind == GT_THRESH_QUANTILE) {
        /* 1.5 times the largest (smoothed) training score: nothing like
         * the training data is flagged. */
        f->thr.value = 1;
        f->thr.factor = 1.5;
    }
    f->min_gap = -1;
    f->min_len = -1;
    f->persist = 1;
    f->trim = 0;
}

/* An integer option from lo to INT_MAX into a long field: 2 (said why) when bad. */
static int long_opt(const char *name, const char *arg, int lo, long *dst)
{
    int v;
    if (tool_int(name, arg, lo, 2147483647, &v))
        return 2;
    *dst = v;
    return 0;
}

int flag_opts_set(flag_opts *f, int c, const char *arg)
{
    gt_error err = {0};
    switch (c) {
    case O_THRESHOLD:
        if (gt_thresh_parse(arg, &f->thr, &err) < 0)
            return tool_fail("--threshold: %s", err.msg), 2;
        f->thr_set = 1;
        return 0;
    case O_MIN_GAP: return long_opt("--min-gap", arg, 0, &f->min_gap);
    case O_MIN_LEN: return long_opt("--min-len", arg, 1, &f->min_len);
    case O_PERSIST: return long_opt("--persist", arg, 1, &f->persist);
    case O_TRIM: return long_opt("--trim", arg, 0, &f->trim);
    case O_PLOT:
        f->plot = arg;
        return 0;
    default:
        return 1;
    }
}

int flag_recording(const gt_tsgan *t, const float *score, size_t n, const flag_opts *f,
                   uint8_t *flag, float *thr, gt_event **ev, size_t *nev)
{
    gt_error err = {0};
    *ev = NULL;
    *nev = 0;
    if (f->thr.kind == GT_THRESH_QUANTILE && !t->nref)
        return tool_fail("the model has no reference scores for a quantile threshold");
    if (gt_thresh_apply(&f->thr, score, n, t->ref, t->nref, flag, thr, &err) < 0)
        return tool_fail_err(&err);
    gt_flags_trim(flag, n, (size_t)(f->persist - 1 + f->trim), (size_t)f->trim);
    size_t gap = f->min_gap < 0 ? (size_t)t->cfg.window : (size_t)f->min_gap;
    size_t len = f->min_len < 0 ? 1 : (size_t)f->min_len;
    size_t k = gt_events_from_flags(flag, score, thr, n, gap, len, NULL, 0);
    *ev = malloc((k ? k : 1) * sizeof **ev);
    if (!*ev)
        return tool_fail("out of memory");
    *nev = gt_events_from_flags(flag, score, thr, n, gap, len, *ev, k);
    /* The flags follow the events (merged gaps in, short runs out). */
    gt_events_to_flags(*ev, *nev, flag, n);
    return 0;
}

int open_score_files(tool_out *so, tool_out *eo, const char *scores_path,
                     const char *events_path, int with_name, int force)
{
    if (out_open(so, scores_path, force))
        return 1;
    fprintf(so->f, "%stimestamp,score,anomaly\n", with_name ? "recording," : "");
    if (events_path) {
        if (out_open(eo, events_path, force)) {
            out_abort(so);
            return 1;
        }
        fprintf(eo->f, "%sstart,end,severity\n", with_name ? "recording," : "");
    }
    return 0;
}

/* Score, flag and write recording r, the k-th of the job's (ef, the
 * events, and pf, the plot, may be NULL); *flagged and *nevents are
 * increased. */
static int score_and_write(gt_tsgan *t, const gt_recording *r, size_t hop, const char *cls,
                           const flag_opts *fo, FILE *sf, FILE *ef, FILE *pf, int k,
                           int with_name, size_t *flagged, size_t *nevents)
{
    float *score = malloc(r->n * sizeof *score + 1), *thr = malloc(r->n * sizeof *thr + 1);
    uint8_t *flag = malloc(r->n + 1);
    gt_event *ev = NULL;
    size_t nev = 0;
    int rc = !score || !thr || !flag ? tool_fail("out of memory") : 0;
    if (!rc)
        rc = tsgan_score_recording(t, r, hop, cls, score);
    if (!rc)
        rc = flag_recording(t, score, r->n, fo, flag, thr, &ev, &nev);
    size_t nflag = 0;
    for (size_t i = 0; !rc && i < r->n; i++)
        nflag += flag[i];
    if (!rc && pf)
        rc = score_plot_panel(pf, k, r, score, thr, flag, nev, nflag);
    if (!rc) {
        write_score_rows(sf, r, score, flag, with_name);
        if (ef)
            write_event_rows(ef, r, ev, nev, with_name);
        *flagged += nflag;
        *nevents += nev;
    }
    free(score);
    free(thr);
    free(flag);
    free(ev);
    return rc;
}

/* DIR/NAME.h5, where --save-models keeps a recording's model, into path;
 * 1 (message given) when a model is there and --force was not. */
static int save_path(const score_job *job, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s.h5", job->save_dir, name);
    if (!job->force && path_exists(path))
        return tool_fail("%s exists; not overwriting it (use --force)", path);
    return 0;
}

/* Before any training: --save-models names a directory, and none of the
 * models it would get is there already (unless --force). */
static int check_save_dir(gt_store *st, const score_job *job)
{
    struct stat sb;
    if (stat(job->save_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return tool_fail("--save-models %s: not a directory (create it first)", job->save_dir);
    char path[4096];
    for (int i = 0; i < gt_store_count(st); i++) {
        const char *name = gt_store_name(st, i);
        if (tool_list_has(job->recordings, name) && save_path(job, name, path, sizeof path))
            return 1;
    }
    return 0;
}

/* The model for one recording: the job's, or one fitted on it.  A GAN
 * that diverges or collapses (tsgan_run's 4) is trained again from the
 * next seeds, DETECT_TRIES in all: one signal of many should not end the
 * job, and the same seed still gives the same models. */
enum { DETECT_TRIES = 3 };
static int model_for(gt_store *st, const score_job *job, const char *name, gt_tsgan **t)
{
    if (job->t) {
        *t = job->t;
        return 0;
    }
    train_opts one = *job->fit;
    one.recordings = name;
    int rc = tsgan_fit(&one, st, NULL, 1, t);
    for (int k = 1; rc == 4 && k < DETECT_TRIES; k++) {
        one.seed = job->fit->seed + (uint64_t)k;
        fprintf(stderr, "%s: %s: training again with seed %llu\n", tool_name, name,
                (unsigned long long)one.seed);
        rc = tsgan_fit(&one, st, NULL, 1, t);
    }
    if (rc == 4)
        tool_fail("%s: no model from seeds %llu to %llu; nothing written", name,
                  (unsigned long long)job->fit->seed, (unsigned long long)one.seed);
    if (!rc && job->save_dir) {
        /* checked before training too; a file may have appeared since */
        gt_error err = {0};
        char path[4096];
        if (save_path(job, name, path, sizeof path))
            rc = 1;
        else if (gt_tsgan_save(*t, path, &err) < 0)
            rc = tool_fail_err(&err);
    }
    return rc;
}

int score_store(gt_store *st, const score_job *job)
{
    int nsel = 0;
    for (int i = 0; i < gt_store_count(st); i++)
        nsel += tool_list_has(job->recordings, gt_store_name(st, i));
    if (nsel == 0)
        return tool_fail("%s: no recording selected", gt_store_path(st));
    if (job->save_dir && check_save_dir(st, job))
        return 1;
    tool_out so = {0}, eo = {0}, po = {0};
    if (open_score_files(&so, &eo, job->out, job->events, nsel > 1, job->force))
        return 1;
    if (job->fo->plot) {
        if (out_open(&po, job->fo->plot, job->force)) {
            out_abort(&so);
            out_abort(&eo);
            return 1;
        }
        score_plot_begin(po.f, nsel);
    }
    size_t flagged = 0, total = 0, nevents = 0;
    double t0 = tool_now();
    int rc = 0, k = 0;
    for (int i = 0; i < gt_store_count(st) && !rc; i++) {
        const char *name = gt_store_name(st, i);
        if (!tool_list_has(job->recordings, name))
            continue;
        gt_error err = {0};
        gt_tsgan *t = NULL;
        gt_recording *r = NULL;
        double t1 = tool_now();
        size_t fl = flagged, ne = nevents;
        rc = model_for(st, job, name, &t);
        if (!rc && gt_store_read(st, name, &r, &err) < 0)
            rc = tool_fail_err(&err);
        if (!rc)
            rc = score_and_write(t, r, job->hop, job->cls, job->fo, so.f,
                                 job->events ? eo.f : NULL, job->fo->plot ? po.f : NULL, k++,
                                 nsel > 1, &flagged, &nevents);
        if (!rc) {
            total += r->n;
            if (job->verbose)
                fprintf(stderr, "%s: %s: %zu samples, %zu events, %.1f %% flagged, %.1f s\n",
                        tool_name, name, r->n, nevents - ne, 100.0 * (flagged - fl) / r->n,
                        tool_now() - t1);
        }
        gt_recording_free(r);
        if (t != job->t)
            gt_tsgan_free(t);
    }
    if (rc) {
        out_abort(&so);
        out_abort(&eo);
        out_abort(&po);
        return rc;
    }
    if (job->fo->plot)
        score_plot_end(po.f, nsel);
    /* Past a failed commit, the other files are not left behind either. */
    int bad = out_commit(&so);
    if (bad)
        out_abort(&eo);
    else if (job->events)
        bad = out_commit(&eo);
    if (bad)
        out_abort(&po);
    else if (job->fo->plot)
        bad = out_commit(&po);
    if (bad)
        return 1;
    printf("%s %zu events in %d recording(s): %zu samples, %.2f %% flagged, %.1f s\n",
           job->t ? "scored; found" : "detected", nevents, nsel, total,
           total ? 100.0 * flagged / total : 0.0, tool_now() - t0);
    printf("scores: %s%s%s%s%s\n", job->out, job->events ? "  events: " : "",
           job->events ? job->events : "", job->fo->plot ? "  plot: " : "",
           job->fo->plot ? job->fo->plot : "");
    return 0;
}
