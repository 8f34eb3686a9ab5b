/* gantry model: show a model spec or a preset's G and D, layer by layer. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "preset_opts.h"
#include "tsgan_tool.h"

static const char help[] =
    "usage: gantry model [SPEC_FILE | MODEL.h5] [PRESET OPTIONS] [--part g|d] [--spec]\n"
    "\n"
    "Show a model's layers, output shapes, parameter counts and forward FLOPs:\n"
    "the model in SPEC_FILE (the spec language of gantry/model.h), the models\n"
    "stored in a gantry model file, or the generator and discriminator of an\n"
    "architecture preset.  For a GAN from gantry train or dcgan train, first\n"
    "what it was trained on and how: data, classes, loss, rates, options, the\n"
    "score's calibration and the last steps' losses.\n"
    "\n"
    PRESET_HELP
    "  --part g|d        only the generator or only the discriminator\n"
    "  --spec            print the spec text instead of the table\n"
    "  -h, --help        this help\n"
    "\n"
    "example: gantry model --dims 1 --window 1024 --channels 3\n";

static void shape_str(char *buf, size_t cap, gt_shape s)
{
    if (s.h == 1 && s.w == 1)
        snprintf(buf, cap, "%d", s.c);
    else if (s.h == 1)
        snprintf(buf, cap, "%dx%d", s.c, s.w);
    else
        snprintf(buf, cap, "%dx%dx%d", s.c, s.h, s.w);
}

static int show(const char *title, const char *spec, int spec_only)
{
    gt_error err = {0};
    gt_model *m = NULL;
    if (gt_model_parse(&m, spec, &err) < 0 || gt_model_finalize(m, 1, &err) < 0) {
        gt_model_free(m);
        return tool_fail_err(&err);
    }
    size_t len = gt_model_spec(m, NULL, 0);
    char *text = malloc(len + 1);
    if (!text) {
        gt_model_free(m);
        return tool_fail("out of memory");
    }
    gt_model_spec(m, text, len + 1);
    if (spec_only) {
        printf("%s", text);
    } else {
        char in[64], out[64];
        shape_str(in, sizeof in, gt_model_input_shape(m));
        shape_str(out, sizeof out, gt_model_output_shape(m));
        printf("%s: input %s, output %s", title, in, out);
        if (gt_model_nclasses(m))
            printf(", %d classes", gt_model_nclasses(m));
        printf("\n  %3s  %-36s %-14s %10s\n", "#", "layer", "output", "params");
        char *line = strchr(text, '\n') + 1; /* skip the input line */
        for (int i = 0; i < gt_model_nlayers(m) && line; i++) {
            char *end = strchr(line, '\n');
            if (end)
                *end = 0;
            gt_shape o = gt_model_layer_output(m, i);
            shape_str(out, sizeof out, o);
            printf("  %3d  %-36s %-14s %10zu\n", i + 1, line, out, gt_model_layer_nparams(m, i));
            line = end ? end + 1 : NULL;
        }
        printf("  parameters %zu, forward %.1f MFLOP per sample\n\n", gt_model_nparams(m),
               gt_model_flops(m, 1) / 1e6);
    }
    free(text);
    gt_model_free(m);
    return 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t k;
    while (buf && (k = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += k;
        if (len + 1 == cap) {
            char *p = realloc(buf, cap *= 2);
            if (!p)
                free(buf);
            buf = p;
        }
    }
    if (buf)
        buf[len] = 0;
    fclose(f);
    return buf;
}

/* HDF5 files start with this signature (at offset 0 for the files we write). */
static int is_hdf5(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char buf[8];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    int yes = fread(buf, 1, 8, f) == 8 && memcmp(buf, sig, 8) == 0;
    fclose(f);
    return yes;
}

/* Mean of the last k values of v (n of them). */
static double tail_mean(const float *v, size_t n, size_t k)
{
    if (k > n)
        k = n;
    double s = 0;
    for (size_t i = n - k; i < n; i++)
        s += v[i];
    return k ? s / (double)k : 0;
}

/* What a GAN file was trained on and how: the configuration, the data, the
 * score's calibration and the last steps' losses. */
