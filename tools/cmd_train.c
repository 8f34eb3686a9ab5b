/* gantry train: the time-series GAN and its encoder on a store's windows. */
#include <stdlib.h>
#include <string.h>

#include "tsgan_tool.h"

static const char help_head[] =
    "usage: gantry train STORE.h5 -o MODEL.h5 [OPTIONS]\n"
    "\n"
    "Train a 1D DCGAN (generator and critic) on windows of the store's channels,\n"
    "then an encoder that maps windows back to the latent space (f-AnoGAN), and\n"
    "calibrate the anomaly score on the training data.  Conditional on the\n"
    "recordings' classes when they have two or more (normal and each fault).\n"
    "\n"
    "  -o, --output MODEL.h5  the model (checkpointed while training; written\n"
    "                         under a temporary name and renamed)\n"
    "  -h, --help             this help\n";

static const char help_tail[] =
    "\n"
    "The model holds G, D and E with their optimiser state, the configuration,\n"
    "channels, units, rate, classes, normalisation statistics, score calibration\n"
    "and the history of every step (history/loss_d, loss_g, d_real, d_fake,\n"
    "loss_e).  Training that diverges (a loss or gradient not finite, or a\n"
    "discriminator that wins outright for 200 steps) stops with exit status 4\n"
    "and writes nothing; the last checkpoint stays as it was.\n";

int cmd_train(int argc, char **argv)
{
    train_opts o;
    train_opts_default(&o);
    const char *out = NULL;
    static const struct option mine[] = {{"output", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct option opts[64];
    merge_long_opts(opts, 64, mine);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'o') {
            out = optarg;
        } else if (c == 'h') {
            fputs(help_head, stdout);
            fputs(train_opts_help, stdout);
            fputs(help_tail, stdout);
            return 0;
        } else {
            int rc = train_opts_set(&o, c, optarg);
            if (rc == 1) {
                fputs(help_head, stderr);
                return 2;
            }
            if (rc)
                return rc;
        }
    }
    if (optind + 1 != argc || !out)
        return tool_fail("need one STORE.h5 and -o MODEL.h5 (see --help)"), 2;
    const char *store = argv[optind];
    int same = o.resume && !strcmp(o.resume, out);
    if (!o.force && !same && path_exists(out))
        return tool_fail("%s exists; not overwriting it (use --force)", out);
    gt_threads_set(o.threads);
    gt_error err = {0};
    gt_store *st = NULL;
    if (gt_store_open(&st, store, &err) < 0)
        return tool_fail_err(&err);
    gt_tsgan *t = NULL;
    double t0 = tool_now();
    int rc = tsgan_fit(&o, st, out, 0, &t);
    gt_store_close(st);
    if (rc)
        return rc;
    if (gt_tsgan_save(t, out, &err) < 0) {
        gt_tsgan_free(t);
        return tool_fail_err(&err);
    }
    size_t h = t->hist.n;
    printf("trained %ld GAN steps and %ld encoder steps in %.1f s; last D loss %.3f, G loss "
           "%.3f, encoder loss %.4f\n",
           t->gan_steps, t->enc_steps, tool_now() - t0, h ? t->hist.loss_d[h - 1] : 0.0,
           h ? t->hist.loss_g[h - 1] : 0.0,
           t->hist.enc_n ? t->hist.loss_e[t->hist.enc_n - 1] : 0.0);
    printf("model: %s (window %d, channels %s%s%s)\n", out, t->cfg.window, t->channels,
           t->cfg.nclasses ? ", classes " : "", t->cfg.nclasses ? t->classes : "");
    gt_tsgan_free(t);
    return 0;
}
