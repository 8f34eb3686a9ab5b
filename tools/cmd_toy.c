/* gantry toy: train the 1D GAN on a two-tone signal and check what it
 * learned.  The engine's end-to-end demonstration, and the quickest way to
 * see that a build works. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "svg.h"
#include "tool.h"

static const char help[] =
    "usage: gantry toy [-o DIR] [OPTIONS]\n"
    "\n"
    "Train the 1D DCGAN preset on windows of two sine tones with random phases\n"
    "(4 and 11 cycles per 64 samples, scaled with the window), then generate\n"
    "windows and check that their power spectra peak at the two tones.\n"
    "\n"
    "  -o, --output DIR  where to write results (default gantry-toy)\n"
    "  --steps N         training steps (default 2000)\n"
    "  --window N        window length, a power of two >= 16 (default 64)\n"
    "  --batch N         batch size (default 32)\n"
    "  --loss NAME       bce (default), wgan or hinge (hinge adds spectral norm)\n"
    "  --seed N          random seed (default 1)\n"
    "  --threads N       threads (default: all cores); same seed and threads,\n"
    "                    same model\n"
    "  --force           overwrite existing result files\n"
    "  --progress        show progress even when stderr is not a terminal\n"
    "  --quiet           no progress\n"
    "  -h, --help        this help\n"
    "\n"
    "Writes DIR/model.h5 (generator, discriminator, optimiser state, history),\n"
    "DIR/spectrum.csv, DIR/samples.csv and DIR/toy.svg (spectra and samples).\n"
    "Exit status 0 when the generated spectra peak at the tones, 3 when not.\n";

typedef struct toy_opts {
    const char *dir;
    int steps, window, batch, threads, force, progress;
    uint64_t seed;
    gt_gan_loss loss;
} toy_opts;

static int parse(toy_opts *o, int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"steps", required_argument, NULL, 's'},
        {"window", required_argument, NULL, 'w'}, {"batch", required_argument, NULL, 'b'},
        {"loss", required_argument, NULL, 'l'},   {"seed", required_argument, NULL, 'S'},
        {"threads", required_argument, NULL, 't'}, {"force", no_argument, NULL, 'f'},
        {"progress", no_argument, NULL, 'P'},     {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    *o = (toy_opts){.dir = "gantry-toy", .steps = 2000, .window = 64, .batch = 32,
                    .seed = 1, .progress = -1, .loss = GT_GAN_BCE};
    int c, v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': o->dir = optarg; break;
        case 's': if (tool_int("--steps", optarg, 1, 100000000, &o->steps)) return 2; break;
        case 'w': if (tool_int("--window", optarg, 16, 65536, &o->window)) return 2; break;
        case 'b': if (tool_int("--batch", optarg, 2, 65536, &o->batch)) return 2; break;
        case 'l':
            if (gt_gan_loss_parse(optarg, &o->loss) < 0)
                return tool_fail("--loss must be bce, wgan or hinge, not '%s'", optarg), 2;
            break;
        case 'S': if (tool_int("--seed", optarg, 0, 2147483647, &v)) return 2; o->seed = (uint64_t)v; break;
        case 't': if (tool_int("--threads", optarg, 1, 1024, &o->threads)) return 2; break;
        case 'f': o->force = 1; break;
        case 'P': o->progress = 1; break;
        case 'q': o->progress = 0; break;
        case 'h': fputs(help, stdout); return -1;
        default: fputs(help, stderr); return 2;
        }
    }
    if (optind < argc)
        return tool_fail("unexpected argument '%s'", argv[optind]), 2;
    if (o->window & (o->window - 1))
        return tool_fail("--window must be a power of two, not %d", o->window), 2;
    return 0;
}

typedef struct history {
    float *loss_d, *loss_g, *d_real, *d_fake;
} history;

static int save_model(const toy_opts *o, const char *path, gt_gan *gan, const history *h,
                      int steps)
{
    gt_error err = {0};
    gt_h5 *f = NULL;
    size_t dims[1] = {(size_t)steps};
    int rc = gt_h5_create(&f, path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR, GT_MODEL_FORMAT_MINOR,
                          &err);
    if (rc == GT_OK) rc = gt_h5_write_model(f, "generator", gan->g, 1, &err);
    if (rc == GT_OK) rc = gt_h5_write_model(f, "discriminator", gan->d, 1, &err);
    if (rc == GT_OK) rc = gt_h5_write_attr_str(f, "/", "kind", "gan", &err);
    if (rc == GT_OK) rc = gt_h5_write_attr_str(f, "/", "loss", gt_gan_loss_name(o->loss), &err);
    if (rc == GT_OK) rc = gt_h5_write_attr_double(f, "/", "steps", steps, &err);
    if (rc == GT_OK) rc = gt_h5_write_attr_double(f, "/", "seed", (double)o->seed, &err);
    if (rc == GT_OK) rc = gt_h5_write_floats(f, "history/loss_d", h->loss_d, 1, dims, &err);
    if (rc == GT_OK) rc = gt_h5_write_floats(f, "history/loss_g", h->loss_g, 1, dims, &err);
    if (rc == GT_OK) rc = gt_h5_write_floats(f, "history/d_real", h->d_real, 1, dims, &err);
    if (rc == GT_OK) rc = gt_h5_write_floats(f, "history/d_fake", h->d_fake, 1, dims, &err);
    if (rc < 0) {
        if (f)
            gt_h5_abort(f);
        return tool_fail_err(&err);
    }
    if (gt_h5_commit(f, &err) < 0)
        return tool_fail_err(&err);
    return 0;
}

static int write_results(const toy_opts *o, const float *real, const float *fake, int n,
                         const float *psd_real, const float *psd_fake, int nb)
{
    char path[4096];
    tool_out out;
    snprintf(path, sizeof path, "%s/spectrum.csv", o->dir);
    if (out_open(&out, path, o->force))
        return 1;
    fprintf(out.f, "cycles_per_window,real_power,generated_power\n");
    for (int k = 0; k < nb; k++)
        fprintf(out.f, "%d,%.6g,%.6g\n", k, psd_real[k], psd_fake[k]);
    if (out_commit(&out))
        return 1;

    snprintf(path, sizeof path, "%s/samples.csv", o->dir);
    if (out_open(&out, path, o->force))
        return 1;
    fprintf(out.f, "kind,index");
    for (int t = 0; t < o->window; t++)
        fprintf(out.f, ",t%d", t);
    fputc('\n', out.f);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            const float *row = (k ? fake : real) + (size_t)i * o->window;
            fprintf(out.f, "%s,%d", k ? "generated" : "real", i);
            for (int t = 0; t < o->window; t++)
                fprintf(out.f, ",%.6g", row[t]);
            fputc('\n', out.f);
        }
    if (out_commit(&out))
        return 1;

    snprintf(path, sizeof path, "%s/toy.svg", o->dir);
    if (out_open(&out, path, o->force))
        return 1;
    svg_begin(out.f, 900, 560);
    /* Bin 0 (the removed mean) would squash the log axis: start at 1. */
    svg_series spec[2] = {{"real", "#1f77b4", psd_real + 1, nb - 1},
                          {"generated", "#d62728", psd_fake + 1, nb - 1}};
    svg_panel(out.f, 0, 0, 900, 280, "Mean power spectrum (log scale)", "cycles per window", spec,
              2, 1, 1.0, 1.0);
    svg_series wave[4] = {{"real", "#1f77b4", real, o->window},
                          {"", "#6baed6", real + o->window, o->window},
                          {"generated", "#d62728", fake, o->window},
                          {"", "#fc9272", fake + o->window, o->window}};
    svg_panel(out.f, 0, 280, 900, 280, "Sample windows", "sample", wave, 4, 0, 0.0, 1.0);
    svg_end(out.f);
    return out_commit(&out);
}