static int show_gan(const char *path)
{
    gt_error err = {0};
    gt_tsgan *t = NULL;
    if (gt_tsgan_load(&t, path, &err) < 0)
        return tool_fail_err(&err);
    const gt_tsgan_cfg *c = &t->cfg;
    char lt[64];
    printf("%s, architecture %s; trained %ld GAN steps and %ld encoder steps\n",
           c->dims == 2 ? "image GAN (dcgan)" : "time-series GAN (tsgan)",
           gt_tsgan_arch_name(c->arch), t->gan_steps, t->enc_steps);
    if (c->dims == 2)
        printf("  images: %d x %d x %d (%s)\n", c->nch, c->window, c->window, t->channels);
    else
        printf("  windows: %d samples of %s%s%s%s at %g Hz, hop %d; normalised %s%s\n",
               c->window, t->channels, *t->units ? " (units " : "", t->units,
               *t->units ? ")" : "", t->rate_hz, t->hop, gt_norm_name(t->norm),
               t->norm_by_class ? " per class" : "");
    printf("  classes: %s\n", c->nclasses ? t->classes : "none (unconditional)");
    printf("  loss %s, %d critic step(s) per generator step, batch %d, latent %d, widths %d-%d\n",
           loss_text(t, lt, sizeof lt), c->critic_steps, c->batch, c->nz, c->width,
           c->max_width);
    printf("  Adam learning rates: G %g, D %g, E %g; seed %llu", (double)c->lr_g,
           (double)c->lr_d, (double)c->lr_e, (unsigned long long)c->seed);
    if (c->d_shift)
        printf("; D's input shifted by up to %d", c->d_shift);
    if (c->spectral > 0)
        printf("; spectral loss %g", (double)c->spectral);
    printf("\n");
    if (c->dims == 1)
        printf("  score: critic weight %g, hop %d, smoothed over %d; %s\n", (double)c->alpha,
               t->score_hop, t->smooth, t->calibrated ? "calibrated" : "not calibrated");
    const gt_tsgan_history *h = &t->hist;
    const size_t k = h->n < 100 ? h->n : 100;
    if (k)
        printf("  last %zu steps: D loss %.3f, G loss %.3f, D(x) %.3f, D(G(z)) %.3f\n", k,
               tail_mean(h->loss_d, h->n, k), tail_mean(h->loss_g, h->n, k),
               tail_mean(h->d_real, h->n, k), tail_mean(h->d_fake, h->n, k));
    printf("\n");
    gt_tsgan_free(t);
    return 0;
}

/* The models a gantry model file holds, each shown from its stored spec. */
static int show_file(const char *path, int spec_only)
{
    static const char *const groups[] = {"model", "generator", "discriminator", "encoder"};
    gt_error err = {0};
    gt_h5 *f = NULL;
    int minor = 0;
    if (gt_h5_open(&f, path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR, &minor, &err) < 0)
        return tool_fail_err(&err);
    int rc = 0, shown = 0;
    if (!spec_only) {
        printf("%s: %s %d.%d\n", path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR, minor);
        char *kind = NULL;
        gt_error ignore = {0};
        int gan = gt_h5_read_attr_str(f, "/", "kind", &kind, &ignore) == GT_OK &&
                  (!strcmp(kind, GT_TSGAN_KIND) || !strcmp(kind, GT_DCGAN_KIND));
        free(kind);
        if (gan && show_gan(path)) {
            gt_h5_close(f);
            return 1;
        }
        if (!gan)
            printf("\n");
    }
    for (size_t i = 0; i < sizeof groups / sizeof groups[0] && !rc; i++) {
        if (!gt_h5_exists(f, groups[i]))
            continue;
        char *spec = NULL;
        if (gt_h5_read_attr_str(f, groups[i], "spec", &spec, &err) < 0) {
            rc = tool_fail_err(&err);
            break;
        }
        rc = show(groups[i], spec, spec_only);
        free(spec);
        shown++;
    }
    gt_h5_close(f);
    if (!rc && !shown)
        rc = tool_fail("%s holds no model group (model, generator, discriminator, encoder)", path);
    return rc;
}

int cmd_model(int argc, char **argv)
{
    static const struct option opts[] = {
        PRESET_LONG_OPTIONS,
        {"part", required_argument, NULL, 'p'},
        {"spec", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    preset_opts po;
    preset_opts_init(&po, 1, 1024, 1);
    const char *part = NULL;
    int spec_only = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int r = preset_opts_parse(&po, c, optarg);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        switch (c) {
        case 'p':
            if (strcmp(optarg, "g") && strcmp(optarg, "d"))
                return tool_fail("--part must be g or d"), 2;
            part = optarg;
            break;
        case 's': spec_only = 1; break;
        case 'h': fputs(help, stdout); return 0;
        default: fputs(help, stderr); return 2;
        }
    }
    if (optind < argc) {
        if (optind + 1 < argc)
            return tool_fail("one spec file at a time"), 2;
        if (is_hdf5(argv[optind]))
            return show_file(argv[optind], spec_only);
        char *spec = read_file(argv[optind]);
        if (!spec)
            return tool_fail("cannot read %s", argv[optind]);
        gt_error err = {0};
        gt_model *m = NULL;
        int rc = 0;
        if (gt_model_parse(&m, spec, &err) < 0)
            rc = tool_fail("%s: %s", argv[optind], err.msg);
        gt_model_free(m);
        if (!rc)
            rc = show(argv[optind], spec, spec_only);
        free(spec);
        return rc;
    }
    char gspec[8192], dspec[8192];
    if (preset_opts_specs(&po, gspec, sizeof gspec, dspec, sizeof dspec))
        return 1;
    int rc = 0;
    if (!part || !strcmp(part, "g"))
        rc |= show("generator", gspec, spec_only);
    if (!part || !strcmp(part, "d"))
        rc |= show("discriminator", dspec, spec_only);
    return rc;
}
