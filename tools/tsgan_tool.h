/* What gantry train, score, detect and synth share: training options, the
 * fit of a time-series GAN on a store, and scoring one recording. */
#ifndef GANTRY_TSGAN_TOOL_H
#define GANTRY_TSGAN_TOOL_H

#include <getopt.h>

#include "tool.h"

typedef struct train_opts {
    const char *preset;      /* "historian", "vibration" or NULL: by rate */
    const char *channels, *recordings, *classes, *resume;
    int window, hop, score_hop, smooth, nz, width, max_width, batch, critic_steps;
    long steps, enc_steps;
    float lr_g, lr_d, lr_e, alpha, spectral; /* < 0: default */
    int loss_set;
    gt_gan_loss loss;
    gt_norm_method norm;
    int class_norm;          /* normalisation statistics per class */
    int d_shift;             /* --d-shift (-1: not given) */
    float d_gain;            /* --d-gain (<= 0: not given) */
    int conditional;         /* -1: when the store has several classes */
    size_t train_rows;
    double span_lo, span_hi;
    long checkpoint_every;
    uint64_t seed;
    int threads, progress, force;
} train_opts;

/* Long options the training commands share (codes from 1000 up), ending in
 * a zero entry; train_opts_set handles one. */
extern const struct option train_long_opts[];
/* Help text for those options. */
extern const char train_opts_help[];
void train_opts_default(train_opts *o);
/* Apply one getopt result; returns 0, 2 after a usage message, or 1 when c
 * is not a training option. */
int train_opts_set(train_opts *o, int c, const char *arg);
/* Build options + extra (terminated by a zero entry) into out (cap). */
void merge_long_opts(struct option *out, size_t cap, const struct option *extra);

/* The model configuration the options ask for (unset options: the library's
 * defaults). */
/* The model's configuration from the options (d_gain: --d-gain or 1; the
 * caller applies gt_tsgan_d_gain's default to its data). */
gt_tsgan_cfg tsgan_cfg_from_opts(const train_opts *o, int window, int nch, int nclasses);
/* --resume: 1 (after saying why) when o asks for a --d-shift or --d-gain
 * other than the model t was trained with, which it keeps; else 0. */
int resume_refuses(const train_opts *o, const gt_tsgan *t);
/* "hinge (D's input x5.2)": the loss, and D's input gain when not 1. */
const char *loss_text(const gt_tsgan *t, char *buf, size_t cap);

/* Called after every GAN step (after any checkpoint); nonzero stops the
 * training as failed (after the hook's own message). */
typedef int (*train_hook)(void *ctx, gt_tsgan *t, long step);
/* Train t's GAN for o->steps steps, then its encoder for enc_steps, on n
 * samples x (cls: classes or NULL), with progress unless quiet and
 * checkpoints to ckpt (may be NULL) every o->checkpoint_every steps.
 * Returns 0, or an exit status after a message (4: training diverged). */
int tsgan_run(gt_tsgan *t, const float *x, const int *cls, size_t n, const train_opts *o,
              long enc_steps, const char *ckpt, int quiet, train_hook hook, void *hook_ctx);

/*
 * Train on store st (recordings per o) and calibrate; out_path (may be
 * NULL) gets periodic checkpoints and nothing else.  Prints a summary line
 * unless quiet.  Returns 0 and *out, or an exit status after a message.
 */
int tsgan_fit(const train_opts *o, gt_store *st, const char *out_path, int quiet, gt_tsgan **out);

/* Per-sample combined scores of recording r (n values; NaN where no
 * window reaches) with the model's channels and statistics.  hop 0: the
 * model's.  Refuses (message, status 1) other channels, rates, or a
 * recording shorter than a window. */
int tsgan_score_recording(gt_tsgan *t, const gt_recording *r, size_t hop, const char *cls,
                          float *score);

/* SCORES.csv and EVENTS.csv rows for one recording (with a leading
 * recording column when several are written). */
void write_score_rows(FILE *f, const gt_recording *r, const float *score, const uint8_t *flag,
                      int with_name);
void write_event_rows(FILE *f, const gt_recording *r, const gt_event *ev, size_t nev,
                      int with_name);

#endif

/* Thresholding and events, as gantry score and detect do them. */
typedef struct flag_opts {
    gt_thresh_cfg thr;
    int thr_set;
    long min_gap, min_len; /* -1: defaults (one window, 1) */
    long persist;          /* --persist: on-delay in samples (1: none) */
    long trim;             /* --trim: samples off both ends of a run (0) */
    const char *plot;      /* --plot FILE.svg, or NULL */
} flag_opts;
/* Parse --threshold, --persist, --trim, --min-gap, --min-len, --plot (the
 * codes below); 1 when not one. */
enum { O_THRESHOLD = 900, O_MIN_GAP, O_MIN_LEN, O_PLOT, O_PERSIST, O_TRIM };
#define FLAG_LONG_OPTS                                                                         \
    {"threshold", required_argument, NULL, O_THRESHOLD},                                       \
        {"min-gap", required_argument, NULL, O_MIN_GAP},                                       \
        {"min-len", required_argument, NULL, O_MIN_LEN},                                     \
        {"persist", required_argument, NULL, O_PERSIST},                                     \
        {"trim", required_argument, NULL, O_TRIM},                                           \
        {"plot", required_argument, NULL, O_PLOT}
/* Help: --threshold; then (after a command's default) the rest. */
extern const char flag_opts_help[], flag_opts_help_more[];
void flag_opts_default(flag_opts *f, gt_thresh_kind kind);
int flag_opts_set(flag_opts *f, int c, const char *arg);
/* Flags and events of one recording's scores, and the threshold at each
 * sample (thr, n values); *ev is malloc'd. */
int flag_recording(const gt_tsgan *t, const float *score, size_t n, const flag_opts *f,
                   uint8_t *flag, float *thr, gt_event **ev, size_t *nev);
/* Open SCORES (and EVENTS when events_path) with their headers. */
int open_score_files(tool_out *so, tool_out *eo, const char *scores_path,
                     const char *events_path, int with_name, int force);
/* What score_store does: score with model t, or (t NULL) fit a model per
 * recording with `fit` first (gantry detect), keeping it in save_dir. */
typedef struct score_job {
    gt_tsgan *t;
    const train_opts *fit;
    const char *save_dir;
    const char *recordings, *cls;
    size_t hop;
    const flag_opts *fo;
    const char *out, *events;
    int force, verbose;
} score_job;
/* Score the chosen recordings of st into SCORES (and EVENTS), written
 * under temporary names and renamed only when everything worked; prints a
 * summary.  Returns 0 or an exit status after a message. */
int score_store(gt_store *st, const score_job *job);
