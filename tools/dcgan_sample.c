/* gantry dcgan sample: images from a trained image GAN, as a PNG grid or
 * an image store. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "dcgan_tool.h"

static const char help[] =
    "usage: gantry dcgan sample MODEL.h5 -n COUNT -o GRID.png | -o OUT.h5 [options]\n"
    "\n"
    "Images from a trained image GAN: a PNG grid to look at, or an image store\n"
    "(classes kept) to train a classifier on (gantry classify train ... --extra).\n"
    "\n"
    "  -n, --count N          images per class (default 64)\n"
    "  -o, --output FILE      .png: a grid; .h5: an image store\n"
    "  --class NAME           only this class (conditional models; default: every\n"
    "                         class, one block of rows each)\n"
    "  --cols N               grid columns (default 8)\n"
    "  --seed N               latent draws (default 1)\n"
    "  --threads N            threads (default: all cores; the same seed and thread\n"
    "                         count give the same images)\n"
    "  --force                overwrite an existing output\n";

int dcgan_sample(int argc, char **argv)
{
    static const struct option opts[] = {{"count", required_argument, NULL, 'n'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"class", required_argument, NULL, 'c'},
                                         {"cols", required_argument, NULL, 'C'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"force", no_argument, NULL, 'f'},
                                         {"threads", required_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int count = 64, cols = 8, seed = 1, force = 0, threads = 0, c;
    const char *out = NULL, *cname = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': if (tool_int("--count", optarg, 1, 1 << 24, &count)) return 2; break;
        case 'o': out = optarg; break;
        case 'c': cname = optarg; break;
        case 'C': if (tool_int("--cols", optarg, 1, 1024, &cols)) return 2; break;
        case 's': if (tool_int("--seed", optarg, 0, 2147483647, &seed)) return 2; break;
        case 'f': force = 1; break;
        case 'T': if (tool_int("--threads", optarg, 1, 1024, &threads)) return 2; break;
        case 'h': fputs(help, stdout); return 0;
        default: fputs(help, stderr); return 2;
        }
    }
    if (optind + 1 != argc || !out)
        return tool_fail("need one MODEL.h5 and -o GRID.png or OUT.h5 (see --help)"), 2;
    int png = tool_ends_with(out, ".png");
    if (!png && !tool_ends_with(out, ".h5"))
        return tool_fail("-o must end in .png (a grid) or .h5 (an image store), not %s", out), 2;
    if (!force && path_exists(out))
        return tool_fail("%s exists; not overwriting it (use --force)", out);
    gt_threads_set(threads);
    gt_error err = {0};
    gt_tsgan *t = NULL;
    if (gt_tsgan_load(&t, argv[optind], &err) < 0)
        return tool_fail_err(&err);
    int rc = 1;
    uint8_t *pix = NULL;
    gt_imageset *s = NULL;
    gt_store *st = NULL;
    if (t->cfg.dims != 2) {
        tool_fail("%s is a time-series GAN; use gantry synth", argv[optind]);
        goto out;
    }
    int k0 = 0, K = t->cfg.nclasses ? t->cfg.nclasses : 1;
    if (cname) {
        int k = model_class(t, argv[optind], cname);
        if (k < 0)
            goto out;
        k0 = k;
        K = 1;
    }
    size_t sz = gt_tsgan_sample_size(&t->cfg), n = (size_t)K * (size_t)count;
    pix = malloc(n * sz);
    if (!pix) {
        tool_fail("out of memory");
        goto out;
    }
    gt_rng rng;
    gt_rng_seed(&rng, (uint64_t)seed * 31 + 17);
    for (int k = 0; k < K; k++)
        if (dcgan_generate(t, k0 + k, (size_t)count, &rng, pix + (size_t)k * count * sz) < 0) {
            tool_fail("generating images failed");
            goto out;
        }
    if (png) {
        if (write_grid(pix, n, t->cfg.nch, t->cfg.window, cols, out))
            goto out;
    } else {
        char **names = NULL;
        int nn = 0;
        s = gt_imageset_new(t->cfg.window, t->cfg.nch, "crop");
        if (!s || gt_names_split(t->classes, &names, &nn) < 0) {
            tool_fail("out of memory");
            goto out;
        }
        for (int k = 0; k < K && !err.code; k++) {
            const char *name = t->cfg.nclasses ? names[k0 + k] : "";
            int ci = gt_imageset_class(s, name);
            for (int i = 0; i < count; i++) {
                char file[300];
                snprintf(file, sizeof file, "synth_%s%s%06d", name, *name ? "_" : "", i);
                int fi = gt_imageset_file(s, file);
                if (ci < -1 || fi < 0 ||
                    gt_imageset_append(s, pix + ((size_t)k * count + i) * sz, ci, fi, 0, 0, NULL,
                                       &err) < 0) {
                    if (!err.code)
                        gt_error_set(&err, GT_ENOMEM, "out of memory");
                    break;
                }
            }
        }
        gt_names_free(names, nn);
        free(s->source);
        s->source = strdup(argv[optind]);
        if (err.code || !s->source || gt_store_create(&st, out, &err) < 0 ||
            gt_store_add_images(st, s, &err) < 0) {
            tool_fail_err(&err);
            gt_store_abort(st);
            goto out;
        }
        if (gt_store_commit(st, &err) < 0) {
            tool_fail_err(&err);
            goto out;
        }
    }
    printf("%zu images of %d x %d x %d%s%s -> %s\n", n, t->cfg.nch, t->cfg.window, t->cfg.window,
           cname ? ", class " : "", cname ? cname : "", out);
    rc = 0;
out:
    free(pix);
    gt_imageset_free(s);
    gt_tsgan_free(t);
    return rc;
}
