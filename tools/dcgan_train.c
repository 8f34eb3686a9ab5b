/* gantry dcgan train: the image DCGAN (and its encoder) on a store's images. */
#include <stdlib.h>
#include <string.h>

#include "dcgan_tool.h"
#include "tsgan_tool.h"

static const char help_head[] =
    "usage: gantry dcgan train STORE.h5 -o MODEL.h5 [OPTIONS]\n"
    "\n"
    "Train a DCGAN (generator and discriminator) on the store's images, then an\n"
    "encoder that maps images back to the latent space (f-AnoGAN), and calibrate\n"
    "the defect score on the training images.  Conditional on class when the\n"
    "chosen images have two or more classes.\n"
    "\n"
    "  -o, --output MODEL.h5  the model (checkpointed while training; written\n"
    "                         under a temporary name and renamed)\n"
    "  --preset NAME          dcgan (default: the PyTorch-examples DCGAN at the\n"
    "                         store's size, a power of two; nz 100, width 64) or\n"
    "                         seed (the seed's Keras model: images of side 7, 14\n"
    "                         or 28; ingest with --size 28)\n"
    "  --classes LIST         only images of these classes (e.g. MT_Free)\n"
    "  --span LO:HI           only this part of each class's files (0:0.5 trains on\n"
    "                         the first half and leaves the rest for testing)\n"
    "  --per-class N          only N files of each class (drawn with --seed)\n"
    "  --grid-every N         write a sample grid every N steps (default 250; 0:\n"
    "                         never) to --grid PNG (default MODEL-samples.png)\n"
    "  --grid PNG             where the sample grid goes (replaced each time; an\n"
    "                         existing file is refused at the start unless --force\n"
    "                         or --resume)\n"
    "  -h, --help             this help\n"
    "\n"
    "training:\n"
    "  --conditional | --unconditional   (default: conditional with 2+ classes)\n"
    "  --loss NAME            bce (default), wgan or hinge (spectral norm in D)\n"
    "  --nz N --width N --max-width N   latent size, D's first and largest width\n"
    "  --batch N --steps N --encoder-steps N --critic-steps N\n"
    "                         (defaults: 64, 2000, 1000, 1; wgan: 5 critic steps)\n"
    "  --lr-g X --lr-d X --lr-e X       Adam learning rates (2e-4, 2e-4, 1e-3)\n"
    "  --alpha X              weight of the critic in the score (0.5)\n"
    "  --resume MODEL.h5      continue training MODEL.h5 on this store\n"
    "  --checkpoint-every N   save the model every N steps (default 500)\n"
    "  --seed N --threads N   same seed and threads give the same model\n"
    "  --progress | --quiet   progress on stderr (default: when it is a terminal)\n"
    "  --force                overwrite existing output files\n";

static const char help_tail[] =
    "\n"
    "The model (kind \"dcgan\") holds G, D and E with their optimiser state, the\n"
    "configuration, classes, score calibration and the history of every step.\n"
    "Training that diverges stops with exit status 4 and writes nothing beyond\n"
    "the last checkpoint.\n";

enum { O_DPRESET = 2000, O_PER_CLASS, O_GRID_EVERY, O_GRID };

typedef struct grid_ctx {
    const char *path;
    long every;
    int cols, quiet;
    gt_rng rng0; /* the same latents every time, to watch them change */
} grid_ctx;

/* One row of 8 per class (conditional), or 64 images. */
static int write_samples(grid_ctx *g, gt_tsgan *t)
{
    int K = t->cfg.nclasses ? t->cfg.nclasses : 1, per = t->cfg.nclasses ? 8 : 64;
    size_t sz = gt_tsgan_sample_size(&t->cfg), n = (size_t)K * per;
    uint8_t *pix = malloc(n * sz);
    if (!pix)
        return tool_fail("out of memory");
    gt_rng rng = g->rng0;
    int rc = 0;
    for (int k = 0; k < K && !rc; k++) {
        gt_rng r = rng; /* the same latents for every class */
        if (dcgan_generate(t, k, (size_t)per, &r, pix + (size_t)k * per * sz) < 0)
            rc = tool_fail("generating samples failed");
    }
    if (!rc)
        rc = write_grid(pix, n, t->cfg.nch, t->cfg.window, 8, g->path);
    free(pix);
    return rc;
}

static int grid_hook(void *ctx, gt_tsgan *t, long step)
{
    grid_ctx *g = ctx;
    if (g->every <= 0 || step % g->every)
        return 0;
    return write_samples(g, t);
}

