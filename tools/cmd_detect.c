/* gantry detect: fit on each signal itself (or its first rows) and flag its
 * anomalies: gantry train and gantry score in one pass, per recording. */
#include <stdlib.h>
#include <string.h>

#include "tsgan_tool.h"

static const char help_head[] =
    "usage: gantry detect STORE.h5 -o SCORES.csv [--events EVENTS.csv] [OPTIONS]\n"
    "\n"
    "For users with no separate normal recording: for each recording, train the\n"
    "time-series GAN and its encoder on the recording itself (or on its first\n"
    "--train-rows samples), then score all of it as gantry score does.  A\n"
    "recording whose training diverges or collapses is trained again from the\n"
    "next seeds (--seed + 1, + 2) before detect gives up.\n"
    "\n"
    "  -o, --output FILE      SCORES.csv: timestamp,score,anomaly per sample\n"
    "                         (a leading recording column when several)\n"
    "  --events FILE          EVENTS.csv: start,end,severity\n"
    "  --save-models DIR      keep each recording's model as DIR/NAME.h5\n"
    "%s"
    "                         (default dynamic: the data were trained on)\n"
    "%s"
    "  -h, --help             this help\n"
    "\n";

int cmd_detect(int argc, char **argv)
{
    static const struct option mine[] = {
        {"output", required_argument, NULL, 'o'},     {"events", required_argument, NULL, 'e'},
        {"save-models", required_argument, NULL, 'S'}, {"help", no_argument, NULL, 'h'},
        FLAG_LONG_OPTS,                               {NULL, 0, NULL, 0},
    };
    struct option opts[64];
    merge_long_opts(opts, 64, mine);
    train_opts o;
    train_opts_default(&o);
    flag_opts fo;
    flag_opts_default(&fo, GT_THRESH_DYNAMIC);
    const char *out = NULL, *events = NULL, *save = NULL;
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'e': events = optarg; break;
        case 'S': save = optarg; break;
        case 'h':
            printf(help_head, flag_opts_help, flag_opts_help_more);
            fputs(train_opts_help, stdout);
            return 0;
        default:
            rc = flag_opts_set(&fo, c, optarg);
            if (rc == 1)
                rc = train_opts_set(&o, c, optarg);
            if (rc == 1) {
                fprintf(stderr, help_head, flag_opts_help, flag_opts_help_more);
                return 2;
            }
            if (rc)
                return rc;
        }
    }
    if (optind + 1 != argc || !out)
        return tool_fail("need one STORE.h5 and -o SCORES.csv (see --help)"), 2;
    if (o.resume)
        return tool_fail("--resume does not apply to detect (use gantry train and score)"), 2;
    gt_threads_set(o.threads);
    gt_error err = {0};
    gt_store *st = NULL;
    if (gt_store_open(&st, argv[optind], &err) < 0)
        return tool_fail_err(&err);
    score_job job = {.fit = &o, .save_dir = save, .recordings = o.recordings, .fo = &fo,
                     .out = out, .events = events, .force = o.force, .verbose = o.progress != 0};
    rc = score_store(st, &job);
    gt_store_close(st);
    return rc;
}
