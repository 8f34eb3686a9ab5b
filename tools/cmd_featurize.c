/* gantry featurize: windows of a store's recordings, normalised, and their
 * FFTW features, into a features file (format gantry-features). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/bearing.h"
#include "gantry/features.h"
#include "gantry/h5.h"
#include "gantry/store.h"
#include "tool.h"

#define FEATURES_FORMAT "gantry-features"
#define MAX_FEATS 8

static const char help[] =
    "usage: gantry featurize STORE.h5 -o FEATURES.h5 [options]\n"
    "\n"
    "Cuts the store's recordings into windows, normalises each channel with\n"
    "statistics fitted on the good samples of every recording used (or taken\n"
    "from an earlier features file, so that new data is scaled as the training\n"
    "data was), and computes features per window and channel with FFTW.\n"
    "\n"
    "  -o, --output FILE.h5   the features file (refused if it exists, unless --force)\n"
    "  --window N             window length in samples (default 1024)\n"
    "  --hop H                hop between windows (default window/2)\n"
    "  --channels A,B         channels to use (default: those of the first recording)\n"
    "  --recordings A,B       recordings to use (default: all)\n"
    "  --features LIST        any of raw, spectrum, welch, envelope, stft, sk, bands\n"
    "                         (default spectrum): see README.md for each\n"
    "  --normalize M          zscore (default), robust, minmax or none\n"
    "  --stats-from FILE.h5   reuse the normalisation of an earlier features file\n"
    "  --gaps drop|flag       windows holding bad or missing samples, or a jump in\n"
    "                         time: dropped (default) or kept and flagged\n"
    "  --taper hann|hamming|rect  window taper for spectra (default hann)\n"
    "  --segment N --segment-hop H   Welch/STFT/SK segments (default window/8, N/2)\n"
    "  --band LO:HI           band-pass (Hz) before the envelope (default none)\n"
    "  --bands N              number of bands for `bands` (default 16)\n"
    "  --bearing NAME         also report the envelope-spectrum amplitude at the\n"
    "                         bearing's FTF, BPFO, BPFI and BSF and 2 harmonics\n"
    "                         (6205-2RS, 6203-2RS); needs each recording's rpm\n"
    "                         (stored, or --rpm)\n"
    "  --rpm RPM              shaft speed for --bearing\n"
    "  --force                replace an existing output\n"
    "  --progress | --quiet   progress on stderr (default: only on a terminal)\n"
    "\n"
    "The output holds /features/<kind> [windows, channels, (frames,) values] with\n"
    "its frequency axis, /windows/{recording,start,time,flag,class} and\n"
    "/windows/labels/<track>, /norm/{center,scale}, and with --bearing\n"
    "/defects/{ftf,bpfo,bpfi,bsf} [windows, channels, 3].\n"
    "\n"
    "example: gantry featurize cwru.h5 --window 4096 --features spectrum,envelope \\\n"
    "             --bearing 6205-2RS -o cwru-features.h5\n";

typedef struct fz {
    int win, hop, nfeat, keep_bad, progress, force, nbands, seg, seg_hop;
    gt_feature feats[MAX_FEATS];
    gt_norm_method norm;
    gt_taper taper;
    double band_lo, band_hi, rpm;
    const char *channels, *recordings, *stats_from, *bearing;
} fz;

static int list_count(const char *list)
{
    int n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    return n;
}

/* The i-th entry of a comma-separated list, into buf. */
static void list_item(const char *list, int i, char *buf, size_t cap)
{
    const char *item = "";
    size_t len = 0;
    for (int k = 0; k <= i; k++)
        if (!tool_list_next(&list, &item, &len)) {
            len = 0;
            break;
        }
    snprintf(buf, cap, "%.*s", (int)len, item);
}

/* Growing arrays of per-window records. */
typedef struct vec {
    void *p;
    size_t n, cap, esize;
} vec;

