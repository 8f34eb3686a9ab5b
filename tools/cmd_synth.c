/* gantry synth: synthetic windows or long sequences per class from a
 * trained time-series GAN, in the store's units. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "synth_plot.h"
#include "tsgan_tool.h"

static const char help[] =
    "usage: gantry synth MODEL.h5 [--class NAME] -n COUNT -o OUT.h5|OUT.csv [OPTIONS]\n"
    "\n"
    "Generate COUNT synthetic windows (or, with --length, COUNT sequences) of a\n"
    "class from a model made by gantry train, with the normalisation undone:\n"
    "values are in the units of the store it was trained on.\n"
    "\n"
    "  --class NAME      the class (required for a conditional model; the model's\n"
    "                    classes are listed when it is missing or unknown)\n"
    "  -n, --count N     windows or sequences (default 16)\n"
    "  --length N        sequences of N samples, stitched from windows that\n"
    "                    overlap by half with a Hann cross-fade (default: windows)\n"
    "  -o, --output FILE .h5: a gantry store (recording synth_CLASS holding the\n"
    "                    windows back to back, or synth_CLASS_K per sequence),\n"
    "                    with class, rate and units, ready for gantry classify;\n"
    "                    .csv: sequence,time_s,CHANNEL... one row per sample\n"
    "  --as-class NAME   .h5: store the recordings with class NAME instead of\n"
    "                    the model's (e.g. synthetic, so that gantry classify\n"
    "                    learns real against synthetic windows: the\n"
    "                    discriminative score); the name stays synth_CLASS\n"
    "  --plot FILE.svg   a picture: the mean power spectrum of the synthetic\n"
    "                    windows' first channel and a few windows\n"
    "  --compare STORE   with --plot: against the real windows of the class\n"
    "                    (all recordings for an unconditional model) in STORE\n"
    "  --seed N          random seed (default 1)\n"
    "  --threads N       threads (default: all cores; the same seed and thread\n"
    "                    count give the same windows)\n"
    "  --force           overwrite OUT\n"
    "  -h, --help        this help\n";

/* One sequence of len samples (nch, len) channel-major into out. */
static int make_sequence(gt_tsgan *t, int cls, size_t len, gt_rng *rng, float *out, float *win)
{
    const size_t L = (size_t)t->cfg.window, C = (size_t)t->cfg.nch, hop = L / 2;
    if (!len) { /* one window */
        int rc = gt_tsgan_generate(t, NULL, cls, 1, rng, win);
        if (rc == GT_OK)
            for (size_t c = 0; c < C; c++)
                memcpy(out + c * L, win + c * L, L * sizeof(float));
        return rc;
    }
    /* Overlap-add of Hann-weighted windows every L/2 samples; the periodic
     * Hann's shifted copies sum to 1, so the weights are normalised
     * explicitly only at the two ends. */
    double *acc = calloc(C * len, sizeof *acc), *wsum = calloc(len, sizeof *wsum);
    if (!acc || !wsum) {
        free(acc);
        free(wsum);
        return GT_ENOMEM;
    }
    int rc = GT_OK;
    for (size_t start = 0; start < len && rc == GT_OK; start += hop) {
        rc = gt_tsgan_generate(t, NULL, cls, 1, rng, win);
        for (size_t j = 0; j < L && start + j < len; j++) {
            /* The first window's rising half stands alone: weight 1. */
            double w = start == 0 && j < hop
                           ? 1.0
                           : 0.5 - 0.5 * cos(2.0 * 3.14159265358979323846 * (double)j / (double)L);
            wsum[start + j] += w;
            for (size_t c = 0; c < C; c++)
                acc[c * len + start + j] += w * win[c * L + j];
        }
    }
    for (size_t i = 0; i < len; i++)
        for (size_t c = 0; c < C; c++)
            out[c * len + i] = (float)(wsum[i] > 0 ? acc[c * len + i] / wsum[i] : 0.0);
    free(acc);
    free(wsum);
    return rc;
}

