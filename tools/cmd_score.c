/* gantry score: per-sample anomaly scores, flags and events from a model. */
#include <stdlib.h>
#include <string.h>

#include "tsgan_tool.h"

static const char help[] =
    "usage: gantry score MODEL.h5 STORE.h5 -o SCORES.csv [--events EVENTS.csv] [OPTIONS]\n"
    "\n"
    "Score every sample of the store's recordings with a model from gantry train:\n"
    "windows every --hop samples, each scored by the critic (-D(x)) and by the\n"
    "encoder's reconstruction error over all channels; per sample the mean over\n"
    "the windows covering it, both smoothed (gantry train --smooth), standardised\n"
    "with the training data's median and spread and combined (gantry train\n"
    "--alpha).  A sample's score depends on the data within a window of it only.\n"
    "\n"
    "  -o, --output FILE      SCORES.csv: timestamp,score,anomaly, one row per sample\n"
    "                         (a leading recording column when several are scored)\n"
    "  --events FILE          EVENTS.csv: start,end,severity (first and last sample,\n"
    "                         timestamps as in SCORES; severity: the peak score above\n"
    "                         the threshold)\n"
    "  --recordings LIST      recordings to score (default: all)\n"
    "  --class NAME           for a conditional model: score against this class\n"
    "                         (default: the recording's own, else normal)\n"
    "  --hop N                hop between scored windows (default: the model's)\n"
    "%s"
    "                         (default quantile:1x1.5, 1.5 times the largest\n"
    "                         training score)\n"
    "%s"
    "  --threads N            threads (default: all cores; the same count gives the\n"
    "                         same scores, as gantry detect's --threads)\n"
    "  --force                overwrite existing output files\n"
    "  -h, --help             this help\n";

int cmd_score(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"events", required_argument, NULL, 'e'},
        {"recordings", required_argument, NULL, 'r'}, {"class", required_argument, NULL, 'c'},
        {"hop", required_argument, NULL, 'H'},    {"force", no_argument, NULL, 'f'},
        {"threads", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},         FLAG_LONG_OPTS,
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *events = NULL, *recs = NULL, *cls = NULL;
    int hop = 0, force = 0, threads = 0, c, rc;
    flag_opts fo;
    flag_opts_default(&fo, GT_THRESH_QUANTILE);
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'e': events = optarg; break;
        case 'r': recs = optarg; break;
        case 'c': cls = optarg; break;
        case 'H': if (tool_int("--hop", optarg, 1, 1 << 30, &hop)) return 2; break;
        case 'f': force = 1; break;
        case 'T': if (tool_int("--threads", optarg, 1, 1024, &threads)) return 2; break;
        case 'h': printf(help, flag_opts_help, flag_opts_help_more); return 0;
        default:
            rc = flag_opts_set(&fo, c, optarg);
            if (rc == 1) {
                fprintf(stderr, help, flag_opts_help, flag_opts_help_more);
                return 2;
            }
            if (rc)
                return rc;
        }
    }
    if (optind + 2 != argc || !out)
        return tool_fail("need MODEL.h5 STORE.h5 and -o SCORES.csv (see --help)"), 2;
    gt_threads_set(threads);
    gt_error err = {0};
    gt_tsgan *t = NULL;
    if (gt_tsgan_load(&t, argv[optind], &err) < 0)
        return tool_fail_err(&err);
    if (!t->calibrated) {
        gt_tsgan_free(t);
        return tool_fail("%s has no score calibration: its training did not finish (resume "
                         "it with gantry train --resume)",
                         argv[optind]);
    }
    gt_store *st = NULL;
    if (gt_store_open(&st, argv[optind + 1], &err) < 0) {
        gt_tsgan_free(t);
        return tool_fail_err(&err);
    }
    score_job job = {.t = t, .recordings = recs, .cls = cls, .hop = (size_t)hop, .fo = &fo,
                     .out = out, .events = events, .force = force};
    rc = score_store(st, &job);
    gt_store_close(st);
    gt_tsgan_free(t);
    return rc;
}