static void *vec_grow(vec *v, size_t add)
{
    if (v->n + add > v->cap) {
        size_t cap = v->cap ? v->cap : 1024;
        while (cap < v->n + add)
            cap *= 2;
        void *p = realloc(v->p, cap * v->esize);
        if (!p) {
            fputs("gantry featurize: out of memory\n", stderr);
            exit(1);
        }
        v->p = p;
        v->cap = cap;
    }
    void *at = (char *)v->p + v->n * v->esize;
    v->n += add;
    return at;
}

static int read_norm(const char *path, int nch, char **chan, float *center, float *scale)
{
    gt_error err = {0};
    gt_h5 *f;
    if (gt_h5_open(&f, path, FEATURES_FORMAT, 1, NULL, &err))
        return tool_fail_err(&err);
    float *c = NULL, *s = NULL;
    size_t nc = 0, ns = 0;
    char *names = NULL;
    int rc = 0;
    if (gt_h5_read_floats(f, "norm/center", &c, &nc, NULL, NULL, &err) ||
        gt_h5_read_floats(f, "norm/scale", &s, &ns, NULL, NULL, &err) ||
        gt_h5_read_attr_str(f, "/", "channels", &names, &err)) {
        rc = tool_fail_err(&err);
    } else {
        for (int k = 0; k < nch && !rc; k++) {
            int found = -1;
            for (int j = 0; j < (int)nc; j++) {
                char nm[256];
                list_item(names, j, nm, sizeof nm);
                if (!strcmp(nm, chan[k]))
                    found = j;
            }
            if (found < 0)
                rc = tool_fail("%s: has no normalisation for channel %s (it has %s)", path,
                               chan[k], names);
            else {
                center[k] = c[found];
                scale[k] = s[found];
            }
        }
    }
    free(c);
    free(s);
    free(names);
    gt_h5_close(f);
    return rc;
}

