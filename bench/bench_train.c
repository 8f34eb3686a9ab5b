/*
 * bench_train - time one full GAN training step (gt_gan_step: a discriminator
 * step on a real and a fake batch, then a generator step through D) for the
 * DCGAN presets, and measure OpenBLAS's sgemm peak at the same thread count.
 *
 *     bench_train [--threads N] [--quick] [--only CONFIG] [--no-peak | --peak-only]
 *     bench_train --print-specs          spec lines only (for the PyTorch side)
 *     bench_train --list                 the configuration names
 *     bench_train --dump-check FILE      parity dump for bench/torch_train.py
 *
 * Output: JSON lines on stdout (one object per line, "kind" says which);
 * progress goes to stderr.  See bench/README.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/gantry.h"

#include "bench_util.h"

#define SPEC_CAP 8192
#define BATCH 64

typedef struct bench_cfg {
    const char *name;
    int dims, size, channels;
} bench_cfg;

/* The benchmarked configurations, all with the presets' default widths. */
static const bench_cfg configs[] = {
    {"dcgan1d-256x1", 1, 256, 1},
    {"dcgan1d-256x3", 1, 256, 3},
    {"dcgan1d-1024x1", 1, 1024, 1},
    {"dcgan1d-1024x3", 1, 1024, 3},
    {"dcgan2d-32x32x3", 2, 32, 3},
    {"dcgan2d-64x64x3", 2, 64, 3},
};
#define NCONFIGS ((int)(sizeof configs / sizeof configs[0]))

typedef struct timing_rule {
    int warmup;      /* untimed steps first */
    double min_time; /* keep timing until this many seconds have passed ... */
    int max_steps;   /* ... or this many steps, whichever comes first, */
    int min_steps;   /* but never fewer than this */
} timing_rule;

static const timing_rule rule_full = {2, 3.0, 20, 5};
static const timing_rule rule_quick = {1, 0.3, 3, 2};