int cmd_toy(int argc, char **argv)
{
    toy_opts o;
    int rc = parse(&o, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    gt_threads_set(o.threads);

    char model_path[4096];
    snprintf(model_path, sizeof model_path, "%s/model.h5", o.dir);
    if (mkdir(o.dir, 0777) != 0 && errno != EEXIST)
        return tool_fail("cannot create %s: %s", o.dir, strerror(errno));
    /* Refuse before training, not after: nothing is overwritten unasked. */
    static const char *const outputs[] = {"model.h5", "spectrum.csv", "samples.csv", "toy.svg"};
    for (size_t i = 0; !o.force && i < sizeof outputs / sizeof outputs[0]; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", o.dir, outputs[i]);
        if (path_exists(p))
            return tool_fail("%s exists; not overwriting it (use --force)", p);
    }

    /* Tones at 4 and 11 cycles per 64 samples, scaled with the window. */
    float cycles[2] = {4.0f * o.window / 64, 11.0f * o.window / 64}, amps[2] = {0.6f, 0.3f};
    gt_preset_cfg pc = gt_preset_default(1, o.window, 1);
    pc.nz = 32;
    pc.max_width = 128;
    pc.spectral = o.loss == GT_GAN_HINGE;
    char gspec[8192], dspec[8192];
    gt_error err = {0};
    gt_model *g = NULL, *d = NULL;
    gt_gan gan;
    memset(&gan, 0, sizeof gan);
    history h = {0};
    float *real = NULL, *fake = NULL, *psd_real = NULL, *psd_fake = NULL;
    const int nsamples = 512, nb = o.window / 2 + 1;
    rc = 1;
    if (gt_preset_dcgan(&pc, gspec, sizeof gspec, dspec, sizeof dspec, &err) < 0 ||
        gt_model_parse(&g, gspec, &err) < 0 || gt_model_finalize(g, o.batch, &err) < 0 ||
        gt_model_parse(&d, dspec, &err) < 0 || gt_model_finalize(d, o.batch, &err) < 0) {
        tool_fail_err(&err);
        goto out;
    }
    gt_model_init(g, GT_INIT_DCGAN, o.seed * 3 + 1);
    gt_model_init(d, GT_INIT_DCGAN, o.seed * 3 + 2);
    gt_gan_cfg cfg = gt_gan_cfg_default();
    cfg.loss = o.loss;
    if (gt_gan_init(&gan, g, d, &cfg, o.seed * 3 + 3, &err) < 0) {
        tool_fail_err(&err);
        goto out;
    }
    h.loss_d = calloc((size_t)o.steps, sizeof(float));
    h.loss_g = calloc((size_t)o.steps, sizeof(float));
    h.d_real = calloc((size_t)o.steps, sizeof(float));
    h.d_fake = calloc((size_t)o.steps, sizeof(float));
    real = calloc((size_t)nsamples * o.window, sizeof(float));
    fake = calloc((size_t)nsamples * o.window, sizeof(float));
    psd_real = calloc((size_t)nb, sizeof(float));
    psd_fake = calloc((size_t)nb, sizeof(float));
    if (!h.loss_d || !h.loss_g || !h.d_real || !h.d_fake || !real || !fake || !psd_real ||
        !psd_fake) {
        tool_fail("out of memory");
        goto out;
    }

    fprintf(stderr, "%s: training the 1D DCGAN (window %d, %zu + %zu parameters, loss %s, threads %d)\n",
            tool_name, o.window, gt_model_nparams(g), gt_model_nparams(d),
            gt_gan_loss_name(o.loss), gt_threads_get());
    gt_rng data_rng;
    gt_rng_seed(&data_rng, o.seed * 3 + 4);
    tool_progress prog;
    progress_start(&prog, o.steps, o.progress);
    for (int s = 0; s < o.steps; s++) {
        gt_sim_tones(real, o.batch, o.window, cycles, amps, 2, 0.05f, &data_rng);
        gt_gan_stats st;
        if (gt_gan_step(&gan, real, NULL, NULL, o.batch, &st) < 0) {
            progress_end(&prog);
            tool_fail("training diverged at step %d (a loss or gradient is not finite); nothing written",
                      s + 1);
            goto out;
        }
        h.loss_d[s] = (float)st.loss_d;
        h.loss_g[s] = (float)st.loss_g;
        h.d_real[s] = (float)st.d_real;
        h.d_fake[s] = (float)st.d_fake;
        char what[160];
        snprintf(what, sizeof what, "D %.3f  G %.3f  D(x) %.2f  D(G(z)) %.2f", st.loss_d,
                 st.loss_g, st.d_real, st.d_fake);
        progress_update(&prog, s + 1, what);
    }
    progress_end(&prog);

    /* What did it learn?  Compare mean power spectra of fresh real windows
     * and generated ones. */
    gt_sim_tones(real, nsamples, o.window, cycles, amps, 2, 0.05f, &data_rng);
    for (int i = 0; i < nsamples; i += o.batch) {
        int n = nsamples - i < o.batch ? nsamples - i : o.batch;
        gt_gan_generate(&gan, NULL, NULL, n, fake + (size_t)i * o.window);
    }
    if (gt_power_spectrum_mean(psd_real, real, nsamples, o.window, &err) < 0 ||
        gt_power_spectrum_mean(psd_fake, fake, nsamples, o.window, &err) < 0) {
        tool_fail_err(&err);
        goto out;
    }
    int pr[2] = {0, 0}, pf[2] = {0, 0};
    gt_spectrum_peaks(psd_real, nb, 2, pr);
    int found = gt_spectrum_peaks(psd_fake, nb, 2, pf);
    int ok = found == 2 && ((pf[0] == pr[0] && pf[1] == pr[1]) ||
                            (pf[0] == pr[1] && pf[1] == pr[0]));
    if (save_model(&o, model_path, &gan, &h, o.steps) ||
        write_results(&o, real, fake, nsamples, psd_real, psd_fake, nb))
        goto out;
    printf("tones at %g and %g cycles per window; real spectra peak at %d and %d\n", cycles[0],
           cycles[1], pr[0], pr[1]);
    printf("generated spectra peak at %d and %d: %s\n", pf[0], pf[1],
           ok ? "the generator learned both tones" : "NOT learned (try more --steps)");
    printf("results in %s/: model.h5, spectrum.csv, samples.csv, toy.svg\n", o.dir);
    rc = ok ? 0 : 3;
out:
    gt_gan_free(&gan);
    gt_model_free(g);
    gt_model_free(d);
    free(h.loss_d);
    free(h.loss_g);
    free(h.d_real);
    free(h.d_fake);
    free(real);
    free(fake);
    free(psd_real);
    free(psd_fake);
    return rc;
}