int cmd_featurize(int argc, char **argv)
{
    enum {
        O_WIN = 256, O_HOP, O_CH, O_REC, O_FEAT, O_NORM, O_STATS, O_GAPS, O_TAPER, O_SEG,
        O_SEGHOP, O_BAND, O_BANDS, O_BEARING, O_RPM, O_FORCE, O_PROGRESS, O_QUIET
    };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"window", required_argument, NULL, O_WIN},
        {"hop", required_argument, NULL, O_HOP}, {"channels", required_argument, NULL, O_CH},
        {"recordings", required_argument, NULL, O_REC},
        {"features", required_argument, NULL, O_FEAT},
        {"normalize", required_argument, NULL, O_NORM},
        {"stats-from", required_argument, NULL, O_STATS},
        {"gaps", required_argument, NULL, O_GAPS}, {"taper", required_argument, NULL, O_TAPER},
        {"segment", required_argument, NULL, O_SEG},
        {"segment-hop", required_argument, NULL, O_SEGHOP},
        {"band", required_argument, NULL, O_BAND}, {"bands", required_argument, NULL, O_BANDS},
        {"bearing", required_argument, NULL, O_BEARING}, {"rpm", required_argument, NULL, O_RPM},
        {"force", no_argument, NULL, O_FORCE}, {"progress", no_argument, NULL, O_PROGRESS},
        {"quiet", no_argument, NULL, O_QUIET}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    fz o = {.win = 1024, .nfeat = 1, .feats = {GT_FEAT_SPECTRUM}, .norm = GT_NORM_ZSCORE,
            .progress = -1, .rpm = NAN};
    const char *out = NULL;
    gt_error err = {0};
    float v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case O_WIN: if (tool_int("--window", optarg, 4, 1 << 24, &o.win)) return 2; break;
        case O_HOP: if (tool_int("--hop", optarg, 1, 1 << 24, &o.hop)) return 2; break;
        case O_CH: o.channels = optarg; break;
        case O_REC: o.recordings = optarg; break;
        case O_FEAT: {
            o.nfeat = 0;
            char buf[64];
            int n = list_count(optarg);
            if (n > MAX_FEATS)
                return tool_fail("--features: at most %d kinds", MAX_FEATS), 2;
            for (int i = 0; i < n; i++) {
                list_item(optarg, i, buf, sizeof buf);
                if (gt_feature_parse(buf, &o.feats[o.nfeat], &err))
                    return tool_fail("--features: %s", err.msg), 2;
                for (int j = 0; j < o.nfeat; j++)
                    if (o.feats[j] == o.feats[o.nfeat])
                        return tool_fail("--features: %s twice", buf), 2;
                o.nfeat++;
            }
            break;
        }
        case O_NORM:
            if (gt_norm_parse(optarg, &o.norm, &err))
                return tool_fail("--normalize: %s", err.msg), 2;
            break;
        case O_STATS: o.stats_from = optarg; break;
        case O_GAPS:
            if (!strcmp(optarg, "drop")) o.keep_bad = 0;
            else if (!strcmp(optarg, "flag")) o.keep_bad = 1;
            else return tool_fail("--gaps must be drop or flag, not '%s'", optarg), 2;
            break;
        case O_TAPER:
            if (!strcmp(optarg, "hann")) o.taper = GT_TAPER_HANN;
            else if (!strcmp(optarg, "hamming")) o.taper = GT_TAPER_HAMMING;
            else if (!strcmp(optarg, "rect")) o.taper = GT_TAPER_RECT;
            else return tool_fail("--taper must be hann, hamming or rect, not '%s'", optarg), 2;
            break;
        case O_SEG: if (tool_int("--segment", optarg, 4, 1 << 24, &o.seg)) return 2; break;
        case O_SEGHOP: if (tool_int("--segment-hop", optarg, 1, 1 << 24, &o.seg_hop)) return 2; break;
        case O_BAND: {
            char *colon = strchr(optarg, ':');
            char *end;
            if (!colon)
                return tool_fail("--band needs LO:HI in Hz, not '%s'", optarg), 2;
            o.band_lo = strtod(optarg, &end);
            if (end != colon || !(o.band_lo >= 0))
                return tool_fail("--band needs LO:HI in Hz, not '%s'", optarg), 2;
            o.band_hi = strtod(colon + 1, &end);
            if (*end || !(o.band_hi > o.band_lo))
                return tool_fail("--band needs LO:HI with HI > LO, not '%s'", optarg), 2;
            break;
        }
        case O_BANDS: if (tool_int("--bands", optarg, 1, 1 << 16, &o.nbands)) return 2; break;
        case O_BEARING: o.bearing = optarg; break;
        case O_RPM:
            if (tool_float("--rpm", optarg, &v)) return 2;
            if (!(v > 0)) return tool_fail("--rpm must be positive"), 2;
            o.rpm = v;
            break;
        case O_FORCE: o.force = 1; break;
        case O_PROGRESS: o.progress = 1; break;
        case O_QUIET: o.progress = 0; break;
        case 'h': fputs(help, stdout); return 0;
        default: fputs(help, stderr); return 2;
        }
    }
    if (optind + 1 != argc)
        return tool_fail("give one store (gantry featurize --help)"), 2;
    if (!out)
        return tool_fail("give the features file to write with -o FILE.h5"), 2;
    if (!o.hop)
        o.hop = o.win / 2 > 0 ? o.win / 2 : 1;
    if (!o.force && path_exists(out))
        return tool_fail("%s exists; not overwriting it (use --force)", out);
    gt_bearing brg;
    if (o.bearing && gt_bearing_preset(o.bearing, &brg, &err))
        return tool_fail_err(&err), 2;
    const char *store_path = argv[optind];

    gt_store *st;
    if (gt_store_open(&st, store_path, &err))
        return tool_fail_err(&err);
    const int nrec_all = gt_store_count(st);
    gt_recording **recs = calloc((size_t)nrec_all + 1, sizeof *recs);
    int nrec = 0, rc = 0;
    for (int i = 0; i < nrec_all && !rc; i++) {
        const char *name = gt_store_name(st, i);
        if (!tool_list_has(o.recordings, name))
            continue;
        if (gt_store_read(st, name, &recs[nrec], &err))
            rc = tool_fail_err(&err);
        else
            nrec++;
    }
    gt_store_close(st);
    if (!rc && !nrec)
        rc = tool_fail("%s: no recordings%s%s", store_path, o.recordings ? " named " : "",
                       o.recordings ? o.recordings : "");
    if (rc)
        goto free_recs;
    if (o.recordings)
        for (int i = 0, n = list_count(o.recordings); i < n && !rc; i++) {
            char nm[512];
            list_item(o.recordings, i, nm, sizeof nm);
            int found = 0;
            for (int r = 0; r < nrec; r++)
                found |= !strcmp(recs[r]->name, nm);
            if (!found)
                rc = tool_fail("%s: no recording '%s'", store_path, nm);
        }

    /* channels: the list given, or the first recording's */
    int nch = o.channels ? list_count(o.channels) : recs[0]->nch;
    char **chan = calloc((size_t)nch, sizeof(char *));
    int **idx = calloc((size_t)nrec, sizeof(int *));
    for (int k = 0; k < nch; k++) {
        char nm[512];
        if (o.channels)
            list_item(o.channels, k, nm, sizeof nm);
        else
            snprintf(nm, sizeof nm, "%s", recs[0]->channels[k]);
        chan[k] = strdup(nm);
    }
    double rate = recs[0]->rate_hz;
    for (int r = 0; r < nrec && !rc; r++) {
        idx[r] = calloc((size_t)nch, sizeof(int));
        for (int k = 0; k < nch && !rc; k++) {
            idx[r][k] = -1;
            for (int j = 0; j < recs[r]->nch; j++)
                if (!strcmp(recs[r]->channels[j], chan[k]))
                    idx[r][k] = j;
            if (idx[r][k] < 0) {
                char have[1024] = "";
                for (int j = 0; j < recs[r]->nch; j++)
                    snprintf(have + strlen(have), sizeof have - strlen(have), "%s%s", j ? "," : "",
                             recs[r]->channels[j]);
                rc = tool_fail("%s: recording %s has no channel %s (it has %s); choose with "
                               "--channels", store_path, recs[r]->name, chan[k], have);
            }
        }
        if (!rc && fabs(recs[r]->rate_hz - rate) > 1e-9 * fabs(rate))
            rc = tool_fail("%s: recording %s is at %g Hz, %s at %g Hz: featurize them "
                           "separately, or ingest with --to-rate", store_path, recs[r]->name,
                           recs[r]->rate_hz, recs[0]->name, rate);
        if (!rc && o.bearing && isnan(o.rpm) && !isfinite(recs[r]->rpm))
            rc = tool_fail("%s: recording %s has no rpm for --bearing: give --rpm", store_path,
                           recs[r]->name);
    }
    if (rc)
        goto free_chan;

    /* normalisation */
    float *center = calloc((size_t)nch, sizeof(float)), *scale = calloc((size_t)nch, sizeof(float));
    if (o.stats_from) {
        if ((rc = read_norm(o.stats_from, nch, chan, center, scale)))
            goto free_norm;
    } else {
        for (int k = 0; k < nch && !rc; k++) {
            size_t total = 0;
            for (int r = 0; r < nrec; r++)
                total += recs[r]->n;
            float *all = malloc((total ? total : 1) * sizeof(float));
            uint8_t *skip = calloc(total ? total : 1, 1);
            if (!all || !skip) {
                free(all);
                free(skip);
                rc = tool_fail("out of memory");
                break;
            }
            size_t at = 0;
            for (int r = 0; r < nrec; r++) {
                const gt_recording *R = recs[r];
                const size_t off = (size_t)idx[r][k] * R->n;
                memcpy(all + at, R->values + off, R->n * sizeof(float));
                if (R->quality)
                    for (size_t i = 0; i < R->n; i++)
                        skip[at + i] = R->quality[off + i] >= GT_Q_BAD;
                at += R->n;
            }
            if (gt_norm_fit(o.norm, all, total, skip, &center[k], &scale[k], &err))
                rc = tool_fail("channel %s: %s", chan[k], err.msg);
            free(all);
            free(skip);
        }
        if (rc)
            goto free_norm;
    }

    /* featurizers */
    gt_featurizer *fzr[MAX_FEATS + 1] = {0};
    int rows[MAX_FEATS + 1], cols[MAX_FEATS + 1];
    gt_feat_cfg cfg[MAX_FEATS + 1];
    int nf = o.nfeat, env_for_defects = -1;
    for (int f = 0; f < o.nfeat; f++)
        if (o.feats[f] == GT_FEAT_ENVELOPE)
            env_for_defects = f;
    if (o.bearing && env_for_defects < 0) {
        o.feats[nf] = GT_FEAT_ENVELOPE; /* computed for the defects, not stored */
        env_for_defects = nf++;
    }
    for (int f = 0; f < nf && !rc; f++) {
        cfg[f] = gt_feat_cfg_default(o.feats[f], o.win, rate);
        cfg[f].taper = o.taper;
        if (o.seg)
            cfg[f].seg = o.seg;
        if (o.seg_hop)
            cfg[f].seg_hop = o.seg_hop;
        cfg[f].band_lo = o.band_lo;
        cfg[f].band_hi = o.band_hi;
        if (o.nbands)
            cfg[f].nbands = o.nbands;
        if (gt_feat_shape(&cfg[f], &rows[f], &cols[f], &err) ||
            gt_featurizer_create(&fzr[f], &cfg[f], &err))
            rc = tool_fail("%s: %s", gt_feature_name(o.feats[f]), err.msg);
    }
    if (rc)
        goto free_fz;

    /* windows */
    vec wrec = {.esize = sizeof(int64_t)}, wstart = {.esize = sizeof(int64_t)},
        wtime = {.esize = sizeof(int64_t)}, wflag = {.esize = 1}, wcls = {.esize = sizeof(int64_t)};
    vec feat[MAX_FEATS + 1], defects[4];
    for (int f = 0; f <= MAX_FEATS; f++)
        feat[f] = (vec){.esize = sizeof(float)};
    for (int d = 0; d < 4; d++)
        defects[d] = (vec){.esize = sizeof(float)};
    /* label tracks across recordings (union of names) */
    char *tracks[64];
    int ntracks = 0;
    for (int r = 0; r < nrec; r++)
        for (int l = 0; l < recs[r]->nlabels && ntracks < 64; l++) {
            int seen = 0;
            for (int t = 0; t < ntracks; t++)
                seen |= !strcmp(tracks[t], recs[r]->label_names[l]);
            if (!seen)
                tracks[ntracks++] = recs[r]->label_names[l];
        }
    vec wlab[64];
    for (int t = 0; t < ntracks; t++)
        wlab[t] = (vec){.esize = 1};
    char *classes[256];
    int ncls = 0;
    int has_time = 1;
    tool_progress prog;
    progress_start(&prog, nrec, o.progress);
    size_t dropped = 0;
    int report = 0;
    for (int r = 0; r < nrec && !rc; r++) {
        gt_recording *R = recs[r];
        has_time &= R->has_t0 || R->time_ns != NULL;
        const size_t n = R->n, cap = gt_window_count(n, (size_t)o.win, (size_t)o.hop);
        uint8_t *bad = calloc(n ? n : 1, 1);
        size_t *starts = malloc((cap ? cap : 1) * sizeof(size_t));
        uint8_t *flag = malloc(cap ? cap : 1);
        float *x = malloc((size_t)nch * (n ? n : 1) * sizeof(float));
        if (!bad || !starts || !flag || !x) {
            free(bad), free(starts), free(flag), free(x);
            rc = tool_fail("out of memory");
            break;
        }
        for (int k = 0; k < nch; k++) {
            const size_t off = (size_t)idx[r][k] * n;
            memcpy(x + (size_t)k * n, R->values + off, n * sizeof(float));
            gt_norm_apply(x + (size_t)k * n, n, center[k], scale[k]);
            for (size_t i = 0; R->quality && i < n; i++)
                bad[i] |= R->quality[off + i] >= GT_Q_BAD;
            if (o.keep_bad) /* flagged windows still need finite numbers */
                for (size_t i = 0; i < n; i++)
                    if (!isfinite(x[(size_t)k * n + i]))
                        x[(size_t)k * n + i] = 0;
        }
        if (R->time_ns && R->rate_hz > 0)
            for (size_t i = 1; i < n; i++)
                bad[i] |= (double)(R->time_ns[i] - R->time_ns[i - 1]) > 1.5e9 / R->rate_hz;
        const size_t nw = gt_window_starts(n, (size_t)o.win, (size_t)o.hop, bad, o.keep_bad,
                                           starts, flag);
        dropped += cap - nw;
        int cls = -1;
        for (int k = 0; k < ncls; k++)
            if (!strcmp(classes[k], R->cls))
                cls = k;
        if (cls < 0 && ncls < 256) {
            classes[ncls] = R->cls;
            cls = ncls++;
        }
        for (size_t w = 0; w < nw; w++) {
            *(int64_t *)vec_grow(&wrec, 1) = r;
            *(int64_t *)vec_grow(&wstart, 1) = (int64_t)starts[w];
            *(int64_t *)vec_grow(&wtime, 1) =
                R->has_t0 || R->time_ns ? gt_recording_time(R, starts[w]) : 0;
            *(uint8_t *)vec_grow(&wflag, 1) = o.keep_bad ? flag[w] : 0;
            *(int64_t *)vec_grow(&wcls, 1) = *R->cls ? cls : -1;
            for (int t = 0; t < ntracks; t++) {
                uint8_t any = 0;
                for (int l = 0; l < R->nlabels; l++)
                    if (!strcmp(R->label_names[l], tracks[t]))
                        for (size_t i = starts[w]; i < starts[w] + (size_t)o.win && !any; i++)
                            any = R->labels[(size_t)l * n + i] != 0;
                *(uint8_t *)vec_grow(&wlab[t], 1) = any;
            }
        }
        /* features: window-major, channels inside */
        for (int f = 0; f < nf && nw; f++) {
            const size_t per = (size_t)rows[f] * (size_t)cols[f];
            float *tmp = malloc(nw * per * sizeof(float));
            if (!tmp) {
                rc = tool_fail("out of memory");
                break;
            }
            float *dst = f < o.nfeat ? vec_grow(&feat[f], nw * (size_t)nch * per) : NULL;
            for (int k = 0; k < nch; k++) {
                gt_featurize(fzr[f], x + (size_t)k * n, starts, 0, nw, tmp);
                if (dst)
                    for (size_t w = 0; w < nw; w++)
                        memcpy(dst + (w * (size_t)nch + (size_t)k) * per, tmp + w * per,
                               per * sizeof(float));
                if (f == env_for_defects && o.bearing) {
                    gt_bearing_freqs bf;
                    double shaft = (isnan(o.rpm) ? R->rpm : o.rpm) / 60.0;
                    gt_bearing_frequencies(&brg, shaft, &bf, NULL);
                    const double fr[4] = {bf.ftf, bf.bpfo, bf.bpfi, bf.bsf};
                    const double bin = rate / o.win;
                    double mean[4] = {0};
                    for (int d = 0; d < 4; d++) {
                        float *dd = k == 0 ? vec_grow(&defects[d], nw * (size_t)nch * 3)
                                           : (float *)defects[d].p +
                                                 (defects[d].n - nw * (size_t)nch * 3);
                        for (size_t w = 0; w < nw; w++) {
                            float *a = dd + (w * (size_t)nch + (size_t)k) * 3;
                            gt_spectrum_amplitudes(tmp + w * per, cols[f], bin, fr[d], 3, bin, a);
                            mean[d] += fmax(fmax(a[0], a[1]), a[2]) / (double)nw;
                        }
                    }
                    if (!report++)
                        printf("envelope-spectrum amplitude at the %s defect frequencies (mean "
                               "over windows of the largest of 3 harmonics):\n"
                               "  %-24s %-10s %9s %9s %9s %9s  strongest\n", o.bearing,
                               "recording", "channel", "FTF", "BPFO", "BPFI", "BSF");
                    int top = 0;
                    for (int d = 1; d < 4; d++)
                        top = mean[d] > mean[top] ? d : top;
                    static const char *up[4] = {"FTF", "BPFO", "BPFI", "BSF"};
                    printf("  %-24s %-10s %9.4g %9.4g %9.4g %9.4g  %s\n", R->name, chan[k],
                           mean[0], mean[1], mean[2], mean[3], up[top]);
                }
            }
            free(tmp);
        }
        free(bad), free(starts), free(flag), free(x);
        char what[600];
        snprintf(what, sizeof what, "%s: %zu windows", R->name, nw);
        progress_update(&prog, r + 1, what);
    }
    progress_end(&prog);
    const size_t W = wrec.n;
    if (!rc && !W)
        rc = tool_fail("%s: no windows of %d samples%s (recordings too short, or every window "
                       "crosses a gap: see gantry inspect)", store_path, o.win,
                       dropped ? " without gaps" : "");

    /* write */
    gt_h5 *f = NULL;
    if (!rc && gt_h5_create(&f, out, FEATURES_FORMAT, 1, 0, &err))
        rc = tool_fail_err(&err);
    if (!rc) {
        char *chlist = NULL, *reclist = NULL, *clslist = NULL, *featlist = NULL;
        size_t a = 1, b = 1, cc = 1, d = 1;
        for (int k = 0; k < nch; k++)
            a += strlen(chan[k]) + 1;
        for (int r = 0; r < nrec; r++)
            b += strlen(recs[r]->name) + 1;
        for (int k = 0; k < ncls; k++)
            cc += strlen(classes[k]) + 1;
        d = 16 * MAX_FEATS;
        chlist = calloc(a, 1), reclist = calloc(b, 1), clslist = calloc(cc, 1),
        featlist = calloc(d, 1);
        for (int k = 0; k < nch; k++)
            strcat(strcat(chlist, k ? "," : ""), chan[k]);
        for (int r = 0; r < nrec; r++)
            strcat(strcat(reclist, r ? "," : ""), recs[r]->name);
        for (int k = 0; k < ncls; k++)
            strcat(strcat(clslist, k ? "," : ""), classes[k]);
        for (int k = 0; k < o.nfeat; k++)
            strcat(strcat(featlist, k ? "," : ""), gt_feature_name(o.feats[k]));
        size_t d1[1] = {W}, dn[1] = {(size_t)nch};
        char p[256];
        int e = gt_h5_write_attr_str(f, "/", "store", store_path, &err) ||
                gt_h5_write_attr_str(f, "/", "channels", chlist, &err) ||
                gt_h5_write_attr_str(f, "/", "recordings", reclist, &err) ||
                gt_h5_write_attr_str(f, "/", "classes", clslist, &err) ||
                gt_h5_write_attr_str(f, "/", "features", featlist, &err) ||
                gt_h5_write_attr_str(f, "/", "normalize", gt_norm_name(o.norm), &err) ||
                gt_h5_write_attr_str(f, "/", "normalize_from",
                                     o.stats_from ? o.stats_from : store_path, &err) ||
                gt_h5_write_attr_double(f, "/", "window", o.win, &err) ||
                gt_h5_write_attr_double(f, "/", "hop", o.hop, &err) ||
                gt_h5_write_attr_double(f, "/", "rate_hz", rate, &err) ||
                gt_h5_write_floats(f, "norm/center", center, 1, dn, &err) ||
                gt_h5_write_floats(f, "norm/scale", scale, 1, dn, &err) ||
                gt_h5_write_i64(f, "windows/recording", wrec.p, 1, d1, &err) ||
                gt_h5_write_i64(f, "windows/start", wstart.p, 1, d1, &err) ||
                gt_h5_write_u8(f, "windows/flag", wflag.p, 1, d1, &err) ||
                gt_h5_write_i64(f, "windows/class", wcls.p, 1, d1, &err) ||
                (has_time && gt_h5_write_i64(f, "windows/time", wtime.p, 1, d1, &err));
        for (int t = 0; t < ntracks && !e; t++) {
            snprintf(p, sizeof p, "windows/labels/%s", tracks[t]);
            e = gt_h5_write_u8(f, p, wlab[t].p, 1, d1, &err);
        }
        for (int k = 0; k < o.nfeat && !e; k++) {
            size_t dims[4] = {W, (size_t)nch, (size_t)rows[k], (size_t)cols[k]};
            int nd = rows[k] > 1 ? 4 : 3;
            if (nd == 3)
                dims[2] = (size_t)cols[k];
            snprintf(p, sizeof p, "features/%s", gt_feature_name(o.feats[k]));
            e = gt_h5_write_floats(f, p, feat[k].p, nd, dims, &err);
            if (!e && o.feats[k] != GT_FEAT_RAW && rate > 0) {
                float *hz = malloc((size_t)cols[k] * sizeof(float));
                for (int j = 0; j < cols[k]; j++)
                    hz[j] = (float)gt_feat_freq(&cfg[k], j);
                size_t dc[1] = {(size_t)cols[k]};
                snprintf(p, sizeof p, "features/%s_freq_hz", gt_feature_name(o.feats[k]));
                e = gt_h5_write_floats(f, p, hz, 1, dc, &err);
                free(hz);
            }
        }
        static const char *dnames[4] = {"ftf", "bpfo", "bpfi", "bsf"};
        for (int dd = 0; o.bearing && dd < 4 && !e; dd++) {
            size_t dims[3] = {W, (size_t)nch, 3};
            snprintf(p, sizeof p, "defects/%s", dnames[dd]);
            e = gt_h5_write_floats(f, p, defects[dd].p, 3, dims, &err);
        }
        if (!e && o.bearing)
            e = gt_h5_write_attr_str(f, "defects", "bearing", o.bearing, &err);
        free(chlist), free(reclist), free(clslist), free(featlist);
        if (e) {
            gt_h5_abort(f);
            rc = tool_fail_err(&err);
        } else if (gt_h5_commit(f, &err)) {
            rc = tool_fail_err(&err);
        } else {
            printf("%s: %zu windows of %d samples (hop %d) from %d recording%s, %d channel%s, "
                   "features %s%s", out, W, o.win, o.hop, nrec, nrec == 1 ? "" : "s", nch,
                   nch == 1 ? "" : "s", gt_feature_name(o.feats[0]), o.nfeat > 1 ? " ..." : "");
            if (dropped)
                printf("; %zu window%s crossing gaps or bad samples dropped", dropped,
                       dropped == 1 ? "" : "s");
            putchar('\n');
        }
    }
    free(wrec.p), free(wstart.p), free(wtime.p), free(wflag.p), free(wcls.p);
    for (int t = 0; t < ntracks; t++)
        free(wlab[t].p);
    for (int k = 0; k <= MAX_FEATS; k++)
        free(feat[k].p);
    for (int d = 0; d < 4; d++)
        free(defects[d].p);
free_fz:
    for (int k = 0; k < nf; k++)
        gt_featurizer_free(fzr[k]);
free_norm:
    free(center);
    free(scale);
free_chan:
    for (int k = 0; k < nch; k++)
        free(chan[k]);
    free(chan);
    for (int r = 0; r < nrec; r++)
        free(idx[r]);
    free(idx);
free_recs:
    for (int r = 0; r < nrec; r++)
        gt_recording_free(recs[r]);
    free(recs);
    return rc;
}