int dcgan_train(int argc, char **argv)
{
    train_opts o;
    train_opts_default(&o);
    const char *out = NULL, *grid = NULL;
    gt_tsgan_arch arch = GT_TSGAN_DCGAN;
    int per_class = 0;
    long grid_every = 250;
    static const struct option mine[] = {{"output", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"preset", required_argument, NULL, O_DPRESET},
                                         {"per-class", required_argument, NULL, O_PER_CLASS},
                                         {"grid-every", required_argument, NULL, O_GRID_EVERY},
                                         {"grid", required_argument, NULL, O_GRID},
                                         {NULL, 0, NULL, 0}};
    struct option opts[64];
    merge_long_opts(opts, 64, mine);
    int c, v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'h':
            fputs(help_head, stdout);
            fputs(help_tail, stdout);
            return 0;
        case O_DPRESET:
            if (gt_tsgan_arch_parse(optarg, &arch) < 0)
                return tool_fail("--preset must be dcgan or seed, not '%s'", optarg), 2;
            break;
        case O_PER_CLASS:
            if (tool_int("--per-class", optarg, 1, 1 << 30, &per_class))
                return 2;
            break;
        case O_GRID_EVERY:
            if (tool_int("--grid-every", optarg, 0, 1 << 30, &v))
                return 2;
            grid_every = v;
            break;
        case O_GRID: grid = optarg; break;
        default: {
            int rc = train_opts_set(&o, c, optarg);
            if (rc == 1) {
                fputs(help_head, stderr);
                return 2;
            }
            if (rc)
                return rc;
        }
        }
    }
    if (optind + 1 != argc || !out)
        return tool_fail("need one STORE.h5 and -o MODEL.h5 (see --help)"), 2;
    if (o.channels || o.recordings || o.window || o.hop || o.score_hop || o.train_rows ||
        o.smooth >= 0)
        return tool_fail("--channels, --recordings, --window, --hop, --score-hop, --train-rows "
                         "and --smooth are for time series (gantry train), not images"), 2;
    const char *store = argv[optind];
    int same = o.resume && !strcmp(o.resume, out);
    if (!o.force && !same && path_exists(out))
        return tool_fail("%s exists; not overwriting it (use --force)", out);
    char grid_buf[4096];
    if (!grid) {
        size_t len = strlen(out) - (tool_ends_with(out, ".h5") ? 3 : 0);
        snprintf(grid_buf, sizeof grid_buf, "%.*s-samples.png", (int)len, out);
        grid = grid_buf;
    }
    if (grid_every > 0 && !o.force && !o.resume && path_exists(grid))
        return tool_fail("%s exists; not overwriting it (use --force, or --grid elsewhere)",
                         grid);
    gt_threads_set(o.threads);
    gt_error err = {0};
    gt_imageset *s = NULL;
    gt_tsgan *t = NULL;
    size_t *idx = NULL, n = 0;
    float *x = NULL;
    int *cls = NULL, rc = 1;
    if (images_open(store, &s))
        return 1;
    if (images_choose(s, store, o.span_lo, o.span_hi, per_class, o.seed, o.classes, &idx, &n))
        goto out;
    /* Classes among the chosen images, in the store's order. */
    int *map = malloc(((size_t)s->nclasses + 1) * sizeof *map), nk = 0;
    cls = malloc(n * sizeof *cls);
    x = images_to_float(s, idx, n);
    if (!map || !cls || !x) {
        free(map);
        tool_fail("out of memory");
        goto out;
    }
    for (int k = 0; k < s->nclasses; k++)
        map[k] = -1;
    for (size_t i = 0; i < n; i++)
        if (s->cls[idx[i]] >= 0)
            map[s->cls[idx[i]]] = 0;
    char **names = malloc(((size_t)s->nclasses + 1) * sizeof *names);
    if (!names) {
        free(map);
        tool_fail("out of memory");
        goto out;
    }
    for (int k = 0; k < s->nclasses; k++)
        if (map[k] >= 0) {
            names[nk] = s->classes[k];
            map[k] = nk++;
        }
    int cond;
    if (o.resume) {
        if (gt_tsgan_load(&t, o.resume, &err) < 0) {
            free(map);
            free(names);
            tool_fail_err(&err);
            goto out;
        }
        cond = t->cfg.nclasses > 0;
        if (resume_refuses(&o, t)) {
            rc = 2;
            free(map);
            free(names);
            goto out;
        }
        if (t->cfg.dims != 2 || t->cfg.window != s->size || t->cfg.nch != s->channels) {
            tool_fail("%s makes %s of %d x %d x %d; %s holds images of %d x %d x %d", o.resume,
                      t->cfg.dims == 2 ? "images" : "time-series windows", t->cfg.nch,
                      t->cfg.window, t->cfg.dims == 2 ? t->cfg.window : 1, store, s->channels,
                      s->size, s->size);
            free(map);
            free(names);
            goto out;
        }
        for (size_t i = 0; cond && i < n; i++) {
            int k = s->cls[idx[i]];
            cls[i] = gt_names_list_index(t->classes, k >= 0 ? s->classes[k] : "");
            if (cls[i] < 0) {
                tool_fail("%s has class '%s', which %s does not know (it knows %s)",
                          s->files[s->file[idx[i]]], k >= 0 ? s->classes[k] : "", o.resume,
                          t->classes);
                free(map);
                free(names);
                goto out;
            }
        }
        if (!o.steps)
            o.steps = 1000;
    } else {
        cond = o.conditional < 0 ? nk >= 2 : o.conditional;
        if (cond && nk < 1) {
            tool_fail("--conditional: the images have no classes");
            free(map);
            free(names);
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            int k = s->cls[idx[i]];
            if (cond && k < 0) {
                tool_fail("--conditional: %s has no class", s->files[s->file[idx[i]]]);
                free(map);
                free(names);
                goto out;
            }
            cls[i] = cond ? map[k] : 0;
        }
        if (arch == GT_TSGAN_DCGAN && !o.nz) o.nz = 100;
        if (arch == GT_TSGAN_DCGAN && !o.width) o.width = 64;
        if (arch == GT_TSGAN_DCGAN && !o.max_width) o.max_width = 512;
        if (!o.nz) o.nz = 100;
        if (!o.steps) o.steps = 2000;
        if (o.enc_steps < 0) o.enc_steps = 1000;
        gt_tsgan_cfg tc = tsgan_cfg_from_opts(&o, s->size, s->channels, cond ? nk : 0);
        tc.dims = 2;
        tc.arch = arch;
        if (o.d_gain <= 0)
            tc.d_gain = gt_tsgan_d_gain(&tc, x, n);
        char *classes = cond ? gt_names_join(names, nk) : strdup("");
        const char *chans = s->channels == 1 ? "gray" : "red,green,blue";
        int ok = classes && gt_tsgan_create(&t, &tc, &err) == GT_OK &&
                 gt_tsgan_set_meta(t, chans, "", classes, 0, GT_NORM_NONE, NULL, NULL, &err) ==
                     GT_OK;
        free(classes);
        if (!ok) {
            tool_fail_err(&err);
            free(map);
            free(names);
            goto out;
        }
    }
    free(map);
    free(names);
    char lt[64];
    fprintf(stderr,
            "%s: %zu images of %d x %d x %d%s; G %zu, D %zu, E %zu parameters; %s, loss %s; "
            "threads %d\n",
            tool_name, n, s->channels, s->size, s->size,
            t->cfg.nclasses ? ", conditional on class" : "", gt_model_nparams(t->g),
            gt_model_nparams(t->d), gt_model_nparams(t->e), gt_tsgan_arch_name(t->cfg.arch),
            loss_text(t, lt, sizeof lt), gt_threads_get());
    grid_ctx g = {.path = grid, .every = grid_every};
    gt_rng_seed(&g.rng0, o.seed * 31 + 17);
    double t0 = tool_now();
    long es = o.resume && o.enc_steps < 0 ? o.steps : o.enc_steps;
    if ((rc = tsgan_run(t, x, t->cfg.nclasses ? cls : NULL, n, &o, es, out, 0, grid_hook, &g)))
        goto out;
    rc = 1;
    /* Calibrate the defect score on the training images. */
    float *cs = malloc(n * sizeof *cs), *rs = malloc(n * sizeof *rs);
    int cok = cs && rs &&
              gt_tsgan_score_samples(t, x, t->cfg.nclasses ? cls : NULL, n, cs, rs, NULL, &err) ==
                  GT_OK &&
              gt_tsgan_calibrate(t, cs, rs, n, &err) == GT_OK;
    free(cs);
    free(rs);
    if (!cok) {
        tool_fail_err(&err);
        goto out;
    }
    if (grid_every > 0 && write_samples(&g, t))
        goto out;
    if (gt_tsgan_save(t, out, &err) < 0) {
        tool_fail_err(&err);
        goto out;
    }
    size_t h = t->hist.n;
    printf("trained %ld GAN steps and %ld encoder steps in %.1f s; last D loss %.3f, G loss "
           "%.3f, encoder loss %.4f\n",
           t->gan_steps, t->enc_steps, tool_now() - t0, h ? t->hist.loss_d[h - 1] : 0.0,
           h ? t->hist.loss_g[h - 1] : 0.0,
           t->hist.enc_n ? t->hist.loss_e[t->hist.enc_n - 1] : 0.0);
    printf("model: %s (%d x %d x %d%s%s)\n", out, t->cfg.nch, t->cfg.window, t->cfg.window,
           t->cfg.nclasses ? ", classes " : "", t->cfg.nclasses ? t->classes : "");
    if (grid_every > 0)
        printf("samples: %s\n", grid);
    rc = 0;
out:
    free(idx);
    free(x);
    free(cls);
    gt_tsgan_free(t);
    gt_imageset_free(s);
    return rc;
}