int cmd_synth(int argc, char **argv)
{
    static const struct option opts[] = {
        {"class", required_argument, NULL, 'c'}, {"count", required_argument, NULL, 'n'},
        {"length", required_argument, NULL, 'L'}, {"output", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 'S'},  {"force", no_argument, NULL, 'f'},
        {"as-class", required_argument, NULL, 'A'}, {"help", no_argument, NULL, 'h'},
        {"plot", required_argument, NULL, 'P'},  {"compare", required_argument, NULL, 'C'},
        {"threads", required_argument, NULL, 'T'}, {NULL, 0, NULL, 0},
    };
    const char *cls = NULL, *out = NULL, *as_class = NULL, *plot = NULL, *compare = NULL;
    int count = 16, length = 0, seed = 1, force = 0, threads = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': cls = optarg; break;
        case 'n': if (tool_int("--count", optarg, 1, 10000000, &count)) return 2; break;
        case 'L': if (tool_int("--length", optarg, 2, 1 << 30, &length)) return 2; break;
        case 'o': out = optarg; break;
        case 'S': if (tool_int("--seed", optarg, 0, 2147483647, &seed)) return 2; break;
        case 'f': force = 1; break;
        case 'A': as_class = optarg; break;
        case 'P': plot = optarg; break;
        case 'C': compare = optarg; break;
        case 'T': if (tool_int("--threads", optarg, 1, 1024, &threads)) return 2; break;
        case 'h': fputs(help, stdout); return 0;
        default: fputs(help, stderr); return 2;
        }
    }
    if (optind + 1 != argc || !out)
        return tool_fail("need MODEL.h5 and -o OUT.h5|OUT.csv (see --help)"), 2;
    int csv = tool_ends_with(out, ".csv");
    if (!csv && !tool_ends_with(out, ".h5"))
        return tool_fail("-o must end in .h5 or .csv, not '%s'", out), 2;
    if (as_class && csv)
        return tool_fail("--as-class: a .csv output holds no class"), 2;
    if (as_class && (!as_class[0] || strchr(as_class, ',')))
        return tool_fail("--as-class '%s': give a class name, not empty, without commas",
                         as_class),
               2;
    if (compare && !plot)
        return tool_fail("--compare goes with --plot FILE.svg"), 2;
    if (plot && !tool_ends_with(plot, ".svg"))
        return tool_fail("--plot must end in .svg, not '%s'", plot), 2;
    if (!force && path_exists(out))
        return tool_fail("%s exists; not overwriting it (use --force)", out);
    if (plot && !force && path_exists(plot))
        return tool_fail("%s exists; not overwriting it (use --force)", plot);
    gt_threads_set(threads);
    gt_error err = {0};
    gt_tsgan *t = NULL;
    if (gt_tsgan_load(&t, argv[optind], &err) < 0)
        return tool_fail_err(&err);
    int k = 0;
    const char *cname = "";
    if (t->cfg.nclasses) {
        k = gt_names_list_index(t->classes, cls);
        if (k < 0) {
            int rc = tool_fail("%s: the model's classes are %s", cls ? cls : "--class is needed",
                               t->classes);
            gt_tsgan_free(t);
            return rc;
        }
        cname = cls;
    } else if (cls) {
        gt_tsgan_free(t);
        return tool_fail("--class %s: the model is not conditional", cls);
    }
    const size_t C = (size_t)t->cfg.nch, L = (size_t)t->cfg.window;
    size_t seqlen = length ? (size_t)length : L;
    size_t nrec = length ? (size_t)count : 1, per = length ? seqlen : L * (size_t)count;
    char **chan = NULL, **units = NULL;
    int nchan = 0, nunits = 0;
    float *win = malloc(C * L * sizeof *win), *seq = malloc(C * per * sizeof *seq);
    gt_rng rng;
    gt_rng_seed(&rng, (uint64_t)seed * 11 + 5);
    int rc = 0;
    gt_store *st = NULL;
    tool_out co = {0}, po = {0};
    synth_rows syn = {.len = L}, real = {.len = L};
    if (gt_names_split(t->channels, &chan, &nchan) < 0 ||
        gt_names_split(t->units, &units, &nunits) < 0 || !win || !seq) {
        rc = tool_fail("out of memory");
        goto out;
    }
    if (nunits != (int)C) {
        rc = tool_fail("%s: names %d units (%s) for %zu channels", argv[optind], nunits,
                       t->units, C);
        goto out;
    }
    if (csv) {
        if (out_open(&co, out, force)) {
            rc = 1;
            goto out;
        }
        fprintf(co.f, "sequence,time_s");
        for (size_t ch = 0; ch < C; ch++)
            fprintf(co.f, ",%s", chan[ch]);
        fputc('\n', co.f);
    } else if (gt_store_create(&st, out, &err) < 0) {
        rc = tool_fail_err(&err);
        goto out;
    }
    for (size_t r = 0; r < nrec && !rc; r++) {
        /* Fill `per` samples: windows back to back, or one sequence. */
        size_t done = 0;
        while (done < per && !rc) {
            size_t n = length ? seqlen : L;
            float *tmp = length ? seq : malloc(C * L * sizeof *tmp);
            if (!tmp || make_sequence(t, k, length ? seqlen : 0, &rng, tmp, win) < 0) {
                rc = tool_fail("generation failed");
            } else if (!length) {
                for (size_t ch = 0; ch < C; ch++)
                    memcpy(seq + ch * per + done, tmp + ch * L, L * sizeof(float));
            }
            if (!length)
                free(tmp);
            done += n;
        }
        const float *ce, *sc;
        gt_tsgan_norm_row(t, k, &ce, &sc);
        for (size_t ch = 0; ch < C && !rc; ch++)
            gt_norm_undo(seq + ch * per, per, ce[ch], sc[ch]);
        if (!rc && plot)
            rc = synth_rows_add(&syn, seq, per);
        if (rc)
            break;
        char name[256];
        if (length)
            snprintf(name, sizeof name, "synth_%s%s%zu", cname, cname[0] ? "_" : "", r);
        else
            snprintf(name, sizeof name, "synth%s%s", cname[0] ? "_" : "", cname);
        gt_store_sanitize_name(name);
        if (csv) {
            for (size_t i = 0; i < per; i++) {
                fprintf(co.f, "%zu,%.9g", r, t->rate_hz > 0 ? (double)i / t->rate_hz : (double)i);
                for (size_t ch = 0; ch < C; ch++)
                    fprintf(co.f, ",%.7g", seq[ch * per + i]);
                fputc('\n', co.f);
            }
            continue;
        }
        gt_recording *rec = gt_recording_new(name, (int)C, per);
        if (!rec) {
            rc = tool_fail("out of memory");
            break;
        }
        free(rec->cls);
        rec->cls = strdup(as_class ? as_class : cname);
        char src[512];
        snprintf(src, sizeof src, "gantry synth %s seed=%d", argv[optind], seed);
        free(rec->source);
        rec->source = strdup(src);
        rec->rate_hz = t->rate_hz;
        for (size_t ch = 0; ch < C; ch++) {
            rec->channels[ch] = strdup(chan[ch]);
            rec->units[ch] = strdup(units[ch]);
        }
        memcpy(rec->values, seq, C * per * sizeof(float));
        if (gt_store_add(st, rec, &err) < 0)
            rc = tool_fail_err(&err);
        gt_recording_free(rec);
    }
    if (!rc && plot) {
        char title[320], rl[300];
        snprintf(title, sizeof title, "%s%s%s", cname[0] ? cname : "synthetic", chan[0] ? ", " : "",
                 chan[0]);
        snprintf(rl, sizeof rl, "real (%s)", compare ? compare : "");
        if ((compare && synth_rows_from_store(&real, compare, cname, chan[0])) ||
            out_open(&po, plot, force) ||
            synth_plot_write(po.f, &syn, compare ? &real : NULL, t->rate_hz, title, rl))
            rc = 1;
        if (rc)
            out_abort(&po);
    }
    if (csv)
        rc = rc ? (out_abort(&co), rc) : out_commit(&co);
    else if (rc)
        gt_store_abort(st);
    else if (gt_store_commit(st, &err) < 0)
        rc = tool_fail_err(&err);
    if (plot)
        rc = rc ? (out_abort(&po), rc) : out_commit(&po);
    if (!rc)
        printf("wrote %d synthetic %s of %zu samples%s%s%s%s to %s%s%s\n", count,
               length ? "sequences" : "windows", seqlen, cname[0] ? " of class " : "", cname,
               as_class ? " stored as class " : "", as_class ? as_class : "", out,
               plot ? "; plot: " : "", plot ? plot : "");
out:
    out_abort(&po);
    synth_rows_free(&syn);
    synth_rows_free(&real);
    gt_names_free(chan, nchan);
    gt_names_free(units, nunits);
    free(win);
    free(seq);
    gt_tsgan_free(t);
    return rc;
}