static void die(const char *what, const gt_error *err)
{
    fprintf(stderr, "bench_train: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

/* G and D of a preset, parsed, finalized for `batch` and initialised. */
typedef struct pair {
    gt_model *g, *d;
    char gspec[SPEC_CAP], dspec[SPEC_CAP]; /* canonical texts (gt_model_spec) */
    double gflops, dflops;                 /* one forward of `batch` samples */
} pair;

static void pair_from_specs(pair *p, const char *gs, const char *ds, int batch)
{
    gt_error err;
    if (gt_model_parse(&p->g, gs, &err) < 0 || gt_model_finalize(p->g, batch, &err) < 0)
        die("generator", &err);
    if (gt_model_parse(&p->d, ds, &err) < 0 || gt_model_finalize(p->d, batch, &err) < 0)
        die("discriminator", &err);
    gt_model_init(p->g, GT_INIT_DCGAN, 1);
    gt_model_init(p->d, GT_INIT_DCGAN, 2);
    if (gt_model_spec(p->g, p->gspec, sizeof p->gspec) >= sizeof p->gspec ||
        gt_model_spec(p->d, p->dspec, sizeof p->dspec) >= sizeof p->dspec)
        die("spec text too long", NULL);
    p->gflops = gt_model_flops(p->g, batch);
    p->dflops = gt_model_flops(p->d, batch);
}

static void pair_build(pair *p, const gt_preset_cfg *pc, int batch)
{
    gt_error err;
    char gs[SPEC_CAP], ds[SPEC_CAP];
    if (gt_preset_dcgan(pc, gs, sizeof gs, ds, sizeof ds, &err) < 0)
        die("preset", &err);
    pair_from_specs(p, gs, ds, batch);
}

static void pair_free(pair *p)
{
    gt_model_free(p->g);
    gt_model_free(p->d);
}

/* Nominal FLOPs of one gt_gan_step: G forward + backward (weights and
 * inputs) = 3 Gf; D forward on real, fake and fake again (3 Df), full
 * backward twice (4 Df), input-only backward once (1 Df). */
static double step_flops(const pair *p)
{
    return 3.0 * p->gflops + 8.0 * p->dflops;
}

static void print_spec(const bench_cfg *c, const gt_preset_cfg *pc, const pair *p)
{
    printf("{\"kind\":\"spec\",\"config\":\"%s\",\"dims\":%d,\"size\":%d,\"channels\":%d,"
           "\"batch\":%d,\"nz\":%d,\"width\":%d,\"max_width\":%d,\"g_params\":%zu,"
           "\"d_params\":%zu,\"g_flops\":%.6g,\"d_flops\":%.6g,\"step_flops\":%.6g,\"g_spec\":",
           c->name, c->dims, c->size, c->channels, BATCH, pc->nz, pc->width, pc->max_width,
           gt_model_nparams(p->g), gt_model_nparams(p->d), p->gflops, p->dflops, step_flops(p));
    bench_put_json_str(stdout, p->gspec);
    fputs(",\"d_spec\":", stdout);
    bench_put_json_str(stdout, p->dspec);
    fputs("}\n", stdout);
    fflush(stdout);
}

/* Time gt_gan_step on one configuration. */
static int bench_config(const bench_cfg *c, const timing_rule *rule, int threads)
{
    gt_preset_cfg pc = gt_preset_default(c->dims, c->size, c->channels);
    pair p;
    pair_build(&p, &pc, BATCH);
    print_spec(c, &pc, &p);

    gt_error err;
    gt_gan_cfg gcfg = gt_gan_cfg_default();
    gt_gan gan;
    if (gt_gan_init(&gan, p.g, p.d, &gcfg, 3, &err) < 0)
        die("gan", &err);
    size_t sample = gan.sample_size;
    float *real = malloc((size_t)BATCH * sample * sizeof *real);
    double *ms = malloc((size_t)(rule->max_steps + rule->min_steps) * sizeof *ms);
    if (!real || !ms)
        die("out of memory", NULL);
    gt_rng rng;
    gt_rng_seed(&rng, 4);
    gt_rng_fill_uniform(&rng, real, (size_t)BATCH * sample, -1.0f, 1.0f);

    gt_gan_stats st;
    memset(&st, 0, sizeof st);
    int bad = 0;
    double load_before = bench_load1();
    for (int i = 0; i < rule->warmup; i++)
        bad += gt_gan_step(&gan, real, NULL, NULL, BATCH, &st) != GT_OK;
    int steps = 0;
    bench_cpu_mark m0 = bench_cpu_mark_now();
    double t0 = bench_now();
    for (;;) {
        double elapsed = bench_now() - t0;
        if (steps >= rule->min_steps && (elapsed >= rule->min_time || steps >= rule->max_steps))
            break;
        double a = bench_now();
        bad += gt_gan_step(&gan, real, NULL, NULL, BATCH, &st) != GT_OK;
        ms[steps++] = 1e3 * (bench_now() - a);
    }
    double total = bench_now() - t0;
    bench_cpu_mark m1 = bench_cpu_mark_now();
    double mn = ms[0], mx = ms[0], sum = 0;
    for (int i = 0; i < steps; i++) {
        mn = ms[i] < mn ? ms[i] : mn;
        mx = ms[i] > mx ? ms[i] : mx;
        sum += ms[i];
    }
    double med = bench_median(ms, steps);
    double flops = step_flops(&p);
    printf("{\"kind\":\"result\",\"impl\":\"gantry\",\"config\":\"%s\",\"threads\":%d,"
           "\"batch\":%d,\"warmup\":%d,\"steps\":%d,\"total_s\":%.3f,\"median_ms\":%.3f,"
           "\"min_ms\":%.3f,\"max_ms\":%.3f,\"mean_ms\":%.3f,\"step_flops\":%.6g,"
           "\"gflops\":%.3f,\"loss_d\":%.6g,\"loss_g\":%.6g,\"failed_steps\":%d,"
           "\"load_before\":%.2f,\"load_after\":%.2f,\"self_cpus\":%.2f,"
           "\"others_cpus\":%.2f,\"steal_cpus\":%.2f}\n",
           c->name, threads, BATCH, rule->warmup, steps, total, med, mn, mx, sum / steps, flops,
           flops / (med * 1e-3) / 1e9, st.loss_d, st.loss_g, bad, load_before, bench_load1(),
           bench_self_cpus(m0, m1), bench_others_cpus(m0, m1), bench_steal_cpus(m0, m1));
    fflush(stdout);
    fprintf(stderr,
            "gantry  %-16s threads %d: %8.2f ms/step (median of %d; other processes used "
            "%.2f CPUs)%s\n",
            c->name, threads, med, steps, bench_others_cpus(m0, m1),
            bad ? "  [non-finite steps!]" : "");
    free(ms);
    free(real);
    gt_gan_free(&gan);
    pair_free(&p);
    return bad ? 1 : 0;
}

/* --- parity dump --------------------------------------------------------- */

/* Arrays collected for the dump: name, data (owned), count. */
typedef struct dump_array {
    char name[32];
    float *data;
    size_t n;
} dump_array;

typedef struct dump_case {
    char name[32];
    int batch, nz, nclasses;
    const char *gsrc, *dsrc; /* the specs as written */
    char gspec[SPEC_CAP], dspec[SPEC_CAP]; /* canonical (gt_model_spec) */
    gt_gan_stats st;
    int rc;
    dump_array arr[16];
    int narr;
} dump_case;

static void dump_add(dump_case *dc, const char *name, const float *src, size_t n)
{
    if (dc->narr == (int)(sizeof dc->arr / sizeof dc->arr[0]))
        die("too many dump arrays", NULL);
    dump_array *a = &dc->arr[dc->narr++];
    snprintf(a->name, sizeof a->name, "%s", name);
    a->data = malloc((n ? n : 1) * sizeof(float));
    if (!a->data)
        die("out of memory", NULL);
    if (n)
        memcpy(a->data, src, n * sizeof(float));
    a->n = n;
}

/* Initial parameters and buffers, a latent batch and a real batch, G's and
 * D's training-mode forward outputs, then one gt_gan_step on them: the
 * losses, both models' gradients and the updated parameters. */
static void dump_run(dump_case *dc)
{
    pair p;
    pair_from_specs(&p, dc->gsrc, dc->dsrc, dc->batch);
    memcpy(dc->gspec, p.gspec, sizeof dc->gspec);
    memcpy(dc->dspec, p.dspec, sizeof dc->dspec);
    gt_error err;
    gt_gan_cfg gcfg = gt_gan_cfg_default();
    gt_gan gan;
    if (gt_gan_init(&gan, p.g, p.d, &gcfg, 3, &err) < 0)
        die("gan", &err);
    int n = dc->batch;
    size_t sample = gan.sample_size;
    dc->nz = gan.nz;
    dc->nclasses = gt_model_nclasses(p.g);
    float *z = malloc((size_t)n * gan.nz * sizeof *z);
    float *real = malloc((size_t)n * sample * sizeof *real);
    float *fake = malloc((size_t)n * sample * sizeof *fake);
    float *logit = malloc((size_t)n * sizeof *logit);
    int *labels = malloc((size_t)n * sizeof *labels);
    float *flabels = malloc((size_t)n * sizeof *flabels);
    if (!z || !real || !fake || !logit || !labels || !flabels)
        die("out of memory", NULL);
    gt_rng rng;
    gt_rng_seed(&rng, 6);
    gt_rng_fill_normal(&rng, z, (size_t)n * gan.nz, 0.0f, 1.0f);
    gt_rng_fill_uniform(&rng, real, (size_t)n * sample, -1.0f, 1.0f);
    for (int i = 0; i < n; i++) {
        labels[i] = dc->nclasses ? (int)gt_rng_below(&rng, (uint32_t)dc->nclasses) : 0;
        flabels[i] = (float)labels[i];
    }
    const int *lab = dc->nclasses ? labels : NULL;

    dump_add(dc, "g_params0", gt_model_params(p.g), gt_model_nparams(p.g));
    dump_add(dc, "d_params0", gt_model_params(p.d), gt_model_nparams(p.d));
    dump_add(dc, "g_buffers0", gt_model_buffers(p.g), gt_model_nbuffers(p.g));
    dump_add(dc, "d_buffers0", gt_model_buffers(p.d), gt_model_nbuffers(p.d));
    dump_add(dc, "z", z, (size_t)n * gan.nz);
    dump_add(dc, "real", real, (size_t)n * sample);
    dump_add(dc, "labels", flabels, dc->nclasses ? (size_t)n : 0);
    if (gt_model_forward(p.g, z, lab, n, 1, fake) < 0 ||
        gt_model_forward(p.d, real, lab, n, 1, logit) < 0)
        die("forward", NULL);
    dump_add(dc, "fake", fake, (size_t)n * sample);
    dump_add(dc, "d_real_logits", logit, (size_t)n);
    memset(&dc->st, 0, sizeof dc->st);
    dc->rc = gt_gan_step(&gan, real, lab, z, n, &dc->st);
    dump_add(dc, "d_grads", gt_model_grads(p.d), gt_model_nparams(p.d));
    dump_add(dc, "g_grads", gt_model_grads(p.g), gt_model_nparams(p.g));
    dump_add(dc, "d_params1", gt_model_params(p.d), gt_model_nparams(p.d));
    dump_add(dc, "g_params1", gt_model_params(p.g), gt_model_nparams(p.g));
    dump_add(dc, "d_buffers1", gt_model_buffers(p.d), gt_model_nbuffers(p.d));
    dump_add(dc, "g_buffers1", gt_model_buffers(p.g), gt_model_nbuffers(p.g));
    free(z);
    free(real);
    free(fake);
    free(logit);
    free(labels);
    free(flabels);
    gt_gan_free(&gan);
    pair_free(&p);
}

/*
 * File: one line of JSON (the header: cases, specs, stats and where each
 * array lies), then the arrays as little-endian float32, back to back;
 * "offset" counts floats from the end of the header line.
 */
static void dump_check(const char *path)
{
    /* Every layer kind but dropout (whose random mask cannot be matched),
     * 1D and 2D, class labels (one-hot and embedded), spectral norm, bn
     * options, non-square kernels; then two benchmarked architectures. */
    static const char *const custom1d_g =
        "input 16 classes 3\nlabel embed 4\ndense 64\nbn momentum 0.2 eps 0.001\nrelu\n"
        "reshape 4x16\nupsample 2\nconv 8 k3 p1\nbn\nlrelu 0.1\nconvt 2 k4 s2 p1\ntanh\n";
    static const char *const custom1d_d =
        "input 2x64 classes 3\nlabel onehot\nconv 8 k4 s2 p1 sn\nlrelu\n"
        "conv 8 k4 s2 p1\nbn noaffine\nsigmoid\nflatten\ndense 16 sn\ntanh\ndense 1\n";
    static const char *const custom2d_g =
        "input 16 classes 3\nlabel onehot\ndense 128\nreshape 8x4x4\nupsample 2x2\n"
        "conv 4 k3x3 p1x1\nbn\nrelu\nconvt 3 k4x4 s2x2 p1x1 nobias\ntanh\n";
    static const char *const custom2d_d =
        "input 3x16x16 classes 3\nlabel embed 2\nconv 8 k3x3 s2x2 p1x1 sn\nlrelu 0.2\n"
        "conv 8 k4x2 s2x1 p1x0\nbn\nlrelu\nflatten\ndense 1 sn\n";
    static char specs[4][2][SPEC_CAP];
    const gt_preset_cfg presets[2] = {gt_preset_default(1, 256, 3), gt_preset_default(2, 32, 3)};
    gt_error err;
    for (int i = 0; i < 2; i++)
        if (gt_preset_dcgan(&presets[i], specs[i][0], SPEC_CAP, specs[i][1], SPEC_CAP, &err) < 0)
            die("preset", &err);
    gt_preset_cfg s1 = gt_preset_default(1, 16, 2);
    s1.nz = 8;
    s1.width = 4;
    s1.max_width = 16;
    s1.nclasses = 3;
    s1.spectral = 1;
    gt_preset_cfg s2 = gt_preset_default(2, 16, 3);
    s2.nz = 8;
    s2.width = 4;
    s2.max_width = 16;
    if (gt_preset_dcgan(&s1, specs[2][0], SPEC_CAP, specs[2][1], SPEC_CAP, &err) < 0 ||
        gt_preset_dcgan(&s2, specs[3][0], SPEC_CAP, specs[3][1], SPEC_CAP, &err) < 0)
        die("preset", &err);
    const struct {
        const char *name, *g, *d;
        int batch;
    } list[] = {
        {"custom1d", custom1d_g, custom1d_d, 8},
        {"custom2d", custom2d_g, custom2d_d, 8},
        {"small1d-16x2-sn-cond", specs[2][0], specs[2][1], 8},
        {"small2d-16x16x3", specs[3][0], specs[3][1], 8},
        {"dcgan1d-256x3", specs[0][0], specs[0][1], 16},
        {"dcgan2d-32x32x3", specs[1][0], specs[1][1], 16},
    };
    enum { NCASES = sizeof list / sizeof list[0] };
    static dump_case cases[NCASES];
    int nc = 0;
    for (; nc < NCASES; nc++) {
        dump_case *dc = &cases[nc];
        memset(dc, 0, sizeof *dc);
        snprintf(dc->name, sizeof dc->name, "%s", list[nc].name);
        dc->gsrc = list[nc].g;
        dc->dsrc = list[nc].d;
        dc->batch = list[nc].batch;
        dump_run(dc);
        fprintf(stderr, "dump-check %s: step rc %d, loss_d %.6f, loss_g %.6f\n", dc->name,
                dc->rc, dc->st.loss_d, dc->st.loss_g);
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "bench_train: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    size_t off = 0;
    fputs("{\"format\":\"gantry-bench-check\",\"version\":1,\"dtype\":\"float32le\",\"cases\":[",
          f);
    for (int i = 0; i < nc; i++) {
        dump_case *dc = &cases[i];
        const gt_gan_cfg gcfg = gt_gan_cfg_default();
        fprintf(f, "%s{\"name\":\"%s\",\"batch\":%d,\"nz\":%d,\"nclasses\":%d,\"rc\":%d,",
                i ? "," : "", dc->name, dc->batch, dc->nz, dc->nclasses, dc->rc);
        fprintf(f, "\"lr\":%.9g,\"beta1\":%.9g,\"beta2\":%.9g,\"eps\":%.9g,",
                (double)gcfg.d_opt.lr, (double)gcfg.d_opt.beta1, (double)gcfg.d_opt.beta2,
                (double)gcfg.d_opt.eps);
        fprintf(f, "\"stats\":{\"loss_d\":%.9g,\"loss_d_real\":%.9g,\"loss_d_fake\":%.9g,"
                   "\"loss_g\":%.9g,\"d_real\":%.9g,\"d_fake\":%.9g},",
                dc->st.loss_d, dc->st.loss_d_real, dc->st.loss_d_fake, dc->st.loss_g,
                dc->st.d_real, dc->st.d_fake);
        fputs("\"g_spec\":", f);
        bench_put_json_str(f, dc->gspec);
        fputs(",\"d_spec\":", f);
        bench_put_json_str(f, dc->dspec);
        fputs(",\"arrays\":{", f);
        for (int k = 0; k < dc->narr; k++) {
            fprintf(f, "%s\"%s\":[%zu,%zu]", k ? "," : "", dc->arr[k].name, off, dc->arr[k].n);
            off += dc->arr[k].n;
        }
        fputs("}}", f);
    }
    fputs("]}\n", f);
    int ok = 1;
    for (int i = 0; i < nc; i++)
        for (int k = 0; k < cases[i].narr; k++) {
            dump_array *a = &cases[i].arr[k];
            /* little-endian hosts only (x86-64, arm64): raw floats */
            ok &= fwrite(a->data, sizeof(float), a->n, f) == a->n;
            free(a->data);
        }
    if (fclose(f) != 0 || !ok) {
        fprintf(stderr, "bench_train: error writing %s\n", path);
        exit(1);
    }
    fprintf(stderr, "dump-check: wrote %s (%zu floats)\n", path, off);
}

/* --- main ---------------------------------------------------------------- */

static void usage(void)
{
    fputs("usage: bench_train [--threads N] [--quick] [--only CONFIG] [--no-peak | --peak-only]\n"
          "       bench_train --print-specs | --list\n"
          "       bench_train --dump-check FILE\n"
          "configs:",
          stderr);
    for (int i = 0; i < NCONFIGS; i++)
        fprintf(stderr, " %s", configs[i].name);
    fputc('\n', stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    int threads = 1, quick = 0, print_specs = 0, peak = 1, peak_only = 0;
    const char *only = NULL, *dump = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
            if ((threads = bench_parse_threads(argv[++i])) < 0)
                usage();
        } else if (strcmp(a, "--quick") == 0) {
            quick = 1;
        } else if (strcmp(a, "--print-specs") == 0) {
            print_specs = 1;
        } else if (strcmp(a, "--no-peak") == 0) {
            peak = 0;
        } else if (strcmp(a, "--peak-only") == 0) {
            peak_only = 1;
        } else if (strcmp(a, "--list") == 0) {
            for (int k = 0; k < NCONFIGS; k++)
                printf("%s\n", configs[k].name);
            return 0;
        } else if (strcmp(a, "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(a, "--dump-check") == 0 && i + 1 < argc) {
            dump = argv[++i];
        } else {
            usage();
        }
    }
    gt_threads_set(threads);
    if (dump) {
        dump_check(dump);
        return 0;
    }
    int found = 0, bad = 0;
    if ((peak || peak_only) && !print_specs && bench_sgemm_peak(threads, 2048, quick ? 2 : 5) < 0)
        die("out of memory", NULL);
    if (peak_only)
        return 0;
    for (int i = 0; i < NCONFIGS; i++) {
        const bench_cfg *c = &configs[i];
        if (only && strcmp(only, c->name) != 0)
            continue;
        found++;
        if (print_specs) {
            gt_preset_cfg pc = gt_preset_default(c->dims, c->size, c->channels);
            pair p;
            pair_build(&p, &pc, BATCH);
            print_spec(c, &pc, &p);
            pair_free(&p);
        } else {
            bad += bench_config(c, quick ? &rule_quick : &rule_full, threads);
        }
    }
    if (!found)
        usage();
    return bad ? 1 : 0;
}
