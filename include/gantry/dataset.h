/*
 * gantry/dataset.h - windows of a store's recordings, ready for a network.
 *
 * Chooses channels (by name, the same in every recording used), cuts each
 * recording (or a span of it) into windows of `window` samples `hop`
 * apart, drops windows holding a BAD or MISSING sample in a chosen
 * channel, and normalises every channel with statistics fitted on the data
 * used (or given, e.g. a model's).  Windows are stored sample-major,
 * (window, channel, time), the layout gt_model_forward takes.
 *
 *     gt_dataset_cfg c = gt_dataset_cfg_default(1024, 256);
 *     c.norm = GT_NORM_MINMAX;
 *     gt_dataset ds;
 *     if (gt_dataset_load(&ds, store, &c, &err) < 0) ...
 *     ... ds.x, ds.nwin, ds.cls ...
 *     gt_dataset_free(&ds);
 */
#ifndef GANTRY_DATASET_H
#define GANTRY_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/common.h"
#include "gantry/features.h"
#include "gantry/names.h"
#include "gantry/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_dataset_cfg {
    int window, hop;         /* samples; hop >= 1 */
    const char *channels;    /* comma list; NULL: every channel of the first
                              * recording used */
    const char *recordings;  /* comma list of names; NULL: all */
    const char *classes;     /* comma list: only recordings of these classes;
                              * NULL: all */
    gt_norm_method norm;     /* how to fit when center/scale are NULL */
    const float *center;     /* nch given statistics, in the order of the */
    const float *scale;      /* chosen channels; NULL: fit on the windows' data */
    int by_class;            /* statistics per class: every recording needs a
                              * class; center/scale then hold one row of nch
                              * per class (class-major) ... */
    const char *stat_classes; /* ... given ones in the order of this comma list
                              * (fitted ones in the order of ds->classes) */
    double span_lo, span_hi; /* the part of each recording used, as fractions
                              * of its length (default 0 and 1) */
    size_t max_rows;         /* then at most this many samples of it (0: all) */
    const char *label_track; /* per-window label = max of this track over the
                              * window (NULL: none) */
} gt_dataset_cfg;

/* window, hop, GT_NORM_MINMAX, span 0..1, everything else NULL/0. */
gt_dataset_cfg gt_dataset_cfg_default(int window, int hop);

typedef struct gt_dataset {
    int nch, win;
    char **channels, **units; /* nch each */
    double rate_hz;           /* of the first recording used (all must agree) */
    float *center, *scale;    /* the statistics applied: nch, or with by_class
                               * nclasses rows of nch in the order of classes */
    int nrec;
    char **recs;              /* names of the recordings used */
    int nclasses;
    char **classes;           /* the recordings' classes, sorted, "" left out */
    size_t nwin;
    float *x;                 /* nwin * nch * win, normalised, sample-major */
    int *cls;                 /* nwin: index into classes, -1 for none */
    int *rec;                 /* nwin: index into recs */
    size_t *start;            /* nwin: first sample in its recording */
    uint8_t *label;           /* nwin, or NULL without label_track */
} gt_dataset;

/*
 * Load the windows of store s.  Errors (GT_EINVAL with a message) name the
 * recording and what is wrong: a missing channel (listing those it has),
 * another rate than the first recording's, no recordings selected, no
 * window left (recording too short for the window).
 */
int gt_dataset_load(gt_dataset *ds, gt_store *s, const gt_dataset_cfg *c, gt_error *err);
void gt_dataset_free(gt_dataset *ds);

/*
 * The chosen channels of one recording, normalised: out gets nch * r->n
 * floats (channel-major), bad (r->n, may be NULL) 1 where any chosen
 * channel is BAD or MISSING (those values are set to 0 in out).  GT_EINVAL
 * with a message naming the recording and the missing channel.
 */
int gt_dataset_signals(const gt_recording *r, char *const *channels, int nch, const float *center,
                       const float *scale, float *out, uint8_t *bad, gt_error *err);

/* The part [*lo, *hi) of a recording of n samples that c uses (span, then
 * max_rows). */
void gt_dataset_span(const gt_dataset_cfg *c, size_t n, size_t *lo, size_t *hi);

#ifdef __cplusplus
}
#endif
#endif
